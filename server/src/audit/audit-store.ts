import type { AuditRecord } from "../../../gen/vigil/v1/audit_pb.js";

/** Where an appended record landed in the log. */
export interface AppendReceipt {
  /** 1-based position, without gaps. */
  sequence: bigint;
  /** Hex SHA-256 of the stored entry; the next entry's `prev_hash`. */
  hash: string;
}

/**
 * The audit trail's storage seam. LMDB is the embedded default; a shared backend for several
 * replicas implements the same interface.
 */
export interface AuditStore {
  /**
   * Appends a record, assigning its sequence and chain hashes. Resolves only after the write
   * is durable; rejects with `StoreUnavailableError` if it cannot be.
   */
  append(record: AuditRecord): Promise<AppendReceipt>;
  /** The record with this id, with `hash` filled in; undefined if absent. */
  get(id: string): AuditRecord | undefined;
  /** The record at this sequence; undefined if absent. */
  getBySequence(sequence: bigint): AuditRecord | undefined;
  /** The last appended entry (sequence 0 and the genesis hash when empty). */
  head(): AppendReceipt;
  /** Waits for pending writes and closes the store. */
  close(): Promise<void>;
}
