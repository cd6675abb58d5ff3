import { parseArgs } from "node:util";
import { create, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ApprovalState } from "../../../gen/vigil/v1/approval_pb.js";
import { Decision } from "../../../gen/vigil/v1/common_pb.js";
import {
  type AuthorizeRequest,
  AuthorizeRequestSchema,
  type AuthorizeResponse,
  AuthorizeResponseSchema,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import { stateName } from "../approvals/approval-votes.js";
import { ConfigError, describeError } from "../errors.js";
import { watchApproval } from "./approval-commands.js";
import { approvalLine } from "./approval-format.js";
import type { Print } from "./audit-output.js";
import { githubAnnotation, inGithubActions } from "./github-annotations.js";
import {
  contentFlags,
  contentKindFlag,
  principalKindFlag,
  resourceFlag,
  subjectFlagOptions,
} from "./request-flags.js";
import { isUnreachable, policyClient, serverUrl, unreachableExitCode } from "./server-client.js";

/** Exit codes of `vigil authorize`: a CI step branches on them. */
export const authorizeExitCodes = {
  allow: 0,
  deny: 1,
  pending: 2,
  unreachable: unreachableExitCode,
  // 2 already means "pending" here, so bad flags use sysexits' EX_USAGE.
  usage: 64,
} as const;

/** Usage of `vigil authorize`. */
export const authorizeUsage = `Usage: vigil authorize --principal ID --action ACTION --resource KIND:ID [flags]

Asks the server whether an action may proceed, before a CI job or script forwards a secret.

  --principal ID        who acts (required)
  --principal-kind K    user, service, ci_job or agent (default service)
  --action ACTION       e.g. deploy, llm.complete, tool.call (required)
  --resource KIND:ID    what it acts on, e.g. environment:production (required)
  --attr KEY=VALUE      a resource attribute, repeatable (e.g. environment=production)
  --secret NAME         a secret the action uses, by name, repeatable
  --content TEXT        content to be checked (e.g. the command), with --content-kind
  --content-file FILE   …or read it from a file ('-' for stdin)
  --content-kind KIND   prompt, command, sql, log, ... (default command)
  --approval ID         redeem an approval granted for this exact request
  --wait                when approval is required, wait for the reviewers' decision and
                        then redeem it (prints the approval id while waiting)
  --timeout SECONDS     how long --wait waits (default 900)
  --fail-open           exit 0 instead of 3 when the server cannot be reached (not advised)
  --json                print the AuthorizeResponse as protobuf JSON
  --server URL          default VIGIL_SERVER, then http://127.0.0.1:8444; token from VIGIL_TOKEN

Exit codes: 0 allow, 1 deny, 2 approval pending, 3 server unreachable (deny), 64 bad flags.
In GitHub Actions (GITHUB_ACTIONS=true) a deny, a pending approval or an unreachable server is
also an annotation on the run (not with --json, whose output stays pure JSON).
`;

/** Runs `vigil authorize`; resolves with the exit code (see {@link authorizeExitCodes}). */
export async function runAuthorize(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (args.includes("--help")) return print(authorizeUsage, 0);
  let parsed: Awaited<ReturnType<typeof parseRequest>>;
  try {
    parsed = await parseRequest(args);
  } catch (error) {
    return print(`vigil authorize: ${describeError(error)}\n`, authorizeExitCodes.usage, true);
  }
  const { request, values } = parsed;
  const server = serverUrl(values.server, env);
  const client = policyClient(server, env.VIGIL_TOKEN);
  const report = (res: AuthorizeResponse) => {
    const text = values.json
      ? `${JSON.stringify(toJson(AuthorizeResponseSchema, res))}\n`
      : describe(res);
    print(text, 0);
    // Workflow commands go to stdout, so --json output stays pure JSON without them.
    if (inGithubActions(env) && !values.json && res.decision !== Decision.ALLOW) {
      print(annotationOf(res, request), 0);
    }
    return exitCodeOf(res.decision);
  };
  try {
    let res = await client.authorize(request);
    if (res.decision !== Decision.REQUIRE_APPROVAL || !values.wait || !res.approval) {
      return report(res);
    }
    const id = res.approval.id;
    print(`waiting for approval ${id} (vigil approvals approve ${id})\n`, 0, true);
    const last = await watchApproval(server, env.VIGIL_TOKEN, id, values.timeoutMs, (a) => {
      print(`  ${approvalLine(a)}\n`, 0, true);
    });
    if (last?.state === ApprovalState.APPROVED) {
      res = await client.authorize(create(AuthorizeRequestSchema, { ...request, approvalId: id }));
      return report(res);
    }
    return print(
      `vigil: approval ${id} is ${last ? stateName(last.state) : "unknown"}; denied\n`,
      authorizeExitCodes.deny,
      true,
    );
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.DeadlineExceeded && values.wait) {
      return print(
        `vigil: still waiting for approval after ${values.timeoutMs / 1000}s\n`,
        authorizeExitCodes.pending,
        true,
      );
    }
    if (isUnreachable(error)) {
      const outcome = values.failOpen ? "allowing (--fail-open)" : "denied";
      print(
        `vigil: cannot reach the server at ${server} (${describeError(error)}); ${outcome}\n`,
        0,
        true,
      );
      if (inGithubActions(env) && !values.json) {
        print(
          githubAnnotation(
            values.failOpen ? "warning" : "error",
            `Vigil at ${server} cannot be reached; ${outcome}`,
            { title: "Vigil unreachable" },
          ),
          0,
        );
      }
      return values.failOpen ? authorizeExitCodes.allow : authorizeExitCodes.unreachable;
    }
    const message = error instanceof ConnectError ? error.rawMessage : describeError(error);
    return print(`vigil: ${message}; denied\n`, authorizeExitCodes.deny, true);
  }
}

