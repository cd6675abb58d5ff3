import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Checkpoint, CheckpointSchema } from "../../../gen/vigil/v1/audit_pb.js";
import { describeError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import { type AuditSigner, checkpointMessage } from "./audit-signer.js";
import type { AppendReceipt, AuditStore } from "./audit-store.js";

/** Options for {@link createCheckpointer}. */
export interface CheckpointerOptions {
  store: AuditStore;
  signer: AuditSigner;
  logger: Logger;
  /** Sign a checkpoint once this many entries were appended since the last one. Default 1000. */
  everyEntries?: number;
  /** …or once this long has passed with new entries. Default 60 s; 0 disables the timer. */
  intervalMs?: number;
  /** Clock, for tests. Default `new Date()`. */
  now?: () => Date;
}

/** Writes signed checkpoints of the durable head. */
export interface Checkpointer {
  /** Tell it a batch is durable (wired to the store's `committed` event). */
  committed(head: AppendReceipt): void;
  /** Signs the durable head now, unless the last checkpoint already covers it. */
  checkpoint(): Promise<Checkpoint | undefined>;
  /** Stops the timer and signs a final checkpoint. */
  close(): Promise<void>;
}

/** Signs one checkpoint of `head` at `time`. */
export function signCheckpoint(signer: AuditSigner, head: AppendReceipt, time: Date): Checkpoint {
  const checkpoint = create(CheckpointSchema, {
    size: head.sequence,
    headHash: head.hash,
    time: timestampFromDate(time),
    keyId: signer.keyId,
    publicKey: signer.publicKey,
  });
  checkpoint.signature = signer.sign(
    checkpointMessage(checkpoint.size, checkpoint.headHash, checkpoint.time),
  );
  return checkpoint;
}

/**
 * Creates the checkpointer: every N entries or T seconds it signs (Ed25519) the size and head
 * hash of the durable log and stores the checkpoint. Exported checkpoints let an auditor
 * detect a rewrite of the whole store, which the chain alone cannot show.
 */
export async function createCheckpointer(options: CheckpointerOptions): Promise<Checkpointer> {
  const { store, signer, logger } = options;
  const everyEntries = BigInt(options.everyEntries ?? 1000);
  const now = options.now ?? (() => new Date());
  let covered = (await lastCheckpoint(store))?.size ?? 0n;
  let durable: AppendReceipt = store.head();
  let writing: Promise<unknown> | undefined;

  const checkpoint = async (): Promise<Checkpoint | undefined> => {
    while (writing) await writing;
    const head = durable;
    if (head.sequence <= covered) return undefined;
    const signed = signCheckpoint(signer, head, now());
    const write = store.putCheckpoint(signed).then(() => {
      covered = head.sequence;
    });
    writing = write
      .catch(() => undefined)
      .finally(() => {
        writing = undefined;
      });
    await write;
    return signed;
  };
  const checkpointQuietly = () =>
    void checkpoint().catch((error: unknown) => {
      logger.error({ err: describeError(error) }, "audit checkpoint failed");
    });

  const interval = options.intervalMs ?? 60_000;
  const timer = interval > 0 ? setInterval(checkpointQuietly, interval) : undefined;
  timer?.unref();

  return {
    committed(head) {
      durable = head;
      if (head.sequence - covered >= everyEntries && !writing) checkpointQuietly();
    },
    checkpoint,
    async close() {
      if (timer) clearInterval(timer);
      await checkpoint();
    },
  };
}

async function lastCheckpoint(store: AuditStore): Promise<Checkpoint | undefined> {
  // Checkpoints are few (one per thousand entries); walking them once at start is cheap.
  let last: Checkpoint | undefined;
  for (;;) {
    const page = await store.checkpoints(last?.size ?? 0n, 1000);
    if (page.length === 0) return last;
    last = page.at(-1);
  }
}
