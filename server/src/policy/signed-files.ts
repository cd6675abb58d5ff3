import { createHash } from "node:crypto";
import { quoteUntrusted as quote } from "../errors.js";
import { canonicalJson } from "./canonical-json.js";

/**
 * The files a bundle signature lists, checked against the bundle's files the way OPA checks them
 * (`v1/bundle/verify.go`, `hash.go`, `IsStructuredDoc` in `bundle.go`; confirmed against opa
 * 1.22): data files and manifests are hashed as canonical JSON of their parsed value, every other
 * file as its raw bytes.
 */

/**
 * OPA's hash algorithm names mapped to `node:crypto` names. OPA also accepts MD5 and SHA-1; they
 * are left out on purpose because a signer could choose them to make collisions affordable.
 */
const hashAlgorithms: ReadonlyMap<string, string> = new Map([
  ["SHA-224", "sha224"],
  ["SHA-256", "sha256"],
  ["SHA-384", "sha384"],
  ["SHA-512", "sha512"],
  ["SHA-512-224", "sha512-224"],
  ["SHA-512-256", "sha512-256"],
]);

/** The hash algorithm names (OPA's spelling) a signature may use for its files. */
export const supportedHashAlgorithms: readonly string[] = [...hashAlgorithms.keys()];

/**
 * True for the files OPA hashes as parsed JSON rather than as bytes: `data.json`, `data.yaml`,
 * `data.yml` and `.manifest`, in any directory. Other `.json` files are hashed as bytes. (Older
 * OPA sources list `signatures.json` and not `data.yml`; opa 1.22 behaves as here.)
 */
export function isStructuredFile(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return structuredNames.has(base);
}

const structuredNames = new Set(["data.json", "data.yaml", "data.yml", ".manifest"]);

/**
 * Hashes one bundle file the way OPA does. Returns `undefined` when `algorithm` is not one of
 * {@link supportedHashAlgorithms}; throws a `SyntaxError` when a structured file is not JSON
 * (OPA would also try YAML; Vigil does not read YAML).
 */
export function hashBundleFile(
  path: string,
  content: Buffer,
  algorithm: string,
): Buffer | undefined {
  const nodeName = hashAlgorithms.get(algorithm);
  if (!nodeName) return undefined;
  const hash = createHash(nodeName);
  hash.update(isStructuredFile(path) ? Buffer.from(canonicalJson(content), "utf8") : content);
  return hash.digest();
}

/** One file's entry in a signature's payload. */
export interface SignedFile {
  /** The digest in hex. */
  hash: string;
  /** OPA's name for the hash algorithm, e.g. `SHA-256`. */
  algorithm: string;
}

/**
 * Checks that `files` (the bundle's files apart from `.signatures.json`) are exactly the `signed`
 * ones, each with its signed digest. Throws what `fail` makes of the first problem; returns how
 * many files were checked.
 */
export function checkSignedFiles(
  files: ReadonlyMap<string, Buffer>,
  signed: ReadonlyMap<string, SignedFile>,
  fail: (problem: string, cause?: unknown) => Error,
): number {
  const present = [...files.keys()].sort();
  const unsigned = present.filter((path) => !signed.has(path));
  if (unsigned.length > 0) throw fail(`${listNames(unsigned)} not covered by the signature`);
  const missing = [...signed.keys()].filter((name) => !files.has(name)).sort();
  if (missing.length > 0) {
    throw fail(`${listNames(missing)} listed in the signature but missing from the bundle`);
  }
  for (const path of present) {
    const { hash, algorithm } = signed.get(path) as SignedFile;
    if (!hashAlgorithms.has(algorithm)) {
      throw fail(
        `file ${quote(path)} is signed with unsupported hash algorithm ${quote(algorithm)} ` +
          `(supported: ${supportedHashAlgorithms.join(", ")})`,
      );
    }
    // Hex in either case, as Go's hex.DecodeString reads it.
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(hash)) {
      throw fail(`file ${quote(path)} has a malformed signed digest`);
    }
    let digest: Buffer | undefined;
    try {
      digest = hashBundleFile(path, files.get(path) as Buffer, algorithm);
    } catch (error) {
      throw fail(`file ${quote(path)} cannot be hashed: it is not valid JSON`, error);
    }
    if (!digest?.equals(Buffer.from(hash, "hex"))) {
      throw fail(`file ${quote(path)} does not match its signed ${algorithm} digest`);
    }
  }
  return present.length;
}

/** `file "a" is`, or `files "a", "b", "c" and 2 more are`. */
function listNames(names: string[]): string {
  const shown = names.slice(0, 3).map(quote).join(", ");
  const more = names.length > 3 ? ` and ${names.length - 3} more` : "";
  return names.length === 1 ? `file ${shown} is` : `files ${shown}${more} are`;
}