async function parseRequest(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      ...subjectFlagOptions,
      action: { type: "string" },
      secret: { type: "string", multiple: true, default: [] },
      "content-kind": { type: "string", default: "command" },
      approval: { type: "string", default: "" },
      wait: { type: "boolean", default: false },
      timeout: { type: "string", default: "900" },
      "fail-open": { type: "boolean", default: false },
    },
  });
  const required = (name: "principal" | "action" | "resource") => {
    const value = values[name];
    if (!value) throw new ConfigError(`--${name} is required`);
    return value;
  };
  const [principal, action, resource] = [
    required("principal"),
    required("action"),
    required("resource"),
  ];
  const kind = principalKindFlag(values["principal-kind"]);
  const target = resourceFlag(resource, values.attr);
  const contentKind = contentKindFlag(values["content-kind"]);
  const text = await contentFlags(values);
  const timeout = Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new ConfigError("--timeout must be a positive number of seconds");
  }
  const request = create(AuthorizeRequestSchema, {
    principal: { id: principal, kind },
    action,
    resource: target,
    secrets: values.secret.map((name) => ({ name })),
    contents:
      text === undefined ? [] : [{ kind: contentKind, body: { case: "text", value: text } }],
    approvalId: values.approval,
  });
  return {
    request,
    values: {
      server: values.server,
      wait: values.wait,
      timeoutMs: timeout * 1000,
      failOpen: values["fail-open"],
      json: values.json,
    },
  };
}

function exitCodeOf(decision: Decision): number {
  if (decision === Decision.ALLOW) return authorizeExitCodes.allow;
  if (decision === Decision.REQUIRE_APPROVAL) return authorizeExitCodes.pending;
  return authorizeExitCodes.deny;
}

/** The run summary's line for a deny or a pending approval: reason codes and messages only. */
function annotationOf(res: AuthorizeResponse, request: AuthorizeRequest): string {
  const what = `${request.action} on ${request.resource?.kind}:${request.resource?.id}`;
  const why = res.reasons.map((r) => `${r.code}: ${r.message}`).join("; ");
  if (res.decision === Decision.REQUIRE_APPROVAL) {
    return githubAnnotation(
      "warning",
      `${what} waits for approval ${res.approval?.id ?? ""}. ${why}`,
      {
        title: "Vigil: approval required",
      },
    );
  }
  return githubAnnotation("error", `${what} was denied. ${why}`, { title: "Vigil: denied" });
}

function describe(res: AuthorizeResponse): string {
  const decision = (Decision[res.decision] ?? "DENY").toLowerCase().replace("_", " ");
  const lines = [`${decision} (decision ${res.decisionId})`];
  for (const reason of res.reasons) lines.push(`  ${reason.code}: ${reason.message}`);
  if (res.approval?.id) {
    lines.push(`  approval ${res.approval.id} (${stateName(res.approval.state)})`);
  }
  return `${lines.join("\n")}\n`;
}
