import { resolve } from "node:path";
import { isRole, type Role, roleNames } from "../auth/roles.js";
import { ConfigError } from "../errors.js";
import { bool } from "./flag-values.js";

/** How callers prove who they are, and which roles they hold. */
export interface AuthConfig {
  /** TOML file of API tokens (hashes, ids, roles, groups), reloaded on change. Default none. */
  tokensFile: string | undefined;
  /** Bearer JWTs, verified against a JWKS. Default: not accepted. */
  jwt: JwtConfig | undefined;
  /** Client certificates (mTLS). Needs TLS. Default: not requested. */
  clientCertificates: ClientCertificateConfig | undefined;
  /** TOML file binding identities and groups to roles. Default none. */
  roleBindingsFile: string | undefined;
  /**
   * Roles of a caller that presents no credential. Default: every role when no authentication
   * is configured (a loopback-only development server), none otherwise.
   */
  anonymousRoles: Role[];
}

/** Bearer JWT verification. */
export interface JwtConfig {
  /** JWKS: an http(s) URL (fetched and cached) or a file (reloaded on change). */
  jwks: string;
  /** Required `iss`. */
  issuer: string;
  /** Required `aud` (one of). */
  audience: string;
  /** Claim holding the identity's roles (a list or a space-separated string). Default `roles`. */
  rolesClaim: string;
  /** Claim holding the reviewer groups. Default `groups`. */
  groupsClaim: string;
  /** Allowed clock skew when checking `exp` / `nbf`, in seconds. Default 30. */
  clockToleranceSeconds: number;
}

/** Client certificate authentication. */
export interface ClientCertificateConfig {
  /** PEM bundle of the CAs that issue client certificates. */
  caFile: string;
  /** Refuse the TLS handshake without a valid client certificate. Default false (tokens still work). */
  required: boolean;
}

/** Whether any way of authenticating callers is configured. */
export function authConfigured(config: AuthConfig): boolean {
  return Boolean(config.tokensFile || config.jwt || config.clientCertificates);
}

/** Flags of the authentication section, for `parseArgs`. */
export const authFlagSpec = {
  "auth-tokens": { type: "string" },
  "auth-jwks": { type: "string" },
  "auth-jwt-issuer": { type: "string" },
  "auth-jwt-audience": { type: "string" },
  "auth-jwt-roles-claim": { type: "string" },
  "auth-jwt-groups-claim": { type: "string" },
  "auth-jwt-clock-tolerance-s": { type: "string" },
  "tls-client-ca": { type: "string" },
  "tls-require-client-cert": { type: "string" },
  "auth-role-bindings": { type: "string" },
  "auth-anonymous-roles": { type: "string" },
} as const;

/** Usage lines of the authentication section. */
export const authUsage = `Caller authentication and roles (see README "Security"):
  --auth-tokens FILE         TOML file of API tokens ([[tokens]] id, sha256, roles, groups), reloaded
                             when it changes; make entries with 'vigil token create'
                             (VIGIL_AUTH_TOKENS, default none)
  --auth-jwks FILE|URL       accept bearer JWTs signed by a key of this JWKS (VIGIL_AUTH_JWKS)
  --auth-jwt-issuer ISS      required iss claim; needed with --auth-jwks (VIGIL_AUTH_JWT_ISSUER)
  --auth-jwt-audience AUD    required aud claim; needed with --auth-jwks (VIGIL_AUTH_JWT_AUDIENCE)
  --auth-jwt-roles-claim C   claim listing roles (VIGIL_AUTH_JWT_ROLES_CLAIM, default roles)
  --auth-jwt-groups-claim C  claim listing reviewer groups (VIGIL_AUTH_JWT_GROUPS_CLAIM, default groups)
  --auth-jwt-clock-tolerance-s N  allowed clock skew for exp/nbf (VIGIL_AUTH_JWT_CLOCK_TOLERANCE_S, default 30)
  --tls-client-ca FILE       PEM CA bundle for client certificates (mTLS); needs --tls-cert
                             (VIGIL_TLS_CLIENT_CA)
  --tls-require-client-cert BOOL  refuse TLS handshakes without a valid client certificate
                             (VIGIL_TLS_REQUIRE_CLIENT_CERT, default false)
  --auth-role-bindings FILE  TOML binding identities and groups to roles ([[bindings]] role,
                             identities, groups) (VIGIL_AUTH_ROLE_BINDINGS, default none)
  --auth-anonymous-roles LIST  roles of callers without a credential, comma-separated, or none
                             (VIGIL_AUTH_ANONYMOUS_ROLES; default every role when no
                             authentication is configured, none otherwise)
`;

