import { parseArgs } from "node:util";
import { create, toJson } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { ContentKind } from "../../../gen/vigil/v1/common_pb.js";
import {
  RecordEventKind,
  type RecordRequest,
  RecordRequestSchema,
  RecordResponseSchema,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import { ConfigError, describeError } from "../errors.js";
import type { Print } from "./audit-output.js";
import {
  contentFlags,
  contentKindFlag,
  principalKindFlag,
  resourceFlag,
  subjectFlagOptions,
} from "./request-flags.js";
import { isUnreachable, policyClient, serverUrl, unreachableExitCode } from "./server-client.js";

/** Usage of `vigil record`. */
export const recordUsage = `Usage: vigil record --principal ID --kind KIND [flags]

Appends one event to the audit trail, e.g. a CI step's command and then its output. The server
masks the content (the policy's audit plan, plus the values of --scrub-env variables) before
anything is stored, and answers once the record is durable.

  --principal ID        who acted (required)
  --principal-kind K    user, service, ci_job or agent (default service)
  --kind KIND           request, response, command, output or note (required)
  --session ID          the session it belongs to (vigil audit replay SESSION)
  --action ACTION       e.g. deploy, shell.exec
  --resource KIND:ID    what it acted on, with --attr KEY=VALUE attributes
  --decision ID         the Authorize decision it follows from
  --content TEXT        the content, or --content-file FILE ('-' for stdin)
  --content-kind KIND   command, log, prompt, completion, ... (default: command for --kind
                        command, prompt for request, completion for response, else log)
  --scrub-env NAME      also mask the value of this environment variable wherever it appears
                        (in plain, base64, hex or URL-encoded form); repeatable
  --json                print the RecordResponse as protobuf JSON
  --server URL          default VIGIL_SERVER, then http://127.0.0.1:8444

Exit codes: 0 recorded, 1 refused, 2 bad flags, 3 server unreachable (nothing recorded).
`;

const usageExitCode = 2;

const eventKinds: Record<string, RecordEventKind> = {
  request: RecordEventKind.REQUEST,
  response: RecordEventKind.RESPONSE,
  command: RecordEventKind.COMMAND,
  output: RecordEventKind.OUTPUT,
  note: RecordEventKind.NOTE,
};

const defaultContentKinds: Record<string, ContentKind> = {
  request: ContentKind.PROMPT,
  response: ContentKind.COMPLETION,
  command: ContentKind.COMMAND,
};

/** Runs `vigil record`; resolves with the exit code. */
export async function runRecord(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (args.includes("--help")) return print(recordUsage, 0);
  let request: RecordRequest;
  let values: { server?: string | undefined; json: boolean };
  try {
    ({ request, values } = await parseRequest(args, env));
  } catch (error) {
    return print(`vigil record: ${describeError(error)}\n`, usageExitCode, true);
  }
  const server = serverUrl(values.server, env);
  try {
    const res = await policyClient(server, env.VIGIL_TOKEN).record(request);
    if (values.json) return print(`${JSON.stringify(toJson(RecordResponseSchema, res))}\n`, 0);
    const masked = res.findings.length;
    return print(
      `recorded #${res.sequence} ${res.recordId}${masked > 0 ? `; ${masked} finding${masked === 1 ? "" : "s"} masked` : ""}\n`,
      0,
    );
  } catch (error) {
    if (isUnreachable(error)) {
      return print(
        `vigil record: cannot reach the server at ${server} (${describeError(error)}); nothing recorded\n`,
        unreachableExitCode,
        true,
      );
    }
    const message = error instanceof ConnectError ? error.rawMessage : describeError(error);
    return print(`vigil record: ${message}\n`, 1, true);
  }
}

async function parseRequest(args: string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({
    args,
    options: {
      ...subjectFlagOptions,
      kind: { type: "string" },
      session: { type: "string", default: "" },
      action: { type: "string", default: "" },
      decision: { type: "string", default: "" },
      "content-kind": { type: "string" },
      "scrub-env": { type: "string", multiple: true, default: [] },
    },
  });
  if (!values.principal) throw new ConfigError("--principal is required");
  const kindName = (values.kind ?? "").toLowerCase();
  const kind = eventKinds[kindName];
  if (kind === undefined) {
    throw new ConfigError(`--kind must be one of ${Object.keys(eventKinds).join(", ")}`);
  }
  const text = await contentFlags(values);
  const contentKind = values["content-kind"]
    ? contentKindFlag(values["content-kind"])
    : (defaultContentKinds[kindName] ?? ContentKind.LOG);
  const registeredSecrets = values["scrub-env"].map((name) => {
    const value = env[name];
    // A missing variable is a mistake in the step, not an empty secret to ignore.
    if (!value) throw new ConfigError(`--scrub-env ${name}: the variable is not set`);
    return { name, value: { case: "text" as const, value } };
  });
  const request = create(RecordRequestSchema, {
    event: {
      kind,
      sessionId: values.session,
      principal: { id: values.principal, kind: principalKindFlag(values["principal-kind"]) },
      action: values.action,
      ...(values.resource ? { resource: resourceFlag(values.resource, values.attr) } : {}),
      decisionId: values.decision,
      ...(text === undefined
        ? {}
        : { content: { kind: contentKind, body: { case: "text", value: text } } }),
    },
    registeredSecrets,
  });
  return { request, values: { server: values.server, json: values.json } };
}
