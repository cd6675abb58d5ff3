import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { open } from "lmdb";
import { AuditRecordSchema } from "../../gen/vigil/v1/audit_pb.js";
import { entryHash } from "../../server/src/audit/hash-chain.js";

/**
 * What an attacker with write access to the data volume (but not the signing key) can do to
 * the audit store, done through LMDB itself so the file stays a valid database. The server
 * must be stopped.
 */
function openRaw(auditDir: string) {
  const root = open({ path: auditDir, maxDbs: 8 });
  return {
    root,
    log: root.openDB<Buffer, number>({ name: "log", encoding: "binary" }),
    checkpoints: root.openDB<Buffer, number>({ name: "checkpoints", encoding: "binary" }),
  };
}

/**
 * Flips one byte inside entry `sequence`: the first byte of its `action` text, so the entry
 * still decodes and only the hash chain can tell.
 */
export async function flipStoredByte(auditDir: string, sequence: number): Promise<void> {
  const { root, log } = openRaw(auditDir);
  const bytes = Buffer.from(log.get(sequence) ?? Buffer.alloc(0));
  const action = fromBinary(AuditRecordSchema, bytes).action;
  const at = bytes.indexOf(Buffer.from(action));
  if (action === "" || at < 0) throw new Error(`entry ${sequence} has no action to flip`);
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  await log.put(sequence, bytes);
  await root.close();
}

/**
 * Rewrites the store consistently from `sequence` on: changes that entry's action, re-links
 * every later entry to the new hashes, and deletes the stored checkpoints that would betray
 * it. Only a checkpoint kept outside the store can show this.
 */
export async function rewriteStore(
  auditDir: string,
  sequence: number,
  action: string,
): Promise<void> {
  const { root, log, checkpoints } = openRaw(auditDir);
  let prev: string | undefined;
  await root.transaction(() => {
    for (const { key, value } of log.getRange({ start: sequence })) {
      const record = fromBinary(AuditRecordSchema, value);
      if (key === sequence) record.action = action;
      if (prev !== undefined) record.prevHash = prev;
      const bytes = Buffer.from(toBinary(AuditRecordSchema, record));
      log.put(key, bytes);
      prev = entryHash(bytes);
    }
    for (const key of checkpoints.getKeys()) checkpoints.remove(key);
  });
  await root.close();
}

/** Deletes every entry after `keep`, and the stored checkpoints beyond it. */
export async function cutStore(auditDir: string, keep: number): Promise<void> {
  const { root, log, checkpoints } = openRaw(auditDir);
  await root.transaction(() => {
    for (const key of log.getKeys({ start: keep + 1 })) log.remove(key);
    for (const key of checkpoints.getKeys({ start: keep + 1 })) checkpoints.remove(key);
  });
  await root.close();
}
