import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Database, open, type RootDatabase } from "lmdb";
import {
  type AuditRecord,
  AuditRecordSchema,
  type Checkpoint,
  CheckpointSchema,
  type RetentionAnchor,
  RetentionAnchorSchema,
} from "../../../gen/vigil/v1/audit_pb.js";
import { AuditOverloadedError, describeError, StoreUnavailableError } from "../errors.js";
import type { AppendReceipt, AuditStore, StoredEntry } from "./audit-store.js";
import { readEntryFields } from "./entry-fields.js";
import { entryHash, genesisHash } from "./hash-chain.js";
import { checkLmdbFiles } from "./lmdb-file-check.js";
import { queryLog } from "./lmdb-query.js";
import { type IndexTerm, indexTerms } from "./record-index.js";

/** Options for {@link openLmdbAuditStore}. */
export interface LmdbAuditStoreOptions {
  /** Directory holding the LMDB environment (`data.mdb`, `lock.mdb`); created if missing. */
  path: string;
  /** Appends waiting for the disk beyond which new ones are refused. Default 10,000. */
  maxPending?: number;
  /** Told about each committed batch (size, seconds) and each refused append. */
  events?: AuditStoreEvents;
}

/** Hooks for metrics and checkpointing; the store never depends on either. */
export interface AuditStoreEvents {
  /** A batch of appends is durable; `head` is its last entry. */
  committed?(batchSize: number, seconds: number, head: AppendReceipt): void;
  /** An append was refused: `overloaded` (queue full) or `unavailable` (write failed). */
  rejected?(reason: "overloaded" | "unavailable"): void;
}

/** The LMDB databases of one audit store. */
export interface LmdbDatabases {
  log: Database<Buffer, number>;
  ids: Database<number, string>;
  index: Database<Buffer, [string, string | number, number]>;
}

interface PendingAppend {
  sequence: number;
  id: string;
  bytes: Buffer;
  terms: IndexTerm[];
  receipt: AppendReceipt;
  resolve(receipt: AppendReceipt): void;
  reject(error: Error): void;
}

const emptyValue = Buffer.alloc(0);

/** Batches written at once: one syncing while the next is written. */
const maxBatchesInFlight = 2;

/**
 * Opens the embedded audit store, refusing a damaged one (`StoreCorruptedError`). Entries live
 * in `log` keyed by sequence, as the protobuf bytes that were hashed; `ids` maps record ids to
 * sequences; `index` holds `[field, value, sequence]` keys for queries; `checkpoints` and
 * `meta` hold what the signer produced. Appends arriving while a batch is being written share
 * the next transaction and fsync (group commit); chain order is fixed before queuing, so
 * batching never reorders the chain.
 */
