import { runExport } from "./audit-export.js";
import type { Print } from "./audit-output.js";
import { runGet, runQuery } from "./audit-query.js";
import { runReplay } from "./audit-replay.js";
import { runCheckpoints, runVerify } from "./audit-verify.js";

/** Usage of `vigil audit`. */
export const auditUsage = `Usage: vigil audit <command> [flags]

Commands:
  query        list records matching filters (principal, session, decision, time, ...)
  get ID       show one record
  verify       recompute the hash chain and check signed checkpoints (exit 1 if broken)
  checkpoints  list the signed checkpoints, or save them (--out FILE) for verify
  export       stream matching records as JSON Lines to stdout or a file
  replay ID    print a session's events in order, optionally at their original pace

Every command takes --server URL (default: VIGIL_SERVER, then http://127.0.0.1:8444) and
exits 3 when the server cannot be reached, 2 for bad flags, 1 when the command fails.
Run 'vigil audit <command> --help' for its flags.
`;

type Command = (args: string[], print: Print, env: NodeJS.ProcessEnv) => Promise<number>;

const commands: Record<string, Command> = {
  query: runQuery,
  get: runGet,
  verify: runVerify,
  checkpoints: runCheckpoints,
  export: runExport,
  replay: runReplay,
};

/** Runs `vigil audit …`; resolves with the exit code (0 ok, 1 failure, 2 usage, 3 unreachable). */
export async function runAuditCommand(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined) return print(auditUsage, 2, true);
  if (sub === "--help" || sub === "help") return print(auditUsage, 0);
  const command = Object.hasOwn(commands, sub) ? commands[sub] : undefined;
  if (command === undefined) {
    return print(`vigil audit: unknown command "${sub}"\n\n${auditUsage}`, 2, true);
  }
  return command(rest, print, env);
}
