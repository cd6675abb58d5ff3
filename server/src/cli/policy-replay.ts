import { parseArgs } from "node:util";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import {
  type AuditRecord,
  AuditRecordKind,
  type AuditService,
  type RecordFilter,
} from "../../../gen/vigil/v1/audit_pb.js";
import { Decision } from "../../../gen/vigil/v1/common_pb.js";
import { ConfigError, describeError, PolicyEvaluationError, PolicyLoadError } from "../errors.js";
import {
  type PolicyDecision,
  PolicyOutputError,
  parseDecision,
  systemDeny,
} from "../policy/policy-decision.js";
import type { AuthorizeInput } from "../policy/policy-input.js";
import { authorizeEntrypoint } from "../policy/prepare-policy.js";
import { recordFilter } from "./audit-flags.js";
import type { LocalPolicy } from "./policy-commands.js";
import { replayInput } from "./policy-replay-input.js";
import { createReplayTally, formatReport, type ReplayedRecord } from "./policy-replay-report.js";
import { createProgressLine } from "./progress-line.js";
import { auditClient, isUnreachable, serverUrl, unreachableExitCode } from "./server-client.js";

/** Usage of `vigil policy replay`. */
export const replayUsage = `Usage: vigil policy replay --bundle FILE|DIR [flags]

  Re-evaluates recorded Authorize decisions against a candidate policy and reports which
  would change. Exit 0: none would; 1: some would (or the candidate failed on one); 2: usage;
  3: server unreachable.

  --bundle FILE|DIR  the candidate: a bundle .tar.gz, or a Rego directory compiled with opa
  --server URL       default VIGIL_SERVER, then http://127.0.0.1:8444
  --since T          RFC 3339 time, or an age: 15m, 2h, 7d (inclusive; default: the start)
  --until T          same forms (exclusive; default: now)
  --principal ID     only decisions about this principal
  --action ACTION    only decisions about this action
  --limit N          stop after N decisions
  --show N           examples per list in the report (default 20)
  --json             print the report as one JSON document
  --opa PATH         opa, to compile a directory
`;

type Print = (text: string, code: number, toStderr?: boolean) => number;

/** What `vigil policy replay` borrows from `vigil policy`. */
export interface ReplayDeps {
  /** Loads the candidate the way `vigil policy eval` loads a policy. */
  loadPolicy: (path: string, opaPath: string, now: () => number) => Promise<LocalPolicy>;
  /** The opa executable when `--opa` is not given. */
  opaPath: string;
}

/** Runs `vigil policy replay`; resolves with the exit code. */
export async function runPolicyReplay(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
  deps: ReplayDeps,
): Promise<number> {
  if (args.includes("--help")) return print(replayUsage, 0);
  const { values } = parseArgs({
    args,
    options: {
      bundle: { type: "string" },
      server: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      principal: { type: "string" },
      action: { type: "string" },
      limit: { type: "string" },
      show: { type: "string", default: "20" },
      json: { type: "boolean", default: false },
      opa: { type: "string", default: deps.opaPath },
    },
  });
  if (!values.bundle) throw new ConfigError("policy replay: --bundle FILE|DIR is required");
  const started = new Date();
  // The same filter flags, forms and messages as `vigil audit query`, decisions only.
  const filter = recordFilter(
    {
      principal: values.principal,
      action: values.action,
      since: values.since,
      until: values.until,
    },
    started,
  );
  filter.kind = AuditRecordKind.DECISION;
  const since = filter.startTime && timestampDate(filter.startTime);
  const until = filter.endTime && timestampDate(filter.endTime);
  const limit = values.limit === undefined ? undefined : wholeNumber(values.limit, "--limit", 1);
  const show = wholeNumber(values.show, "--show", 0);
  const baseUrl = serverUrl(values.server, env);

  // time.now_ns() answers with the time of the record being replayed, as it did live.
  let clock = started.getTime();
  const candidate = await deps
    .loadPolicy(values.bundle, values.opa, () => clock)
    .catch((error) => {
      throw new PolicyLoadError(
        `policy replay: the candidate ${values.bundle} cannot be used: ${describeError(error)}`,
        { cause: error },
      );
    });
  try {
    const tally = createReplayTally(show);
    const progress = createProgressLine({ label: (n) => `replaying… ${n} decisions` });
    let replayed = 0;
    try {
      for await (const record of decisionRecords(
        auditClient(baseUrl, env.VIGIL_TOKEN),
        filter,
        limit,
      )) {
        clock = record.time ? timestampDate(record.time).getTime() : started.getTime();
        tally.add(await replayRecord(candidate, record));
        progress.update(++replayed);
      }
      progress.clear();
    } catch (error) {
      progress.clear();
      if (isUnreachable(error)) {
        return print(
          `vigil: policy replay: cannot reach the server at ${baseUrl} (${describeError(error)})\n`,
          unreachableExitCode,
          true,
        );
      }
      throw exportFailure(error, baseUrl);
    }
    const report = tally.report({
      candidate: {
        source: values.bundle,
        revision: candidate.bundle.revision,
        digest: candidate.bundle.digest,
      },
      window: { since: since?.toISOString() ?? null, until: until?.toISOString() ?? null },
      filters: {
        principal: values.principal ?? null,
        action: values.action ?? null,
        limit: limit ?? null,
      },
    });
    const text = values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report);
    return print(text, report.passed ? 0 : 1);
  } finally {
    await candidate.close();
  }
}

