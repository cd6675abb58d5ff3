import type {
  AuditRecord,
  Checkpoint,
  RecordFilter,
  RetentionAnchor,
} from "../../../gen/vigil/v1/audit_pb.js";

/** Where an appended record landed in the log. */
export interface AppendReceipt {
  /** 1-based position, without gaps. */
  sequence: bigint;
  /** Hex SHA-256 of the stored entry; the next entry's `prev_hash`. */
  hash: string;
}

/** One stored entry as written: the bytes its hash covers. */
export interface StoredEntry {
  sequence: bigint;
  bytes: Uint8Array;
}

/** A page of {@link AuditStore.query}. */
export interface RecordQuery {
  /** Field filters (AND-ed); the time range is answered from sequence bounds. */
  filter: RecordFilter;
  /** Most records to return. */
  limit: number;
  /** Newest first. */
  descending: boolean;
  /** Continue after this sequence (exclusive, in the query's direction). */
  after?: bigint | undefined;
  /**
   * Stop after examining this many candidate entries even if fewer than `limit` matched, so
   * one page never walks an unbounded stretch of the log.
   */
  scanLimit: number;
}

/** Records of one page, and where the next page starts. */
export interface RecordPage {
  records: AuditRecord[];
  /** Pass as `after` for the next page; undefined when no entry is left to examine. */
  next: bigint | undefined;
}

/**
 * The audit trail's storage seam. LMDB is the embedded default; a shared backend for several
 * replicas implements the same interface. Signing and verification live outside the store:
 * it keeps checkpoints and the retention anchor as given.
 */
export interface AuditStore {
  /**
   * Appends a record, assigning its sequence, chain hashes and a `time` no earlier than the
   * previous entry's. The store takes the record: it sets those fields on it, and the caller
   * must not change it afterwards (callers build each record fresh). Resolves only after the write is durable; rejects with
   * `StoreUnavailableError` if it cannot be, or `AuditOverloadedError` when too many appends
   * are already waiting.
   */
  append(record: AuditRecord): Promise<AppendReceipt>;
  /** The record with this id, with `hash` filled in; undefined if absent. */
  get(id: string): Promise<AuditRecord | undefined>;
  /** The record at this sequence; undefined if absent or pruned. */
  getBySequence(sequence: bigint): Promise<AuditRecord | undefined>;
  /** Records matching a filter, in log order, a page at a time. */
  query(query: RecordQuery): Promise<RecordPage>;
  /** Raw entries from `from` to `to` inclusive, in order, for verification. */
  entries(from: bigint, to: bigint): AsyncIterable<StoredEntry>;
  /** The first sequence whose time is at or after `timeMs`; `head + 1` if none. */
  sequenceAtTime(timeMs: number): Promise<bigint>;
  /** The last appended entry (sequence 0 and the genesis hash when empty). */
  head(): AppendReceipt;
  /** The first kept sequence: 1, or where retention left the chain. */
  first(): bigint;
  /** Total bytes of the kept entries. */
  keptBytes(): number;
  /** Stores a signed checkpoint. */
  putCheckpoint(checkpoint: Checkpoint): Promise<void>;
  /** Stored checkpoints with a size above `afterSize`, ascending, at most `limit`. */
  checkpoints(afterSize: bigint, limit: number): Promise<Checkpoint[]>;
  /** The retention anchor, when a prefix was pruned. */
  anchor(): RetentionAnchor | undefined;
  /**
   * Removes every entry up to `anchor.firstSequence - 1` (a prefix, in one transaction) and
   * keeps the anchor, whose `prev_hash` must be the last removed entry's hash.
   */
  prune(anchor: RetentionAnchor): Promise<number>;
  /** Waits for pending writes and closes the store. */
  close(): Promise<void>;
}
