import { parseArgs } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Approval, ApprovalState, Verdict } from "../../../gen/vigil/v1/approval_pb.js";
import { ConfigError } from "../errors.js";
import { approvalBlock, approvalJson, approvalLine } from "./approval-format.js";
import { auditFailure, type Print } from "./audit-output.js";
import { approvalClient, serverUrl } from "./server-client.js";

/** Usage of `vigil approvals`. */
export const approvalsUsage = `Usage: vigil approvals <command> [flags]

Commands:
  list              the reviewer inbox: pending approvals, newest first
                    (--state pending|approved|denied|expired|consumed, --group G, --limit N)
  get ID            one approval with its masked request preview and votes
  approve ID        approve (--comment TEXT)
  deny ID           deny (--comment TEXT)
  watch ID          print the approval now and on every change until it is decided;
                    exits 0 approved, 1 denied/expired/consumed (--timeout SECONDS)

Every command takes --server URL (default: VIGIL_SERVER, then http://127.0.0.1:8444) and
--json; deciding needs an API token (--token-file FILE, --token TOKEN or VIGIL_TOKEN). Exit codes: 0 ok, 1 failure or refused,
2 bad flags, 3 server unreachable.
`;

type Command = (args: string[], print: Print, env: NodeJS.ProcessEnv) => Promise<number>;

const common = {
  server: { type: "string" },
  json: { type: "boolean", default: false },
} as const;

const states: Record<string, ApprovalState> = {
  pending: ApprovalState.PENDING,
  approved: ApprovalState.APPROVED,
  denied: ApprovalState.DENIED,
  expired: ApprovalState.EXPIRED,
  consumed: ApprovalState.CONSUMED,
};

const runList: Command = async (args, print, env) => {
  const { values } = parseArgs({
    args,
    options: {
      ...common,
      state: { type: "string", default: "pending" },
      group: { type: "string", default: "" },
      limit: { type: "string", default: "50" },
    },
  });
  const state = states[values.state];
  if (state === undefined) {
    throw new ConfigError(`--state must be one of ${Object.keys(states).join(", ")}`);
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new ConfigError("--limit must be a whole number from 1 to 500");
  }
  const server = serverUrl(values.server, env);
  try {
    const res = await approvalClient(server, env.VIGIL_TOKEN).listApprovals({
      state,
      group: values.group,
      pageSize: limit,
    });
    const lines = res.approvals.map(values.json ? approvalJson : approvalLine);
    return print(lines.length > 0 ? `${lines.join("\n")}\n` : "", 0);
  } catch (error) {
    return auditFailure(error, print, server);
  }
};

const runGet: Command = async (args, print, env) => {
  const { values, id } = parseWithId(args, "get", {});
  const server = serverUrl(values.server, env);
  try {
    const { approval } = await approvalClient(server, env.VIGIL_TOKEN).getApproval({ id });
    return print(show(approval, values.json), 0);
  } catch (error) {
    return failure(error, print, server, id);
  }
};

const decide =
  (verdict: Verdict): Command =>
  async (args, print, env) => {
    const name = verdict === Verdict.APPROVE ? "approve" : "deny";
    const { values, id } = parseWithId(args, name, { comment: { type: "string", default: "" } });
    const server = serverUrl(values.server, env);
    try {
      const { approval } = await approvalClient(server, env.VIGIL_TOKEN).decideApproval({
        id,
        verdict,
        comment: String(values.comment ?? ""),
      });
      return print(show(approval, values.json), 0);
    } catch (error) {
      return failure(error, print, server, id);
    }
  };

const runWatch: Command = async (args, print, env) => {
  const { values, id } = parseWithId(args, "watch", { timeout: { type: "string", default: "0" } });
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) {
    throw new ConfigError("--timeout must be a number of seconds (0 = no limit)");
  }
  const server = serverUrl(values.server, env);
  try {
    const last = await watchApproval(server, env.VIGIL_TOKEN, id, timeoutSeconds * 1000, (a) => {
      process.stdout.write(values.json ? `${approvalJson(a)}\n` : `${approvalLine(a)}\n`);
    });
    return last?.state === ApprovalState.APPROVED ? 0 : 1;
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.DeadlineExceeded) {
      return print(`vigil: approval ${id} was not decided within ${timeoutSeconds}s\n`, 1, true);
    }
    return failure(error, print, server, id);
  }
};

/**
 * Streams an approval's changes to `onChange` until it is decided; resolves with the last
 * state seen. `timeoutMs` 0 waits without limit; otherwise the call fails DeadlineExceeded.
 */
export async function watchApproval(
  server: string,
  token: string | undefined,
  id: string,
  timeoutMs: number,
  onChange: (approval: Approval) => void,
): Promise<Approval | undefined> {
  let last: Approval | undefined;
  const stream = approvalClient(server, token).watchApproval({ id }, { timeoutMs });
  for await (const { approval } of stream) {
    if (!approval) continue;
    last = approval;
    onChange(approval);
  }
  return last;
}

const commands: Record<string, Command> = {
  list: runList,
  get: runGet,
  approve: decide(Verdict.APPROVE),
  deny: decide(Verdict.DENY),
  watch: runWatch,
};

/** Runs `vigil approvals …`; resolves with the exit code. */
export async function runApprovalsCommand(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined) return print(approvalsUsage, 2, true);
  if (sub === "--help" || sub === "help" || rest.includes("--help")) {
    return print(approvalsUsage, 0);
  }
  const command = Object.hasOwn(commands, sub) ? commands[sub] : undefined;
  if (command === undefined) {
    return print(`vigil approvals: unknown command "${sub}"\n\n${approvalsUsage}`, 2, true);
  }
  return command(rest, print, env);
}

function parseWithId<T extends Record<string, { type: "string"; default: string }>>(
  args: string[],
  name: string,
  extra: T,
) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...common, ...extra },
  });
  const [id, ...more] = positionals;
  if (id === undefined || id === "" || more.length > 0) {
    throw new ConfigError(`${name}: give exactly one approval ID`);
  }
  return {
    values: values as unknown as { server?: string; json: boolean } & Record<keyof T, string>,
    id,
  };
}

function show(approval: Approval | undefined, json: boolean): string {
  if (!approval) return "";
  return json ? `${approvalJson(approval)}\n` : approvalBlock(approval);
}

function failure(error: unknown, print: Print, server: string, id: string): number {
  if (error instanceof ConnectError && error.code === Code.NotFound) {
    return print(`vigil: no approval with id ${JSON.stringify(id)}\n`, 1, true);
  }
  return auditFailure(error, print, server);
}
