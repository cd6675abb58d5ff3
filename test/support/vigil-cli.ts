import { execFile } from "node:child_process";
import { projectRoot } from "../../server/src/main.js";
import { captureCliStderr } from "./process-logs.js";

/** What a `vigil` command run printed and how it exited. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bin/vigil.js` with `args` and extra environment (e.g. VIGIL_SERVER, VIGIL_TOKEN). */
export function runVigilCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ["bin/vigil.js", ...args],
      { cwd: projectRoot, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        captureCliStderr(child, stderr);
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}