/** Reads one flag, then its variable. */
export type AuthFlagReader = (
  flag: keyof typeof authFlagSpec,
  variable: string,
) => string | undefined;

/** Resolves the authentication section. Throws {@link ConfigError} naming the flag. */
export function parseAuthConfig(
  pick: AuthFlagReader,
  cwd: string,
  tlsEnabled: boolean,
): AuthConfig {
  const path = (value: string | undefined) =>
    value === undefined ? undefined : resolve(cwd, value);
  const config: AuthConfig = {
    tokensFile: path(pick("auth-tokens", "VIGIL_AUTH_TOKENS")),
    jwt: parseJwt(pick, cwd),
    clientCertificates: parseClientCertificates(pick, cwd, tlsEnabled),
    roleBindingsFile: path(pick("auth-role-bindings", "VIGIL_AUTH_ROLE_BINDINGS")),
    anonymousRoles: [],
  };
  const anonymous = pick("auth-anonymous-roles", "VIGIL_AUTH_ANONYMOUS_ROLES");
  config.anonymousRoles =
    anonymous === undefined
      ? authConfigured(config)
        ? []
        : [...roleNames]
      : roleList("--auth-anonymous-roles", anonymous);
  return config;
}

function parseJwt(pick: AuthFlagReader, cwd: string): JwtConfig | undefined {
  const jwks = pick("auth-jwks", "VIGIL_AUTH_JWKS");
  const issuer = pick("auth-jwt-issuer", "VIGIL_AUTH_JWT_ISSUER");
  const audience = pick("auth-jwt-audience", "VIGIL_AUTH_JWT_AUDIENCE");
  if (jwks === undefined) {
    if (issuer !== undefined || audience !== undefined) {
      throw new ConfigError("--auth-jwt-issuer and --auth-jwt-audience need --auth-jwks");
    }
    return undefined;
  }
  // Without both, a token the same identity provider issued for another service would pass.
  if (!issuer || !audience) {
    throw new ConfigError(
      "--auth-jwks needs --auth-jwt-issuer and --auth-jwt-audience: without them a token issued for another service would be accepted",
    );
  }
  const tolerance = pick("auth-jwt-clock-tolerance-s", "VIGIL_AUTH_JWT_CLOCK_TOLERANCE_S") ?? "30";
  const seconds = Number(tolerance);
  if (!Number.isSafeInteger(seconds) || seconds < 0 || seconds > 300 || tolerance.trim() === "") {
    throw new ConfigError(
      `--auth-jwt-clock-tolerance-s: expected whole seconds from 0 to 300, got "${tolerance}"`,
    );
  }
  let location = jwks;
  if (/^https?:\/\//i.test(jwks)) {
    if (!URL.canParse(jwks)) throw new ConfigError("--auth-jwks: not a valid URL");
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(jwks)) {
    throw new ConfigError("--auth-jwks: only a file or an http(s) URL");
  } else {
    location = resolve(cwd, jwks);
  }
  return {
    jwks: location,
    issuer,
    audience,
    rolesClaim: pick("auth-jwt-roles-claim", "VIGIL_AUTH_JWT_ROLES_CLAIM") ?? "roles",
    groupsClaim: pick("auth-jwt-groups-claim", "VIGIL_AUTH_JWT_GROUPS_CLAIM") ?? "groups",
    clockToleranceSeconds: seconds,
  };
}

function parseClientCertificates(
  pick: AuthFlagReader,
  cwd: string,
  tlsEnabled: boolean,
): ClientCertificateConfig | undefined {
  const caFile = pick("tls-client-ca", "VIGIL_TLS_CLIENT_CA");
  const required = bool(
    "--tls-require-client-cert",
    pick("tls-require-client-cert", "VIGIL_TLS_REQUIRE_CLIENT_CERT") ?? "false",
  );
  if (caFile === undefined) {
    if (required) throw new ConfigError("--tls-require-client-cert needs --tls-client-ca");
    return undefined;
  }
  if (!tlsEnabled) {
    throw new ConfigError("--tls-client-ca needs TLS: give --tls-cert and --tls-key too");
  }
  return { caFile: resolve(cwd, caFile), required };
}

/** Parses `client,auditor` or `none` into roles, naming any unknown one. */
function roleList(flag: string, value: string): Role[] {
  if (value.trim().toLowerCase() === "none") return [];
  const names = value
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  for (const name of names) {
    if (!isRole(name)) {
      throw new ConfigError(`${flag}: unknown role "${name}" (known: ${roleNames.join(", ")})`);
    }
  }
  return [...new Set(names)] as Role[];
}
