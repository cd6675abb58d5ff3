import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { ConfigError } from "../errors.js";

/** Signs checkpoints and retention anchors with the Ed25519 key kept outside the store. */
export interface AuditSigner {
  /** First 16 hex digits of the SHA-256 of the raw public key. */
  keyId: string;
  /** The raw 32-byte public key. */
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
  /** Checks a signature against this key, or against `publicKey` when given. */
  verify(message: Uint8Array, signature: Uint8Array, publicKey?: Uint8Array): boolean;
}

/** What a checkpoint signature covers, as one line of text. */
export function checkpointMessage(
  size: bigint,
  headHash: string,
  time: Timestamp | undefined,
): Buffer {
  return Buffer.from(`vigil.audit.checkpoint.v1\n${size}\n${headHash}\n${timeText(time)}`);
}

/** What a retention anchor signature covers. */
export function anchorMessage(
  firstSequence: bigint,
  prevHash: string,
  time: Timestamp | undefined,
): Buffer {
  return Buffer.from(`vigil.audit.anchor.v1\n${firstSequence}\n${prevHash}\n${timeText(time)}`);
}

// Seconds and nanoseconds exactly, so a verifier in any language rebuilds the same bytes.
function timeText(time: Timestamp | undefined): string {
  return `${time?.seconds ?? 0n}.${String(time?.nanos ?? 0).padStart(9, "0")}`;
}

// The DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw key follows it.
const spkiPrefix = Buffer.from("302a300506032b6570032100", "hex");

/**
 * Reads the PKCS#8 PEM Ed25519 key at `path`, creating one (mode 0600) on first use. It lives
 * outside the LMDB files so that whoever can rewrite the store cannot also re-sign it; keep it
 * on a different volume or mount it read-only in production.
 */
export async function loadAuditSigner(path: string): Promise<AuditSigner> {
  const pem = await readFile(path, "utf8").catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") {
      throw new ConfigError(
        `cannot read the audit signing key ${path}: ${error.code ?? error.message}`,
      );
    }
    const { privateKey } = generateKeyPairSync("ed25519");
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // "wx": never overwrite a key another process created in the meantime.
    await writeFile(path, privateKey.export({ type: "pkcs8", format: "pem" }), {
      mode: 0o600,
      flag: "wx",
    }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
    });
    return readFile(path, "utf8");
  });
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new ConfigError(`the audit signing key ${path} is not a PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new ConfigError(`the audit signing key ${path} is not an Ed25519 key`);
  }
  return createSigner(privateKey);
}

function createSigner(privateKey: KeyObject): AuditSigner {
  const spki = createPublicKey(privateKey).export({ type: "spki", format: "der" });
  const publicKey = new Uint8Array(spki.subarray(spkiPrefix.length));
  const ownKey = createPublicKey(privateKey);
  return {
    keyId: createHash("sha256").update(publicKey).digest("hex").slice(0, 16),
    publicKey,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
    verify(message, signature, other) {
      try {
        const key =
          other && other.length > 0
            ? createPublicKey({
                key: Buffer.concat([spkiPrefix, other]),
                format: "der",
                type: "spki",
              })
            : ownKey;
        return verify(null, message, key, signature);
      } catch {
        return false;
      }
    },
  };
}