export async function openLmdbAuditStore(options: LmdbAuditStoreOptions): Promise<AuditStore> {
  await checkLmdbFiles(options.path);
  const root: RootDatabase = open({ path: options.path, maxDbs: 8 });
  const dbs: LmdbDatabases = {
    log: root.openDB({ name: "log", encoding: "binary" }),
    ids: root.openDB({ name: "ids", encoding: "ordered-binary" }),
    index: root.openDB({ name: "index", encoding: "binary" }),
  };
  const checkpointDb: Database<Buffer, number> = root.openDB({
    name: "checkpoints",
    encoding: "binary",
  });
  const meta: Database<Buffer | number, string> = root.openDB({
    name: "meta",
    encoding: "msgpack",
  });
  const maxPending = options.maxPending ?? 10_000;
  const events = options.events ?? {};

  let anchor = readAnchor(meta);
  let first = anchor ? anchor.firstSequence : 1n;
  let head: AppendReceipt = readHead(dbs.log, anchor);
  let lastTimeMs =
    head.sequence > 0n
      ? readEntryFields(dbs.log.get(Number(head.sequence)) ?? emptyValue).timeMs
      : 0;
  let keptBytes = Number(meta.get("keptBytes") ?? 0);
  let queue: PendingAppend[] = [];
  // Appends handed to LMDB and not yet durable, and the batches they are in.
  let inFlight = 0;
  let batchesInFlight = 0;
  let scheduled = false;
  // Told once nothing is queued or in flight (close() waits for that).
  const idleWaiters: (() => void)[] = [];
  // Once a write fails the in-memory head may be ahead of disk; refuse further appends.
  let broken: string | undefined;

  const decode = (bytes: Buffer | undefined): AuditRecord | undefined => {
    if (!bytes) return undefined;
    const record = fromBinary(AuditRecordSchema, bytes);
    record.hash = entryHash(bytes);
    return record;
  };

  const fail = (batch: PendingAppend[], error: unknown) => {
    broken ??= describeError(error);
    const failure = new StoreUnavailableError(`audit write failed: ${broken}`, { cause: error });
    for (const p of [...batch, ...queue]) p.reject(failure);
    inFlight -= batch.length;
    queue = [];
    events.rejected?.("unavailable");
  };

  const writeBatch = async (batch: PendingAppend[]) => {
    const started = performance.now();
    const batchBytes = batch.reduce((sum, p) => sum + p.bytes.length, 0);
    const previous = (batch[0]?.sequence ?? 1) - 1;
    try {
      await root.transaction(() => {
        // Batches overlap, so the one before may have failed after this one was queued: a
        // batch only lands if the chain on disk reaches it, never leaving a gap behind.
        if (previous >= Number(first) && dbs.log.get(previous) === undefined) {
          throw new Error(`entry ${previous} was not written`);
        }
        for (const p of batch) {
          dbs.log.put(p.sequence, p.bytes);
          dbs.ids.put(p.id, p.sequence);
          for (const [field, value] of p.terms) {
            dbs.index.put([field, value, p.sequence], emptyValue);
          }
        }
        // Read inside the transaction: a prune may have committed between two batches.
        meta.put("keptBytes", Number(meta.get("keptBytes") ?? 0) + batchBytes);
      });
      // overlappingSync resolves on commit; durability needs the flush.
      await root.flushed;
    } catch (error) {
      fail(batch, error);
      return;
    }
    keptBytes += batchBytes;
    inFlight -= batch.length;
    for (const p of batch) p.resolve(p.receipt);
    const last = batch.at(-1);
    if (last) events.committed?.(batch.length, (performance.now() - started) / 1000, last.receipt);
  };

  // Group commit: appends arriving in one event-loop turn share a transaction and an fsync,
  // and while one batch syncs the next is already written, so the disk and the CPU overlap.
  const pump = () => {
    while (queue.length > 0 && batchesInFlight < maxBatchesInFlight && !broken) {
      const batch = queue;
      queue = [];
      inFlight += batch.length;
      batchesInFlight++;
      void writeBatch(batch).finally(() => {
        batchesInFlight--;
        schedule();
      });
    }
    if (queue.length === 0 && batchesInFlight === 0) {
      for (const wake of idleWaiters.splice(0)) wake();
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    // Let every append of this event-loop turn join the batch.
    setImmediate(() => {
      scheduled = false;
      pump();
    });
  };

  return {
    append(record) {
      if (broken) {
        events.rejected?.("unavailable");
        return Promise.reject(new StoreUnavailableError(`audit store is unavailable: ${broken}`));
      }
      if (queue.length + inFlight >= maxPending) {
        events.rejected?.("overloaded");
        return Promise.reject(
          new AuditOverloadedError(
            `audit store is behind: ${queue.length + inFlight} writes waiting (limit ${maxPending}); nothing was recorded, retry later`,
          ),
        );
      }
      const sequence = head.sequence + 1n;
      // The store owns the record (see AuditStore.append): no copy, which cost as much again
      // as serialising it.
      const entry = record;
      entry.sequence = sequence;
      entry.prevHash = head.hash;
      entry.hash = "";
      // Times never go backwards along the chain, so a time range is a range of sequences.
      const timeMs = entry.time ? timestampDate(entry.time).getTime() : Date.now();
      if (!entry.time || timeMs < lastTimeMs)
        entry.time = timestampFromMs(Math.max(timeMs, lastTimeMs));
      lastTimeMs = Math.max(timeMs, lastTimeMs);
      const encoded = toBinary(AuditRecordSchema, entry);
      const bytes = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
      const receipt = { sequence, hash: entryHash(bytes) };
      head = receipt;
      return new Promise<AppendReceipt>((resolve, reject) => {
        queue.push({
          sequence: Number(sequence),
          id: entry.id,
          bytes,
          terms: indexTerms(entry),
          receipt,
          resolve,
          reject,
        });
        schedule();
      });
    },

    async get(id) {
      const sequence = dbs.ids.get(id);
      return sequence === undefined ? undefined : decode(dbs.log.get(sequence));
    },

    async getBySequence(sequence) {
      return decode(dbs.log.get(Number(sequence)));
    },

    async query(query) {
      const page = queryLog(dbs, query, {
        first,
        head: head.sequence,
        timeBounds: (ms) => sequenceAtTime(dbs.log, first, head.sequence, ms),
      });
      return {
        records: page.entries.flatMap((bytes) => decode(bytes) ?? []),
        next: page.next,
      };
    },

    async *entries(from, to) {
      let count = 0;
      for (const { key, value } of dbs.log.getRange({ start: Number(from), end: Number(to) + 1 })) {
        yield { sequence: BigInt(key), bytes: value } satisfies StoredEntry;
        // Long walks (verification, export) must not starve other requests.
        if (++count % 2000 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },

    async sequenceAtTime(timeMs) {
      return sequenceAtTime(dbs.log, first, head.sequence, timeMs);
    },

    head: () => head,
    first: () => first,
    keptBytes: () => keptBytes,

    async putCheckpoint(checkpoint) {
      await checkpointDb.put(
        Number(checkpoint.size),
        Buffer.from(toBinary(CheckpointSchema, checkpoint)),
      );
      await root.flushed;
    },

    async checkpoints(afterSize, limit) {
      const found: Checkpoint[] = [];
      for (const { value } of checkpointDb.getRange({ start: Number(afterSize) + 1, limit })) {
        found.push(fromBinary(CheckpointSchema, value));
      }
      return found;
    },

    anchor: () => anchor,

    async prune(next) {
      const through = next.firstSequence - 1n;
      if (through < first) return 0;
      if (through > head.sequence) throw new RangeError("cannot prune past the head of the log");
      let removed = 0;
      let removedBytes = 0;
      await root.transaction(() => {
        for (const { key, value } of dbs.log.getRange({
          start: Number(first),
          end: Number(through) + 1,
        })) {
          const record = fromBinary(AuditRecordSchema, value);
          for (const [field, v] of indexTerms(record)) dbs.index.remove([field, v, key]);
          dbs.ids.remove(record.id);
          dbs.log.remove(key);
          removed++;
          removedBytes += value.length;
        }
        meta.put("anchor", Buffer.from(toBinary(RetentionAnchorSchema, next)));
        meta.put("keptBytes", Number(meta.get("keptBytes") ?? 0) - removedBytes);
      });
      await root.flushed;
      keptBytes -= removedBytes;
      anchor = next;
      first = next.firstSequence;
      return removed;
    },

    async close() {
      if (queue.length > 0 || batchesInFlight > 0) {
        await new Promise<void>((resolve) => idleWaiters.push(resolve));
      }
      await root.flushed;
      await root.close();
    },
  };
}

function readAnchor(meta: Database<Buffer | number, string>): RetentionAnchor | undefined {
  const bytes = meta.get("anchor");
  return bytes instanceof Uint8Array ? fromBinary(RetentionAnchorSchema, bytes) : undefined;
}

function readHead(
  log: Database<Buffer, number>,
  anchor: RetentionAnchor | undefined,
): AppendReceipt {
  for (const { key, value } of log.getRange({ reverse: true, limit: 1 })) {
    return { sequence: BigInt(key), hash: entryHash(value) };
  }
  // Everything was pruned: the chain continues from the anchor.
  return anchor
    ? { sequence: anchor.firstSequence - 1n, hash: anchor.prevHash }
    : { sequence: 0n, hash: genesisHash };
}

/** Binary search over sequences: entry times never decrease along the chain. */
function sequenceAtTime(
  log: Database<Buffer, number>,
  first: bigint,
  head: bigint,
  timeMs: number,
): bigint {
  let lo = Number(first);
  let hi = Number(head) + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const bytes = log.get(mid);
    if (bytes && readEntryFields(bytes).timeMs < timeMs) lo = mid + 1;
    else hi = mid;
  }
  return BigInt(lo);
}