/** Decision records in log order, `limit` at most; leaving early cancels the export. */
async function* decisionRecords(
  client: Client<typeof AuditService>,
  filter: RecordFilter,
  limit: number | undefined,
): AsyncGenerator<AuditRecord> {
  let taken = 0;
  // No deadline: the export stays open while every record is replayed.
  for await (const response of client.exportRecords({ filter }, { timeoutMs: 0 })) {
    for (const record of response.records) {
      // Only a decision has an input to replay, whatever the server's filter let through.
      if (record.kind !== AuditRecordKind.DECISION) continue;
      yield record;
      if (++taken === limit) return;
    }
  }
}

/** Replays one record on the candidate and lays both decisions side by side. */
async function replayRecord(candidate: LocalPolicy, record: AuditRecord): Promise<ReplayedRecord> {
  const { input, contentNotRecorded } = replayInput(record);
  const { decision, error } = await decide(candidate, input);
  return {
    id: record.id,
    sequence: record.sequence.toString(),
    time: input.time.rfc3339,
    principal: input.principal.id,
    action: input.action,
    resource: `${input.resource.kind}:${input.resource.id}`,
    recorded: {
      decision: (Decision[record.decision] ?? "unspecified").toLowerCase(),
      reasons: record.reasons.map((r) => ({ code: r.code, message: r.message })),
      revision: record.policy?.bundleRevision ?? "",
      digest: record.policy?.bundleDigest ?? "",
    },
    candidate: { decision: decision.outcome, reasons: decision.reasons },
    contentNotRecorded,
    ...(error !== undefined && { error }),
  };
}

/**
 * The candidate's decision with the fallbacks of `PolicyEngine.authorize` (an undefined,
 * failed or malformed result denies), but keeping why it failed: the server only logs that,
 * and here the reader is the policy author who has to fix it.
 */
async function decide(
  candidate: LocalPolicy,
  input: AuthorizeInput,
): Promise<{ decision: PolicyDecision; error?: string }> {
  const provenance = {
    revision: candidate.bundle.revision,
    entrypoint: authorizeEntrypoint,
    digest: candidate.bundle.digest,
  };
  try {
    const { result } = await candidate.engine.evaluate(authorizeEntrypoint, input);
    if (result === undefined) {
      return {
        decision: systemDeny("policy_undefined", `${authorizeEntrypoint} is undefined`, provenance),
      };
    }
    return { decision: parseDecision(result, provenance) };
  } catch (error) {
    if (error instanceof PolicyEvaluationError) {
      return {
        decision: systemDeny("policy_error", "policy evaluation failed", provenance),
        error: error.message,
      };
    }
    if (error instanceof PolicyOutputError) {
      return {
        decision: systemDeny("policy_output_invalid", error.message, provenance),
        error: `invalid decision: ${error.message}`,
      };
    }
    throw error;
  }
}

/** Says what a server that answers but will not export means for the user. */
function exportFailure(error: unknown, baseUrl: string): unknown {
  if (!(error instanceof ConnectError)) return error;
  const problem =
    error.code === Code.Unimplemented
      ? "does not serve AuditService.ExportRecords (an older server?)"
      : `refused to export decision records: ${error.rawMessage} [${Code[error.code]}]`;
  return new Error(`policy replay: the server at ${baseUrl} ${problem}`, { cause: error });
}

function wholeNumber(value: string, flag: string, min: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new ConfigError(`${flag}: expected a whole number of at least ${min}, got "${value}"`);
  }
  return Number(value);
}
