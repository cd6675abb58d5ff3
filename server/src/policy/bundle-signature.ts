import type { KeyObject } from "node:crypto";
import { compactVerify, decodeProtectedHeader, errors as jose } from "jose";
import { BundleSignatureError, quoteUntrusted as quote } from "../errors.js";
import type { BundleSignature } from "./bundle-reader.js";
import { checkSignedFiles, type SignedFile } from "./signed-files.js";
import { parseVerificationKey } from "./signing-key.js";

/** Options for {@link createBundleVerifier}. */
export interface BundleVerifierOptions {
  /**
   * The PEM public key whose private half signs bundles: an SPKI (`PUBLIC KEY`) or PKCS#1
   * (`RSA PUBLIC KEY`) RSA key of at least 2048 bits, an ECDSA P-256, P-384 or P-521 key, or an
   * Ed25519 key. An X.509 certificate holding such a key also works. Required; a private key is
   * refused so it cannot end up on the server by mistake.
   */
  publicKey: string;
  /**
   * The key id signatures must name. OPA picks the verification key by the JWS `kid` header, or
   * the deprecated `keyid` claim when there is no `kid`, so when this is set that id must equal
   * it and a signature naming no key is rejected. Default: unset, any id or none is accepted,
   * like OPA when a bundle's `signing.keyid` pins the key.
   */
  keyId?: string;
  /**
   * The scope the signature's `scope` claim must equal. As in OPA, an unset scope is the empty
   * scope: a signature that carries a scope is then rejected. Default: unset.
   */
  scope?: string;
  /**
   * JWS algorithms to accept; each must suit the key. Default: every one that suits it —
   * RS256/384/512 and PS256/384/512 for RSA, ES256, ES384 or ES512 by curve, EdDSA and Ed25519
   * for Ed25519. `none` and the HMAC algorithms are never accepted.
   */
  algorithms?: readonly string[];
}

/** What a successful verification proved. */
export interface VerifiedSignature extends BundleSignature {
  /** How many bundle files the signature covered, all of them checked. */
  files: number;
}

/** Checks OPA bundle signatures (`.signatures.json`) against one configured public key. */
export interface BundleVerifier {
  /**
   * Verifies an unpacked bundle (`files` by path without a leading slash, as `readBundle`
   * unpacks them): the JWS must be signed by the configured key, name the configured key id and
   * scope, and list exactly the bundle's files with matching digests. Throws
   * {@link BundleSignatureError} saying which check failed; `source` names the bundle in it.
   */
  verify(files: ReadonlyMap<string, Buffer>, source: string): Promise<VerifiedSignature>;
}

/** The signature file's name at the bundle root. */
const signaturesFile = ".signatures.json";

/**
 * Creates a verifier for OPA's signed bundles, as written by `opa build --signing-key` or
 * `opa sign`. Throws {@link ConfigError} when the key or the algorithms cannot be used.
 */
export function createBundleVerifier(options: BundleVerifierOptions): BundleVerifier {
  const { key, algorithms } = parseVerificationKey(options.publicKey, options.algorithms);
  return {
    async verify(files, source) {
      const fail = (problem: string, cause?: unknown) =>
        new BundleSignatureError(
          `bundle ${source}: ${problem}`,
          cause === undefined ? undefined : { cause },
        );
      const token = readToken(files, fail);
      const header = decodeHeader(token, fail);
      if (typeof header.alg !== "string" || !algorithms.includes(header.alg)) {
        throw fail(
          `the signature uses algorithm ${quote(String(header.alg))}, which is not allowed ` +
            `(allowed: ${algorithms.join(", ")})`,
        );
      }
      // OPA chooses the key by `kid`, then by the deprecated `keyid` claim. Read before the
      // signature is checked, so it may only reject: a key rotation then reads as a key id
      // mismatch rather than as a bad signature.
      const signedKeyId =
        (typeof header.kid === "string" && header.kid) || unverifiedKeyIdClaim(token) || "";
      if (options.keyId !== undefined && signedKeyId !== options.keyId) {
        throw fail(
          signedKeyId
            ? `the signature names key id ${quote(signedKeyId)}, expected ${quote(options.keyId)}`
            : `the signature names no key id, expected ${quote(options.keyId)}`,
        );
      }
      const payload = parsePayload(await verifyToken(token, key, algorithms, fail), fail);
      if ((payload.scope ?? "") !== (options.scope ?? "")) {
        throw fail(
          `the signature's scope ${quote(payload.scope ?? "")} does not match ` +
            `the configured scope ${quote(options.scope ?? "")}`,
        );
      }
      const bundleFiles = new Map(files);
      bundleFiles.delete(signaturesFile);
      const covered = checkSignedFiles(bundleFiles, payload.files, fail);
      return { keyId: options.keyId ?? signedKeyId, algorithm: header.alg, files: covered };
    },
  };
}

