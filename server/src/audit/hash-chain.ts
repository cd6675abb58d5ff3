import { createHash } from "node:crypto";

/** The `prev_hash` of the first entry. */
export const genesisHash = "0".repeat(64);

/**
 * Hash of one log entry. The entry's bytes are the record serialised with its `prev_hash`
 * set and `hash` empty, so each hash covers the previous one and a change anywhere in the
 * chain breaks every later link.
 */
export function entryHash(entryBytes: Uint8Array): string {
  return createHash("sha256").update(entryBytes).digest("hex");
}
