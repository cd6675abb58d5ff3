import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { v7 as uuidv7 } from "uuid";
import { AuditRecordKind, AuditRecordSchema } from "../../../gen/vigil/v1/audit_pb.js";
import type { AuditConfig } from "../config/audit-config.js";
import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";
import { type AuditSigner, loadAuditSigner } from "./audit-signer.js";
import type { AuditStore } from "./audit-store.js";
import { type Checkpointer, createCheckpointer } from "./checkpointer.js";
import { openLmdbAuditStore } from "./lmdb-audit-store.js";
import { createRetention, type Retention } from "./retention.js";

/** Options for {@link openAuditTrail}. */
export interface AuditTrailOptions {
  /** LMDB environment directory. */
  path: string;
  config: AuditConfig;
  logger: Logger;
  metrics: Metrics;
}

/** The store with the jobs that keep it verifiable: checkpoints and retention. */
export interface AuditTrail {
  store: AuditStore;
  signer: AuditSigner;
  checkpointer: Checkpointer;
  retention: Retention;
  /** Stops the jobs, signs a last checkpoint and closes the store. */
  close(): Promise<void>;
}

/**
 * Opens the audit trail: refuses a damaged store, loads (or creates) the signing key outside
 * it, starts checkpointing every N entries / T ms and pruning by age or size.
 */
export async function openAuditTrail(options: AuditTrailOptions): Promise<AuditTrail> {
  const { config, logger, metrics } = options;
  const signer = await loadAuditSigner(config.signingKeyFile);
  let checkpointer: Checkpointer | undefined;
  const store = await openLmdbAuditStore({
    path: options.path,
    maxPending: config.maxPending,
    events: {
      committed(size, seconds, head) {
        metrics.auditBatchSize.observe(size);
        metrics.auditCommitSeconds.observe(seconds);
        checkpointer?.committed(head);
      },
      rejected(reason) {
        metrics.auditRejected.inc({ reason });
      },
    },
  });
  checkpointer = await createCheckpointer({
    store,
    signer,
    logger,
    everyEntries: config.checkpointEvery,
    intervalMs: config.checkpointIntervalMs,
  });
  const retention = createRetention({
    store,
    signer,
    logger,
    maxAgeMs: config.retentionMaxAgeMs,
    maxBytes: config.retentionMaxBytes,
    intervalMs: config.retentionIntervalMs,
    // Pruning is itself on the record: who can say what was removed, and when.
    onPruned: ({ from, to }) =>
      store.append(
        create(AuditRecordSchema, {
          id: uuidv7(),
          time: timestampFromDate(new Date()),
          kind: AuditRecordKind.ADMIN,
          action: "audit.retention.prune",
          attributes: { from_sequence: String(from), to_sequence: String(to) },
        }),
      ),
  });
  logger.info(
    {
      entries: String(store.head().sequence),
      firstSequence: String(store.first()),
      signingKeyId: signer.keyId,
    },
    "audit trail open",
  );
  return {
    store,
    signer,
    checkpointer,
    retention,
    async close() {
      await retention.close();
      await checkpointer?.close();
      await store.close();
    },
  };
}