type Fail = (problem: string, cause?: unknown) => BundleSignatureError;

/** The one JWS in `.signatures.json`; OPA accepts exactly one, from its default signer. */
function readToken(files: ReadonlyMap<string, Buffer>, fail: Fail): string {
  const bytes = files.get(signaturesFile);
  if (!bytes) throw fail(`it is not signed (no ${signaturesFile})`);
  for (const path of files.keys()) {
    // OPA refuses a bundle with more than one signatures file rather than pick one.
    if (path !== signaturesFile && path.endsWith(`/${signaturesFile}`)) {
      throw fail(`it has a second signatures file ${quote(path)}`);
    }
  }
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw fail(`${signaturesFile} is not valid JSON`, error);
  }
  const { signatures, plugin } = (isRecord(document) ? document : {}) as Record<string, unknown>;
  if (!Array.isArray(signatures) || !signatures.every((s) => typeof s === "string")) {
    throw fail(`${signaturesFile} is malformed: it needs a "signatures" list of JWS strings`);
  }
  // A custom plugin signs in ways only its own verifier knows; "_default" is what opa writes.
  if (plugin !== undefined && plugin !== "" && plugin !== "_default") {
    throw fail(
      `${signaturesFile} names signing plugin ${quote(String(plugin))}; only OPA's default can be verified`,
    );
  }
  if (signatures.length !== 1) {
    throw fail(
      `${signaturesFile} holds ${signatures.length} signatures; OPA bundles carry exactly one`,
    );
  }
  return signatures[0] as string;
}

function decodeHeader(token: string, fail: Fail): Record<string, unknown> {
  try {
    return decodeProtectedHeader(token);
  } catch (error) {
    throw fail("the signature is not a valid compact JWS", error);
  }
}

/** The deprecated `keyid` claim, read without verification: only ever used to reject. */
function unverifiedKeyIdClaim(token: string): string | undefined {
  try {
    const claims: unknown = JSON.parse(
      Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"),
    );
    return isRecord(claims) && typeof claims.keyid === "string" ? claims.keyid : undefined;
  } catch {
    return undefined;
  }
}

async function verifyToken(
  token: string,
  key: KeyObject,
  algorithms: string[],
  fail: Fail,
): Promise<Uint8Array> {
  try {
    return (await compactVerify(token, key, { algorithms })).payload;
  } catch (error) {
    if (error instanceof jose.JWSSignatureVerificationFailed) {
      throw fail("the signature does not verify with the configured public key", error);
    }
    throw fail("the signature is not a valid compact JWS", error);
  }
}

interface Payload {
  /** Signed files by name; a name listed twice keeps its last entry, as in OPA. */
  files: Map<string, SignedFile>;
  scope?: string;
}

function parsePayload(bytes: Uint8Array, fail: Fail): Payload {
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    throw fail("the signature payload is not valid JSON", error);
  }
  if (!isRecord(claims)) throw fail("the signature payload is not a JSON object");
  const { files, scope } = claims;
  if (scope !== undefined && typeof scope !== "string")
    throw fail("the signature's scope is not a string");
  const entries = Array.isArray(files)
    ? files
    : files === undefined || files === null
      ? []
      : undefined;
  if (!entries) throw fail(`the signature payload's "files" is not a list`);
  const signed = new Map<string, SignedFile>();
  for (const entry of entries) {
    if (
      !isRecord(entry) ||
      typeof entry.name !== "string" ||
      typeof entry.hash !== "string" ||
      typeof entry.algorithm !== "string"
    ) {
      throw fail(`the signature payload lists a file without a string name, hash and algorithm`);
    }
    signed.set(entry.name, { hash: entry.hash, algorithm: entry.algorithm });
  }
  return scope === undefined ? { files: signed } : { files: signed, scope };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
