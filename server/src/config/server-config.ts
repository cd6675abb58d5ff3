import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../errors.js";
import {
  type ApprovalConfig,
  approvalFlagSpec,
  approvalUsage,
  parseApprovalConfig,
} from "./approval-config.js";
import { type AuditConfig, auditFlagSpec, auditUsage, parseAuditConfig } from "./audit-config.js";
import {
  type AuthConfig,
  authConfigured,
  authFlagSpec,
  authUsage,
  parseAuthConfig,
} from "./auth-config.js";
import { bool, nonNegativeInt, positiveInt } from "./flag-values.js";
import { type LimitConfig, limitFlagSpec, limitUsage, parseLimitConfig } from "./limit-config.js";

/** Everything `vigil serve` needs, resolved from flags, `VIGIL_*` variables and defaults. */
export interface ServerConfig {
  /** Interface to bind. Default `127.0.0.1`. */
  host: string;
  /** TCP port; 0 picks a free one. Default 8444. */
  port: number;
  /** Directory for LMDB and compiled bundles. Default `./data`. */
  dataDir: string;
  /** Policy source: a directory of Rego + data.json, an OPA bundle `.tar.gz`, or an http(s) URL. */
  policy: string;
  /** How the policy source is watched, polled and checked. */
  policyLoading: PolicyLoadingConfig;
  /** Where and within which bounds policies are evaluated. */
  policyEvaluation: PolicyEvaluationConfig;
  /** Checkpoint signing, retention and backpressure of the audit trail. */
  audit: AuditConfig;
  /** How callers authenticate and which roles they hold. */
  auth: AuthConfig;
  /** Approval timers and notifications. */
  approvals: ApprovalConfig;
  /** Request limits, load shedding and deadlines. */
  limits: LimitConfig;
  /** Custom rules, size and time bounds for Redact (and Record's server-side masking). */
  redaction: RedactionConfig;
  /** The `opa` executable used to compile a policy directory. */
  opaPath: string;
  /** PEM certificate and key; TLS is on when both are set. */
  tls: { certFile: string; keyFile: string } | undefined;
  /** Largest accepted request message in bytes. Default 4 MiB. */
  maxMessageBytes: number;
  /** How long shutdown waits for in-flight requests before closing connections. Default 10 s. */
  shutdownGraceMs: number;
  /** pino level. Default `info`. */
  logLevel: string;
  /**
   * Serve anonymous callers on a non-loopback address. Default false: without caller
   * authentication Vigil only listens on loopback, and refuses to start otherwise.
   */
  allowUnauthenticated: boolean;
}

/** Reloading and verifying bundles. */
export interface PolicyLoadingConfig {
  /** Recompile a directory / reload a file when it changes. Default true. */
  watch: boolean;
  /** Interval between polls of a bundle URL. Default 30 s. */
  pollMs: number;
  /** Sent as `Authorization: Bearer …` to the bundle server (VIGIL_POLICY_TOKEN). */
  token: string | undefined;
  /** PEM public key that bundle signatures must verify against; unset = no verification. */
  verificationKeyFile: string | undefined;
  /** Required key id (`kid`/`keyid`) of the signature. */
  verificationKeyId: string | undefined;
  /** Required `scope` claim of the signature. */
  verificationScope: string | undefined;
}

/** Evaluation placement and Wasm memory bounds. */
export interface PolicyEvaluationConfig {
  /** Worker threads for large inputs; 0 evaluates everything on the main thread. Default: CPUs, at most 4. */
  workers: number;
  /** Inputs up to this many bytes of JSON evaluate on the main thread. Default 16384. */
  inlineMaxBytes: number;
  /** Wasm memory cap per instance. Default 256 MiB. */
  maxMemoryBytes: number;
  /** Instances whose memory grew past this are replaced. Default 64 MiB. */
  recycleAboveBytes: number;
}

