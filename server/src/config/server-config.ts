import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../errors.js";

/** Everything `vigil serve` needs, resolved from flags, `VIGIL_*` variables and defaults. */
export interface ServerConfig {
  /** Interface to bind. Default `127.0.0.1`. */
  host: string;
  /** TCP port; 0 picks a free one. Default 8444. */
  port: number;
  /** Directory for LMDB and compiled bundles. Default `./data`. */
  dataDir: string;
  /** Policy source: a directory of Rego + data.json, or an OPA bundle `.tar.gz`. */
  policy: string;
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
}

/** Where the bundled defaults live, relative to which the default paths resolve. */
export interface ConfigDefaults {
  /** The project's `policies/` directory. */
  policyDir: string;
  /** The project-local pinned `opa`, if installed. */
  opaPath: string;
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
} as const;

/** Usage text for `vigil serve --help`. */
export const serveUsage = `Usage: vigil serve [flags]

Flags (each also read from the VIGIL_* variable shown):
  --listen HOST:PORT         address to serve on (VIGIL_LISTEN, default 127.0.0.1:8444)
  --data-dir DIR             LMDB and compiled bundles (VIGIL_DATA_DIR, default ./data)
  --policy PATH              Rego directory or bundle .tar.gz (VIGIL_POLICY, default the bundled policies/)
  --opa PATH                 opa executable for compiling Rego (VIGIL_OPA, default .tools/bin/opa)
  --tls-cert FILE            PEM certificate; with --tls-key enables TLS (VIGIL_TLS_CERT)
  --tls-key FILE             PEM private key (VIGIL_TLS_KEY)
  --max-message-bytes N      largest request message (VIGIL_MAX_MESSAGE_BYTES, default 4194304)
  --shutdown-grace-ms N      drain time on SIGTERM/SIGINT (VIGIL_SHUTDOWN_GRACE_MS, default 10000)
  --log-level LEVEL          trace|debug|info|warn|error (VIGIL_LOG_LEVEL, default info)
`;

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
  let values: Partial<Record<keyof typeof flagSpec, string>>;
  try {
    values = parseArgs({ args: argv, options: flagSpec, strict: true }).values;
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const pick = (flag: keyof typeof flagSpec, variable: string): string | undefined =>
    values[flag] ?? (env[variable] || undefined);

  const { host, port } = parseListen(pick("listen", "VIGIL_LISTEN") ?? "127.0.0.1:8444");
  const certFile = pick("tls-cert", "VIGIL_TLS_CERT");
  const keyFile = pick("tls-key", "VIGIL_TLS_KEY");
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new ConfigError("--tls-cert and --tls-key must be given together");
  }
  return {
    host,
    port,
    dataDir: resolve(cwd, pick("data-dir", "VIGIL_DATA_DIR") ?? "data"),
    policy: resolve(cwd, pick("policy", "VIGIL_POLICY") ?? defaults.policyDir),
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

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new ConfigError(`${flag}: expected a positive integer, got "${value}"`);
  }
  return n;
}
