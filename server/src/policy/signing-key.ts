import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { ConfigError } from "../errors.js";

/** A bundle verification key and the JWS algorithms it may verify. */
export interface VerificationKey {
  key: KeyObject;
  /** Never empty, never `none` or an HMAC algorithm. */
  algorithms: string[];
}

/** The only algorithms each kind of public key can verify, so `alg` cannot pick another. */
const algorithmsByKeyType: Record<string, string[]> = {
  rsa: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
  "ec:prime256v1": ["ES256"],
  "ec:secp384r1": ["ES384"],
  "ec:secp521r1": ["ES512"],
  ed25519: ["EdDSA", "Ed25519"],
};

/**
 * Parses a PEM public key (SPKI, PKCS#1 RSA or an X.509 certificate) and settles which
 * algorithms it verifies: `requested` when given, each of which must suit the key, otherwise all
 * that suit it. Throws {@link ConfigError} for a private key, an unsupported or short key, or an
 * unsuitable algorithm; messages never include key material.
 */
export function parseVerificationKey(pem: string, requested?: readonly string[]): VerificationKey {
  if (isPrivateKey(pem)) {
    throw new ConfigError("the bundle verification key is a private key; configure its public key");
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new ConfigError("the bundle verification key is not a PEM public key or certificate", {
      cause: error,
    });
  }
  const { namedCurve, modulusLength } = key.asymmetricKeyDetails ?? {};
  const type = key.asymmetricKeyType === "ec" ? `ec:${namedCurve}` : `${key.asymmetricKeyType}`;
  const suitable = algorithmsByKeyType[type];
  if (!suitable) {
    throw new ConfigError(
      "the bundle verification key must be RSA, ECDSA P-256/384/521 or Ed25519",
    );
  }
  // jose refuses shorter RSA keys at verification time; saying so at startup is kinder.
  if (type === "rsa" && (modulusLength ?? 0) < 2048) {
    throw new ConfigError("the bundle verification key is an RSA key shorter than 2048 bits");
  }
  if (requested === undefined) return { key, algorithms: [...suitable] };
  if (requested.length === 0) throw new ConfigError("no bundle signature algorithm is allowed");
  const unsuitable = requested.find((algorithm) => !suitable.includes(algorithm));
  if (unsuitable !== undefined) {
    throw new ConfigError(
      `bundle signature algorithm ${JSON.stringify(unsuitable)} cannot be used with this key ` +
        `(suitable: ${suitable.join(", ")})`,
    );
  }
  return { key, algorithms: [...requested] };
}

/** `createPublicKey` would quietly derive a public key from a private one; refuse it instead. */
function isPrivateKey(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}
