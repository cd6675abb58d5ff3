import type { ChildProcess } from "node:child_process";
import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { basename, join } from "node:path";

// Importing vitest outside a vitest run throws, and scripts (`npm run bench`) start servers
// through these helpers too: load it only when vitest is the one running.
const vitest = process.env.VITEST ? await import("vitest") : undefined;

/*
 * Writes what the Vigil processes a test starts print into this run's log directory, where
 * the global teardown looks for secrets in it (see log-leak-check.ts). Writes are synchronous:
 * vitest may end a test file's worker as soon as its last hook returns, and a line still
 * queued in a stream would be lost.
 */

/** The kinds of Vigil process whose output is collected. */
export type ProcessKind = "server" | "proxy" | "cli";

/** Where a process's log goes: `<test file>-<kind>-<pid>.log` in the run's log directory. */
function logPath(kind: ProcessKind, pid: number | undefined): string | undefined {
  // Outside a run with the global setup (e.g. a helper used from a script) nothing is kept.
  const dir = vitest?.inject("logDir") as string | undefined;
  if (vitest === undefined || dir === undefined) return undefined;
  const testFile = basename(vitest.expect.getState().testPath ?? "unknown", ".ts");
  return join(dir, `${testFile}-${kind}-${pid ?? "unknown"}.log`);
}

/**
 * Starts collecting a long-running process's output: returns the function to call with each
 * line it prints, on stdout or stderr. Both are logs for `vigil serve` and `vigil proxy`:
 * pino writes to stdout, and crashes go to stderr. The file is closed when the process's
 * streams close.
 */
export function captureProcessLines(
  kind: "server" | "proxy",
  child: ChildProcess,
): (line: string) => void {
  const path = logPath(kind, child.pid);
  if (path === undefined) return () => {};
  let fd: number | undefined = openSync(path, "a");
  child.once("close", () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  });
  return (line) => {
    // A line read after the streams closed still belongs in the file.
    if (fd === undefined) writeFileSync(path, `${line}\n`, { flag: "a" });
    else writeSync(fd, `${line}\n`);
  };
}

/**
 * Keeps the standard error of a finished CLI command. Its standard output is left out on
 * purpose: it is the command's product, not a log, and some commands print a secret there
 * because the user asked for it (`vigil token create` prints the new token; `vigil redact`
 * prints the masked text, which its own tests check).
 */
export function captureCliStderr(child: ChildProcess, stderr: string): void {
  if (stderr === "") return;
  const path = logPath("cli", child.pid);
  if (path !== undefined) writeFileSync(path, stderr, { flag: "a" });
}
