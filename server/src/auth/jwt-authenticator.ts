import { readFile } from "node:fs/promises";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import type { JwtConfig } from "../config/auth-config.js";
import { ConfigError, describeError, UnauthenticatedError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import { type Watch, watchDebounced } from "../policy/file-watch.js";
import type { Authenticator } from "./authenticator.js";
import type { Identity } from "./identity.js";
import { isRole } from "./roles.js";

/**
 * Signature algorithms a JWT may use. Public-key only: an HMAC key would have to be shared
 * with every verifier, and `none` is no signature at all.
 */
export const allowedJwtAlgorithms = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

/** Options for {@link createJwtAuthenticator}. */
export interface JwtAuthenticatorOptions {
  /** Issuer, audience, claims and where the JWKS is (`--auth-jwks` and friends). */
  config: JwtConfig;
  /** Where reloads, rejected files and JWKS fetch failures are reported. */
  logger: Logger;
  /** Reload a JWKS file when it changes, so a rotated key set applies without a restart. Default true. */
  watch?: boolean;
  /** Called after each reload attempt of a JWKS file, for the reload metric. */
  onReload?: (result: "loaded" | "rejected") => void;
  /**
   * How long a fetched JWKS URL is trusted before it is fetched again on the next token. Default
   * 600 000 (10 minutes, jose's default): a key the identity provider withdrew stops verifying
   * within that time.
   */
  cacheMaxAgeMs?: number;
  /**
   * After a successful fetch, how long a token with an unknown `kid` waits before it may trigger
   * another fetch (it is refused meanwhile). Default 30 000 (jose's default): a key the provider
   * just rotated in is picked up on first sight, yet a stream of made-up `kid`s cannot turn every
   * request into a request to the provider.
   */
  cooldownMs?: number;
  /** Timeout of one JWKS fetch. Default 5 000 (jose's default). */
  fetchTimeoutMs?: number;
}

/** The JWT authenticator. */
export interface JwtAuthenticator extends Authenticator {
  /** Resolves once a JWKS file watcher is ready (a change after this is seen). */
  ready: Promise<void>;
}

/**
 * Authenticates `Bearer` JWTs (`--auth-jwks`): the signature must verify with a key of the
 * JWKS under one of {@link allowedJwtAlgorithms}, `iss` and `aud` must match, `exp` and `sub`
 * must be present, and `exp` / `nbf` hold within the clock tolerance. The identity is the
 * subject, with roles (unknown names dropped) and groups from the configured claims.
 *
 * A JWKS file is read at start (an unusable one stops the start with a `ConfigError`) and
 * again when it changes; a new file that does not parse is rejected with an error in the log
 * and the keys loaded before stay in force. A JWKS URL is fetched on first use and cached by
 * jose (see {@link JwtAuthenticatorOptions.cacheMaxAgeMs}); while it cannot be fetched, tokens
 * are refused as unauthenticated with a message saying so.
 *
 * Refusal messages name what failed, never the token or a claim of a token that did not verify.
 */
export async function createJwtAuthenticator(
  options: JwtAuthenticatorOptions,
): Promise<JwtAuthenticator> {
  const { config } = options;
  const source = /^https?:\/\//i.test(config.jwks)
    ? remoteKeySet(options)
    : await fileKeySet(options);
  const verifyOptions = {
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: config.clockToleranceSeconds,
    algorithms: [...allowedJwtAlgorithms],
    requiredClaims: ["exp", "sub"],
  };
  return {
    async authenticate(credentials) {
      if (credentials.bearer === undefined) return undefined;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(credentials.bearer, source.getKey, verifyOptions));
      } catch (error) {
        if (error instanceof UnauthenticatedError) throw error;
        // No `cause`: jose's claim errors carry the token's claims set, which must not travel
        // on to wherever this error is logged.
        throw new UnauthenticatedError(refusal(error, config));
      }
      return identityOf(payload, config);
    },
    ready: source.watch?.ready ?? Promise.resolve(),
    async close() {
      await source.watch?.close();
    },
  };
}

interface KeySource {
  getKey: JWTVerifyGetKey;
  watch?: Watch;
}