/** Redaction rules and bounds. */
export interface RedactionConfig {
  /** gitleaks-format TOML files of custom rules, read at start. Default none. */
  rulesFiles: string[];
  /** Largest content item, in UTF-8 bytes, that Redact masks; larger is refused. Default 4 MiB. */
  maxBytes: number;
  /** Content up to this many bytes is masked on the main thread, larger on a worker. Default 64 KiB. */
  inlineMaxBytes: number;
  /** Masking on a worker that takes longer is abandoned and the call fails. Default 10 s. */
  timeoutMs: number;
}

/** Where the bundled defaults live, relative to which the default paths resolve. */
export interface ConfigDefaults {
  /** The project's `policies/` directory. */
  policyDir: string;
  /** The project-local pinned `opa`, if installed. */
  opaPath: string;
  /** Default worker thread count (the CPU count, at most 4). */
  policyWorkers: number;
}

const flagSpec = {
  listen: { type: "string" },
  "data-dir": { type: "string" },
  policy: { type: "string" },
  opa: { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "max-message-bytes": { type: "string" },
  "shutdown-grace-ms": { type: "string" },
  "log-level": { type: "string" },
  "allow-unauthenticated": { type: "string" },
  "policy-watch": { type: "string" },
  "policy-poll-ms": { type: "string" },
  "policy-token": { type: "string" },
  "policy-verification-key": { type: "string" },
  "policy-verification-key-id": { type: "string" },
  "policy-verification-scope": { type: "string" },
  "policy-workers": { type: "string" },
  "policy-inline-max-bytes": { type: "string" },
  "policy-max-memory-mb": { type: "string" },
  "policy-recycle-memory-mb": { type: "string" },
  "redact-rules": { type: "string", multiple: true },
  "redact-max-bytes": { type: "string" },
  "redact-inline-max-bytes": { type: "string" },
  "redact-timeout-ms": { type: "string" },
  ...auditFlagSpec,
  ...approvalFlagSpec,
  ...authFlagSpec,
  ...limitFlagSpec,
} as const;

/** Usage text for `vigil serve --help`. */
export const serveUsage = `Usage: vigil serve [flags]

Flags (each also read from the VIGIL_* variable shown):
  --listen HOST:PORT         address to serve on (VIGIL_LISTEN, default 127.0.0.1:8444)
  --data-dir DIR             LMDB and compiled bundles (VIGIL_DATA_DIR, default ./data)
  --policy PATH|URL          Rego directory, bundle .tar.gz or http(s) bundle URL
                             (VIGIL_POLICY, default the bundled policies/)
  --opa PATH                 opa executable for compiling Rego (VIGIL_OPA, default .tools/bin/opa)
  --tls-cert FILE            PEM certificate; with --tls-key enables TLS (VIGIL_TLS_CERT)
  --tls-key FILE             PEM private key (VIGIL_TLS_KEY)
  --max-message-bytes N      largest request message (VIGIL_MAX_MESSAGE_BYTES, default 4194304)
  --shutdown-grace-ms N      drain time on SIGTERM/SIGINT (VIGIL_SHUTDOWN_GRACE_MS, default 10000)
  --log-level LEVEL          trace|debug|info|warn|error (VIGIL_LOG_LEVEL, default info)
  --allow-unauthenticated BOOL  listen on a non-loopback address with no caller authentication
                             configured (VIGIL_ALLOW_UNAUTHENTICATED, default false: refused)

Policy loading:
  --policy-watch BOOL        recompile a directory / reload a file on change (VIGIL_POLICY_WATCH, default true)
  --policy-poll-ms N         bundle URL poll interval (VIGIL_POLICY_POLL_MS, default 30000)
  --policy-token TOKEN       bearer token for the bundle server (VIGIL_POLICY_TOKEN; prefer the variable)
  --policy-verification-key FILE
                             PEM public key; bundles must carry a valid .signatures.json
                             (VIGIL_POLICY_VERIFICATION_KEY)
  --policy-verification-key-id ID   required signing key id (VIGIL_POLICY_VERIFICATION_KEY_ID)
  --policy-verification-scope S     required signature scope (VIGIL_POLICY_VERIFICATION_SCOPE)

Policy evaluation:
  --policy-workers N         worker threads for large inputs, 0 = main thread only
                             (VIGIL_POLICY_WORKERS, default CPUs up to 4)
  --policy-inline-max-bytes N  inputs up to N bytes evaluate on the main thread
                             (VIGIL_POLICY_INLINE_MAX_BYTES, default 16384)
  --policy-max-memory-mb N   Wasm memory cap per instance (VIGIL_POLICY_MAX_MEMORY_MB, default 256)
  --policy-recycle-memory-mb N  replace instances grown past N MiB (VIGIL_POLICY_RECYCLE_MEMORY_MB, default 64)

Redaction:
  --redact-rules FILE        gitleaks-format TOML of custom rules; repeatable
                             (VIGIL_REDACT_RULES, comma-separated)
  --redact-max-bytes N       largest content item Redact masks (VIGIL_REDACT_MAX_BYTES, default 4194304)
  --redact-inline-max-bytes N  content up to N bytes is masked on the main thread, larger on a
                             worker (VIGIL_REDACT_INLINE_MAX_BYTES, default 65536)
  --redact-timeout-ms N      give up on masking one item after N ms; the call fails, nothing is
                             returned unmasked (VIGIL_REDACT_TIMEOUT_MS, default 10000)

${authUsage}
${limitUsage}
${auditUsage}
${approvalUsage}`;

/**
 * Resolves the server configuration. Flags win over environment variables, which win over
 * defaults. Throws {@link ConfigError} naming the offending flag.
 */
export function loadServerConfig(
  argv: string[],
  env: Record<string, string | undefined>,
  defaults: ConfigDefaults,
  cwd: string = process.cwd(),
): ServerConfig {
  let values: Partial<Record<Exclude<keyof typeof flagSpec, "redact-rules">, string>> & {
    "redact-rules"?: string[];
  };
  try {
    values = parseArgs({ args: argv, options: flagSpec, strict: true }).values;
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const pick = (
    flag: Exclude<keyof typeof flagSpec, "redact-rules">,
    variable: string,
  ): string | undefined => values[flag] ?? (env[variable] || undefined);

  const { host, port } = parseListen(pick("listen", "VIGIL_LISTEN") ?? "127.0.0.1:8444");
  const certFile = pick("tls-cert", "VIGIL_TLS_CERT");
  const keyFile = pick("tls-key", "VIGIL_TLS_KEY");
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new ConfigError("--tls-cert and --tls-key must be given together");
  }
  const dataDir = resolve(cwd, pick("data-dir", "VIGIL_DATA_DIR") ?? "data");
  const approvals = parseApprovalConfig(pick, cwd);
  const auth = parseAuthConfig(pick, cwd, Boolean(certFile && keyFile));
  const allowUnauthenticated = bool(
    "--allow-unauthenticated",
    pick("allow-unauthenticated", "VIGIL_ALLOW_UNAUTHENTICATED") ?? "false",
  );
  if (!authConfigured(auth) && !isLoopback(host) && !allowUnauthenticated) {
    throw new ConfigError(
      `refusing to listen on ${host} without caller authentication: every caller on the network would be anonymous. Configure --auth-tokens, --auth-jwks or --tls-client-ca, listen on 127.0.0.1, or pass --allow-unauthenticated true`,
    );
  }
  return {
    host,
    port,
    dataDir,
    allowUnauthenticated,
    auth,
    audit: parseAuditConfig(pick, dataDir, cwd),
    approvals,
    limits: parseLimitConfig(pick),
    policy: policyLocation(pick("policy", "VIGIL_POLICY") ?? defaults.policyDir, cwd),
    policyLoading: {
      watch: bool("--policy-watch", pick("policy-watch", "VIGIL_POLICY_WATCH") ?? "true"),
      pollMs: positiveInt(
        "--policy-poll-ms",
        pick("policy-poll-ms", "VIGIL_POLICY_POLL_MS") ?? "30000",
      ),
      token: pick("policy-token", "VIGIL_POLICY_TOKEN"),
      verificationKeyFile: optionalPath(
        pick("policy-verification-key", "VIGIL_POLICY_VERIFICATION_KEY"),
        cwd,
      ),
      verificationKeyId: pick("policy-verification-key-id", "VIGIL_POLICY_VERIFICATION_KEY_ID"),
      verificationScope: pick("policy-verification-scope", "VIGIL_POLICY_VERIFICATION_SCOPE"),
    },
    policyEvaluation: {
      workers: nonNegativeInt(
        "--policy-workers",
        pick("policy-workers", "VIGIL_POLICY_WORKERS") ?? String(defaults.policyWorkers),
      ),
      inlineMaxBytes: nonNegativeInt(
        "--policy-inline-max-bytes",
        pick("policy-inline-max-bytes", "VIGIL_POLICY_INLINE_MAX_BYTES") ?? "16384",
      ),
      maxMemoryBytes:
        positiveInt(
          "--policy-max-memory-mb",
          pick("policy-max-memory-mb", "VIGIL_POLICY_MAX_MEMORY_MB") ?? "256",
        ) * mib,
      recycleAboveBytes:
        positiveInt(
          "--policy-recycle-memory-mb",
          pick("policy-recycle-memory-mb", "VIGIL_POLICY_RECYCLE_MEMORY_MB") ?? "64",
        ) * mib,
    },
    redaction: {
      rulesFiles: (
        values["redact-rules"] ??
        (env.VIGIL_REDACT_RULES ?? "").split(",").filter((path) => path.trim() !== "")
      ).map((path) => resolve(cwd, path.trim())),
      maxBytes: positiveInt(
        "--redact-max-bytes",
        pick("redact-max-bytes", "VIGIL_REDACT_MAX_BYTES") ?? "4194304",
      ),
      inlineMaxBytes: nonNegativeInt(
        "--redact-inline-max-bytes",
        pick("redact-inline-max-bytes", "VIGIL_REDACT_INLINE_MAX_BYTES") ?? "65536",
      ),
      timeoutMs: positiveInt(
        "--redact-timeout-ms",
        pick("redact-timeout-ms", "VIGIL_REDACT_TIMEOUT_MS") ?? "10000",
      ),
    },
    opaPath: pick("opa", "VIGIL_OPA") ?? defaults.opaPath,
    tls:
      certFile && keyFile
        ? { certFile: resolve(cwd, certFile), keyFile: resolve(cwd, keyFile) }
        : undefined,
    maxMessageBytes: positiveInt(
      "--max-message-bytes",
      pick("max-message-bytes", "VIGIL_MAX_MESSAGE_BYTES") ?? "4194304",
    ),
    shutdownGraceMs: positiveInt(
      "--shutdown-grace-ms",
      pick("shutdown-grace-ms", "VIGIL_SHUTDOWN_GRACE_MS") ?? "10000",
    ),
    logLevel: pick("log-level", "VIGIL_LOG_LEVEL") ?? "info",
  };
}

/** Parses `host:port`, `[v6]:port` or `:port` (all interfaces). */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value);
  if (!match) throw new ConfigError(`--listen: expected HOST:PORT, got "${value}"`);
  const port = Number(match[3]);
  if (port > 65535) throw new ConfigError(`--listen: port ${port} is out of range`);
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

const mib = 1024 * 1024;

/** Whether only this machine can reach `host`: 127.0.0.0/8, ::1 (also IPv4-mapped) or localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return (
    h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\./.test(h)
  );
}

/** A URL stays as given; a path resolves against the working directory. */
function policyLocation(value: string, cwd: string): string {
  if (/^https?:\/\//i.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new ConfigError("--policy: not a valid URL");
    }
    return value;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new ConfigError("--policy: only http:// and https:// bundle URLs are supported");
  }
  return resolve(cwd, value);
}

function optionalPath(value: string | undefined, cwd: string): string | undefined {
  return value === undefined ? undefined : resolve(cwd, value);
}
