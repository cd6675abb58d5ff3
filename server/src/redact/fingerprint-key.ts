import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { ConfigError } from "../errors.js";

/**
 * Reads the HMAC key that fingerprints findings, creating a random 32-byte key (mode 0600) on
 * first use. It lives in its own file, not in LMDB: whoever holds the audit store alone cannot
 * test guesses against the fingerprints in it.
 */
export async function loadFingerprintKey(path: string): Promise<Buffer> {
  const existing = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new ConfigError(
      `cannot read the fingerprint key ${path}: ${error.code ?? error.message}`,
    );
  });
  if (existing) {
    if (existing.length < 32) {
      throw new ConfigError(`the fingerprint key ${path} is shorter than 32 bytes`);
    }
    return existing;
  }
  const key = randomBytes(32);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // "wx": never overwrite a key another process created in the meantime.
  await writeFile(path, key, { mode: 0o600, flag: "wx" }).catch(
    async (error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    },
  );
  return readFile(path);
}
