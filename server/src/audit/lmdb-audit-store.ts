import { clone, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Database, open, type RootDatabase } from "lmdb";
import { type AuditRecord, AuditRecordSchema } from "../../../gen/vigil/v1/audit_pb.js";
import { describeError, StoreUnavailableError } from "../errors.js";
import type { AppendReceipt, AuditStore } from "./audit-store.js";
import { entryHash, genesisHash } from "./hash-chain.js";

/** Options for {@link openLmdbAuditStore}. */
export interface LmdbAuditStoreOptions {
  /** Directory holding the LMDB environment (`data.mdb`, `lock.mdb`); created if missing. */
  path: string;
}

/**
 * Opens the embedded audit store. Entries live in `log` keyed by sequence, as the protobuf
 * bytes that were hashed; `ids` maps record ids to sequences. Appends queued in the same
 * event-loop turn share one LMDB transaction and one fsync (group commit), and chain order
 * is fixed before queuing, so batching never reorders the chain.
 */
export function openLmdbAuditStore(options: LmdbAuditStoreOptions): AuditStore {
  const root: RootDatabase = open({ path: options.path, maxDbs: 4 });
  const log: Database<Buffer, number> = root.openDB({ name: "log", encoding: "binary" });
  const ids: Database<number, string> = root.openDB({ name: "ids", encoding: "ordered-binary" });

  let head: AppendReceipt = readHead(log);
  // Once a write fails the in-memory head may be ahead of disk; refuse further appends.
  let broken: string | undefined;

  const decode = (bytes: Buffer | undefined): AuditRecord | undefined => {
    if (!bytes) return undefined;
    const record = fromBinary(AuditRecordSchema, bytes);
    record.hash = entryHash(bytes);
    return record;
  };

  return {
    async append(record) {
      if (broken) throw new StoreUnavailableError(`audit store is unavailable: ${broken}`);
      const sequence = head.sequence + 1n;
      const entry = clone(AuditRecordSchema, record);
      entry.sequence = sequence;
      entry.prevHash = head.hash;
      entry.hash = "";
      const bytes = Buffer.from(toBinary(AuditRecordSchema, entry));
      const receipt = { sequence, hash: entryHash(bytes) };
      head = receipt;
      try {
        await root.transaction(() => {
          log.put(Number(sequence), bytes);
          ids.put(record.id, Number(sequence));
        });
        // overlappingSync resolves on commit; durability needs the flush.
        await root.flushed;
      } catch (error) {
        broken = describeError(error);
        throw new StoreUnavailableError(`audit write failed: ${broken}`, { cause: error });
      }
      return receipt;
    },

    get(id) {
      const sequence = ids.get(id);
      return sequence === undefined ? undefined : decode(log.get(sequence));
    },

    getBySequence(sequence) {
      return decode(log.get(Number(sequence)));
    },

    head: () => head,

    async close() {
      await root.flushed;
      await root.close();
    },
  };
}

function readHead(log: Database<Buffer, number>): AppendReceipt {
  for (const { key, value } of log.getRange({ reverse: true, limit: 1 })) {
    return { sequence: BigInt(key), hash: entryHash(value) };
  }
  return { sequence: 0n, hash: genesisHash };
}
