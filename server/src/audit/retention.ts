import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { RetentionAnchorSchema } from "../../../gen/vigil/v1/audit_pb.js";
import { describeError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import { type AuditSigner, anchorMessage } from "./audit-signer.js";
import type { AuditStore } from "./audit-store.js";
import { entryHash } from "./hash-chain.js";

/** Options for {@link createRetention}. */
export interface RetentionOptions {
  store: AuditStore;
  signer: AuditSigner;
  logger: Logger;
  /** Entries older than this are pruned. Default: kept forever. */
  maxAgeMs?: number | undefined;
  /** The oldest entries are pruned while the kept entries exceed this many bytes. Default: no bound. */
  maxBytes?: number | undefined;
  /** How often to prune. Default 60 s. */
  intervalMs?: number;
  /** Entries removed per transaction, so pruning never holds the writer for long. Default 1000. */
  batchEntries?: number;
  /** Told after each pruning run that removed something (e.g. to record an admin entry). */
  onPruned?: (pruned: { from: bigint; to: bigint }) => Promise<unknown> | undefined;
  /** Clock, for tests. Default `new Date()`. */
  now?: () => Date;
}

/** Prunes the log's oldest entries by age or size. */
export interface Retention {
  /** Prunes now; resolves with the number of entries removed. */
  run(): Promise<number>;
  /** Stops the timer and waits for a run in progress. */
  close(): Promise<void>;
}

/**
 * Creates the retention job. It only ever removes a prefix of the log, and every batch
 * replaces the signed anchor (first kept sequence, the hash it chains from) in the same
 * transaction, so the kept chain verifies at every moment, even after a crash mid-prune.
 * The newest entry is always kept: it is the chain's head.
 */
export function createRetention(options: RetentionOptions): Retention {
  const { store, signer, logger } = options;
  const now = options.now ?? (() => new Date());
  const batch = BigInt(options.batchEntries ?? 1000);
  let running: Promise<number> | undefined;

  const cutoff = async (): Promise<bigint> => {
    let cut = store.first() - 1n;
    if (options.maxAgeMs !== undefined) {
      const kept = await store.sequenceAtTime(now().getTime() - options.maxAgeMs);
      if (kept - 1n > cut) cut = kept - 1n;
    }
    if (options.maxBytes !== undefined && store.keptBytes() > options.maxBytes) {
      let excess = store.keptBytes() - options.maxBytes;
      for await (const entry of store.entries(store.first(), store.head().sequence)) {
        if (excess <= 0) break;
        excess -= entry.bytes.length;
        if (entry.sequence > cut) cut = entry.sequence;
      }
    }
    const newestKept = store.head().sequence - 1n;
    return cut < newestKept ? cut : newestKept;
  };

  const prune = async (): Promise<number> => {
    const from = store.first();
    const cut = await cutoff();
    let removed = 0;
    while (store.first() <= cut) {
      const end = store.first() + batch - 1n < cut ? store.first() + batch - 1n : cut;
      let prevHash: string | undefined;
      for await (const entry of store.entries(end, end)) prevHash = entryHash(entry.bytes);
      if (prevHash === undefined) break;
      const anchor = create(RetentionAnchorSchema, {
        firstSequence: end + 1n,
        prevHash,
        time: timestampFromDate(now()),
        keyId: signer.keyId,
      });
      anchor.signature = signer.sign(anchorMessage(anchor.firstSequence, prevHash, anchor.time));
      removed += await store.prune(anchor);
    }
    if (removed > 0) {
      logger.info(
        { from: String(from), to: String(store.first() - 1n), removed },
        "audit retention pruned entries",
      );
      await options.onPruned?.({ from, to: store.first() - 1n });
    }
    return removed;
  };

  const run = () => {
    running ??= prune().finally(() => {
      running = undefined;
    });
    return running;
  };
  const enabled = options.maxAgeMs !== undefined || options.maxBytes !== undefined;
  const timer = enabled
    ? setInterval(() => {
        run().catch((error: unknown) => {
          logger.error({ err: describeError(error) }, "audit retention failed");
        });
      }, options.intervalMs ?? 60_000)
    : undefined;
  timer?.unref();

  return {
    run,
    async close() {
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