function remoteKeySet(options: JwtAuthenticatorOptions): KeySource {
  const url = new URL(options.config.jwks);
  // Userinfo or a query may hold a secret: messages and logs name the rest.
  const where = `${url.origin}${url.pathname}`;
  const keys = createRemoteJWKSet(url, {
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    timeoutDuration: options.fetchTimeoutMs ?? 5_000,
  });
  // jose keeps no memory of a failed fetch, so while the provider is down every token tries
  // again: the log says so once, and again when fetching works again.
  let failing = false;
  return {
    async getKey(header, token) {
      try {
        const key = await keys(header, token);
        if (failing) options.logger.info({ jwks: where }, "JWKS fetch works again");
        failing = false;
        return key;
      } catch (error) {
        // These come from matching the token against a key set that was fetched fine.
        if (
          error instanceof errors.JWKSNoMatchingKey ||
          error instanceof errors.JWKSMultipleMatchingKeys ||
          error instanceof errors.JOSENotSupported
        ) {
          throw error;
        }
        if (!failing) {
          options.logger.warn(
            { jwks: where, err: describeError(error) },
            "JWKS fetch failed; JWTs are refused until it succeeds",
          );
        }
        failing = true;
        throw new UnauthenticatedError(
          `the JWT cannot be verified: the key set at ${where} could not be fetched`,
          { cause: error },
        );
      }
    },
  };
}

async function fileKeySet(options: JwtAuthenticatorOptions): Promise<KeySource> {
  const path = options.config.jwks;
  let keys: JWTVerifyGetKey;
  try {
    keys = await loadKeySetFile(path);
  } catch (error) {
    throw new ConfigError(`--auth-jwks ${path}: ${describeError(error)}`, { cause: error });
  }
  const source: KeySource = { getKey: (header, token) => keys(header, token) };
  if (options.watch ?? true) {
    source.watch = watchDebounced({
      path,
      debounceMs: 100,
      run: async () => {
        try {
          keys = await loadKeySetFile(path);
          options.logger.info({ path }, "JWKS file reloaded");
          options.onReload?.("loaded");
        } catch (error) {
          options.logger.error(
            { path, err: describeError(error) },
            "JWKS file rejected; the keys loaded before stay in force until it is fixed",
          );
          options.onReload?.("rejected");
        }
      },
    });
  }
  return source;
}

/** Private key members of a JWK (RFC 7518 §6). */
const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "k"];

async function loadKeySetFile(path: string): Promise<JWTVerifyGetKey> {
  const json: unknown = JSON.parse(await readFile(path, "utf8"));
  const set = json as Partial<JSONWebKeySet>;
  if (!Array.isArray(set.keys) || set.keys.length === 0) {
    throw new Error('not a JWKS: expected {"keys": [...]} with at least one key');
  }
  set.keys.forEach((key, i) => {
    // A signing key in the verifier's file means it leaked; an `oct` key is a shared secret.
    if (privateMembers.some((member) => member in key)) {
      throw new Error(`keys[${i}] holds private or secret key material; publish public keys only`);
    }
  });
  return createLocalJWKSet(set as JSONWebKeySet);
}

/** A refusal message for a jose failure that names the check, never a token value. */
function refusal(error: unknown, config: JwtConfig): string {
  if (error instanceof errors.JWTExpired) return "the JWT has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === "missing") return `the JWT has no "${error.claim}" claim`;
    if (error.reason === "invalid") return `the JWT's "${error.claim}" claim is malformed`;
    if (error.claim === "nbf") return "the JWT is not valid yet (nbf is in the future)";
    if (error.claim === "iss") return `the JWT is not issued by ${config.issuer}`;
    if (error.claim === "aud") return `the JWT is not meant for audience ${config.audience}`;
    return `the JWT's "${error.claim}" claim does not verify`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return "the JWT signature does not verify";
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return "no key in the key set matches the JWT's kid and algorithm";
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return "several keys in the key set match the JWT; it needs a kid";
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return `the JWT's algorithm is not allowed (allowed: ${allowedJwtAlgorithms.join(", ")})`;
  }
  if (error instanceof errors.JOSENotSupported) {
    return "the JWT's algorithm or key type is not supported";
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return "the JWT is malformed";
  }
  return "the JWT could not be verified";
}

function identityOf(payload: JWTPayload, config: JwtConfig): Identity {
  // `requiredClaims` only checks presence; an id must also be a usable string.
  if (typeof payload.sub !== "string" || payload.sub.trim() === "") {
    throw new UnauthenticatedError('the JWT\'s "sub" claim must be a non-empty string');
  }
  return {
    id: payload.sub,
    method: "jwt",
    roles: stringList(payload[config.rolesClaim]).filter(isRole),
    groups: stringList(payload[config.groupsClaim]),
  };
}

/** A claim holding names: a list of strings or one space-separated string (OAuth `scope` style). */
function stringList(claim: unknown): string[] {
  const names = Array.isArray(claim)
    ? claim.filter((name): name is string => typeof name === "string")
    : typeof claim === "string"
      ? claim.split(/\s+/)
      : [];
  return [...new Set(names.map((name) => name.trim()).filter((name) => name !== ""))];
}
