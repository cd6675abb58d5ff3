import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { type AllowedValue, createLogScanner, formatFinding, type LogFinding } from "./log-scan.js";
import { PLANTED_SECRETS } from "./planted-secrets.js";

/*
 * The "no secrets in logs" check over a whole test run: every Vigil process the suites start
 * writes its log into one directory (process-logs.ts), and the global teardown scans it.
 */

/**
 * Detector findings in the logs that are not secrets. Each entry says why; a value that
 * really is a credential must never be allowed here, however noisy: fix the log call instead.
 */
export const ALLOWED_IN_LOGS: readonly AllowedValue[] = [
  {
    // `vigil authorize --wait` prints the pending approval's resource as `secret:prod/cli-wait`
    // on stderr; the generic `secret: value` rule reads the kind as a key. The id is the
    // secret's name in its store (lower-case path segments), never its value.
    detector: "secret.generic-assignment",
    value: /^(?:prod|staging)\/[a-z0-9-]{1,60}$/,
    reason: "a secret resource's id in `kind:id` form, not a secret value",
  },
];

/** At most this many findings are printed; the rest are counted. */
const REPORT_LIMIT = 50;

/** Run directories older than this are removed when a run starts. */
const KEEP_RUN_DIRS_MS = 24 * 60 * 60 * 1000;

/**
 * Creates this run's empty log directory under `root` (`test-results/logs/<time>-<pid>`). Runs
 * get their own directories because several may share one checkout at the same time. The
 * directories of runs that found leaks, or were killed before their teardown, are kept for a
 * day and then removed here, so they do not pile up.
 */
export async function createRunLogDir(root: string): Promise<string> {
  const logs = join(root, "test-results", "logs");
  await mkdir(logs, { recursive: true });
  for (const entry of await readdir(logs, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(logs, entry.name);
    // Another run may remove its own directory between the listing and this look at it.
    const modified = (await stat(path).catch(() => undefined))?.mtimeMs;
    if (modified !== undefined && Date.now() - modified > KEEP_RUN_DIRS_MS) {
      await rm(path, { recursive: true, force: true });
    }
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const dir = join(logs, `${stamp}-${process.pid}`);
  await mkdir(dir);
  return dir;
}

/** Scans every log file in `dir` for detector-known secrets and {@link PLANTED_SECRETS}. */
export async function findLogLeaks(dir: string, root: string): Promise<LogFinding[]> {
  const scanner = createLogScanner({ planted: PLANTED_SECRETS, allowed: ALLOWED_IN_LOGS });
  const findings: LogFinding[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    findings.push(...scanner.scan(relative(root, path), await readFile(path, "utf8")));
  }
  return findings;
}

/** The failure message for `findings`: where each is, which detector, the value masked. */
export function leakReport(findings: readonly LogFinding[]): string {
  const shown = findings.slice(0, REPORT_LIMIT).map(formatFinding);
  const more = findings.length - shown.length;
  return [
    `No secrets in logs: ${findings.length} secret(s) found in the output of Vigil processes.`,
    "Each line is file:line: detector, then the value's first four characters and length.",
    ...shown,
    ...(more > 0 ? [`… and ${more} more`] : []),
    "The log files are kept for inspection. A value that is not a secret goes in",
    "ALLOWED_IN_LOGS (test/support/log-leak-check.ts) with the reason.",
  ].join("\n");
}

/**
 * Runs the check at the end of a run: on findings prints the report and sets a failing exit
 * code, keeping the logs; otherwise removes the directory. The exit code is set rather than
 * an error thrown, because vitest reports a teardown error as a "Startup Error" with a stack
 * trace that hides the report, and skips closing its workers.
 */
export async function checkRunLogs(dir: string, root: string): Promise<void> {
  const findings = await findLogLeaks(dir, root);
  if (findings.length === 0) {
    await rm(dir, { recursive: true, force: true });
    return;
  }
  console.error(`\n${leakReport(findings)}\n`);
  process.exitCode = 1;
}
