import { serveUsage } from "../config/server-config.js";
import { ConfigError, describeError } from "../errors.js";
import { serve } from "../main.js";
import { runApprovalsCommand } from "./approval-commands.js";
import { runAuditCommand } from "./audit-commands.js";
import type { Print } from "./audit-output.js";
import { runAuthorize } from "./authorize-command.js";
import { takeCredentialFlags } from "./credential-flags.js";
import { runPolicyCommand } from "./policy-commands.js";
import { runProxy } from "./proxy-command.js";
import { runRecord } from "./record-command.js";
import { runRedact, runScan } from "./redact-commands.js";
import { runTokenCommand } from "./token-command.js";

const usage = `Usage: vigil <command> [flags]

Commands:
  serve          run the Vigil server (vigil serve --help for flags)
  authorize      ask whether an action may proceed; exit 0 allow, 1 deny, 2 approval pending
                 (--wait waits for the reviewers)
  approvals      the reviewer inbox: list, get, approve, deny, watch (vigil approvals --help)
  token create   make an API token and its entry for the server's --auth-tokens file
  policy build   compile a Rego directory into an OPA Wasm bundle
  policy test    run the policy's opa tests
  policy eval    evaluate a policy locally and show the decision
  redact         mask stdin through the server, findings to stderr
  scan           report what would be masked in files (text, json or SARIF)
  record         append an event (a command, its output, a prompt) to the audit trail
  audit          query, export, replay and verify the audit trail (vigil audit --help)
  proxy          an enforcing reverse proxy in front of an LLM API (vigil proxy --help)

The server comes from --server or VIGIL_SERVER (default http://127.0.0.1:8444); an API token
from --token-file FILE, --token TOKEN or VIGIL_TOKEN (a --token flag shows in ps: prefer the
file or the variable). Commands that ask the server exit 3 when it cannot be reached: deny.

Run 'vigil <command> --help' for details.
`;

type ClientCommand = (args: string[], print: Print, env: NodeJS.ProcessEnv) => Promise<number>;

/** The commands that call a server: they take --token / --token-file as well as VIGIL_TOKEN. */
const clientCommands: Record<string, ClientCommand> = {
  policy: runPolicyCommand,
  redact: runRedact,
  scan: runScan,
  record: runRecord,
  audit: runAuditCommand,
  authorize: runAuthorize,
  approvals: runApprovalsCommand,
  proxy: runProxy,
};

/** Exit codes shared by every subcommand. */
export const exitCodes = { ok: 0, usage: 2, failure: 1 } as const;

/** Runs the `vigil` command line; resolves with the process exit code (serve never resolves). */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "serve") {
    if (rest.includes("--help")) return print(serveUsage, exitCodes.ok);
    await serve(rest, env);
    return new Promise<number>(() => {}); // serve exits the process on shutdown
  }
  if (command === "token") return runTokenCommand(rest, print);
  const client = clientCommands[command ?? ""];
  if (client) {
    const { args, env: withToken } = await takeCredentialFlags(rest, env);
    return client(args, print, withToken);
  }
  if (command === undefined || command === "--help" || command === "help") {
    return print(usage, command === undefined ? exitCodes.usage : exitCodes.ok);
  }
  return print(`vigil: unknown command "${argv.join(" ")}"\n\n${usage}`, exitCodes.usage, true);
}

function print(text: string, code: number, toStderr = false): number {
  (toStderr ? process.stderr : process.stdout).write(text);
  return code;
}

/** Entry point used by `bin/vigil.js`. */
export async function main(): Promise<void> {
  try {
    process.exitCode = await runCli(process.argv.slice(2), process.env);
  } catch (error) {
    // Bad flags are usage errors (2); anything else that stops the command is a failure (1).
    const usageError =
      error instanceof ConfigError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") === true;
    process.stderr.write(`vigil: ${describeError(error)}\n`);
    process.exitCode = usageError ? exitCodes.usage : exitCodes.failure;
  }
}
