import { resolve } from "node:path";
import { ConfigError } from "../errors.js";
import { positiveInt } from "./flag-values.js";

/** The audit trail: signing, checkpoints, retention and backpressure. */
export interface AuditConfig {
  /** PEM Ed25519 key for checkpoints and anchors, created if missing. Default `<data-dir>/keys/audit-signing.key`. */
  signingKeyFile: string;
  /** Sign a checkpoint every N entries. Default 1000. */
  checkpointEvery: number;
  /** …and at least this often while entries arrive. Default 60 s. */
  checkpointIntervalMs: number;
  /** Prune entries older than this. Default: keep forever. */
  retentionMaxAgeMs: number | undefined;
  /** Prune the oldest entries while the kept ones exceed this many bytes. Default: no bound. */
  retentionMaxBytes: number | undefined;
  /** How often retention runs. Default 60 s. */
  retentionIntervalMs: number;
  /** Appends waiting for the disk beyond which Record answers ResourceExhausted. Default 10000. */
  maxPending: number;
}

/** Flags of the audit section, for `parseArgs`. */
export const auditFlagSpec = {
  "audit-signing-key": { type: "string" },
  "audit-checkpoint-every": { type: "string" },
  "audit-checkpoint-interval-ms": { type: "string" },
  "audit-retention-age": { type: "string" },
  "audit-retention-max-bytes": { type: "string" },
  "audit-retention-interval-ms": { type: "string" },
  "audit-max-pending": { type: "string" },
} as const;

/** Usage lines of the audit section. */
export const auditUsage = `Audit trail:
  --audit-signing-key FILE   Ed25519 PEM key signing checkpoints, created if missing; keep it off the
                             data volume (VIGIL_AUDIT_SIGNING_KEY, default DATA_DIR/keys/audit-signing.key)
  --audit-checkpoint-every N sign a checkpoint every N entries (VIGIL_AUDIT_CHECKPOINT_EVERY, default 1000)
  --audit-checkpoint-interval-ms N  …and every N ms while entries arrive
                             (VIGIL_AUDIT_CHECKPOINT_INTERVAL_MS, default 60000)
  --audit-retention-age AGE  prune entries older than AGE, e.g. 90d, 12h (VIGIL_AUDIT_RETENTION_AGE,
                             default keep forever)
  --audit-retention-max-bytes SIZE  prune the oldest entries beyond SIZE, e.g. 10GiB
                             (VIGIL_AUDIT_RETENTION_MAX_BYTES, default no bound)
  --audit-retention-interval-ms N  how often retention runs (VIGIL_AUDIT_RETENTION_INTERVAL_MS,
                             default 60000)
  --audit-max-pending N      appends waiting for the disk before Record answers ResourceExhausted
                             (VIGIL_AUDIT_MAX_PENDING, default 10000)
`;

/** Reads one flag, then its variable. */
export type FlagReader = (flag: keyof typeof auditFlagSpec, variable: string) => string | undefined;

/** Resolves the audit section. Throws {@link ConfigError} naming the flag. */
export function parseAuditConfig(pick: FlagReader, dataDir: string, cwd: string): AuditConfig {
  const age = pick("audit-retention-age", "VIGIL_AUDIT_RETENTION_AGE");
  const size = pick("audit-retention-max-bytes", "VIGIL_AUDIT_RETENTION_MAX_BYTES");
  const key = pick("audit-signing-key", "VIGIL_AUDIT_SIGNING_KEY");
  return {
    signingKeyFile: key ? resolve(cwd, key) : resolve(dataDir, "keys", "audit-signing.key"),
    checkpointEvery: positiveInt(
      "--audit-checkpoint-every",
      pick("audit-checkpoint-every", "VIGIL_AUDIT_CHECKPOINT_EVERY") ?? "1000",
    ),
    checkpointIntervalMs: positiveInt(
      "--audit-checkpoint-interval-ms",
      pick("audit-checkpoint-interval-ms", "VIGIL_AUDIT_CHECKPOINT_INTERVAL_MS") ?? "60000",
    ),
    retentionMaxAgeMs: age === undefined ? undefined : parseAge(age),
    retentionMaxBytes: size === undefined ? undefined : parseSize(size),
    retentionIntervalMs: positiveInt(
      "--audit-retention-interval-ms",
      pick("audit-retention-interval-ms", "VIGIL_AUDIT_RETENTION_INTERVAL_MS") ?? "60000",
    ),
    maxPending: positiveInt(
      "--audit-max-pending",
      pick("audit-max-pending", "VIGIL_AUDIT_MAX_PENDING") ?? "10000",
    ),
  };
}

const ageUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90d`, `12h`, `30m`, `45s`, `500ms` → milliseconds. */
export function parseAge(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  const ms = match ? Number(match[1]) * (ageUnits[match[2] ?? ""] ?? 0) : 0;
  if (!match || ms <= 0 || !Number.isSafeInteger(ms)) {
    throw new ConfigError(
      `--audit-retention-age: expected an age like 90d, 12h or 30m, got "${value}"`,
    );
  }
  return ms;
}

const sizeUnits: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** `10GiB`, `500MB`, `1048576` → bytes. */
export function parseSize(value: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(value.trim());
  const unit = sizeUnits[(match?.[2] ?? "").toLowerCase()];
  const bytes = match && unit ? Number(match[1]) * unit : 0;
  if (bytes <= 0 || !Number.isSafeInteger(bytes)) {
    throw new ConfigError(
      `--audit-retention-max-bytes: expected a size like 10GiB or 500MB, got "${value}"`,
    );
  }
  return bytes;
}
