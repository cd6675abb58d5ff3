import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { fromJson, toJson } from "@bufbuild/protobuf";
import {
  type Checkpoint,
  CheckpointSchema,
  type VerifyLogResponse,
  VerifyLogResponseSchema,
} from "../../../gen/vigil/v1/audit_pb.js";
import { ConfigError, describeError } from "../errors.js";
import { parseCount } from "./audit-flags.js";
import { timeText } from "./audit-format.js";
import { auditFailure, openLineSink, type Print } from "./audit-output.js";
import { listAllCheckpoints } from "./audit-pages.js";
import { auditClient, serverUrl } from "./server-client.js";

/** Usage of `vigil audit verify`. */
export const verifyUsage = `Usage: vigil audit verify [--checkpoints FILE] [--from N] [--to N] [--json] [--server URL]

Asks the server to recompute the audit log's hash chain and check its signed checkpoints.
Exits 0 when the log is intact, 1 when it is not (the first bad sequence, record id and
problem are printed), 3 when the server cannot be reached.

  --checkpoints FILE  checkpoints kept outside the store (JSON Lines, as written by
                      'vigil audit checkpoints --out FILE'), to detect a rewritten log
  --from N, --to N    the range of sequences to verify (default: the whole log)
  --json              the server's answer as protobuf JSON
`;

/** Usage of `vigil audit checkpoints`. */
export const checkpointsUsage = `Usage: vigil audit checkpoints [--out FILE] [--json] [--server URL]

Lists the signed checkpoints (log size, head hash, time, key id), oldest first. --out FILE
saves them as JSON Lines, the format 'vigil audit verify --checkpoints' reads; the file is
replaced atomically. Keep it somewhere the server cannot write.
`;

/** Runs `vigil audit verify`. */
export async function runVerify(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (args.includes("--help")) return print(verifyUsage, 0);
  const { values } = parseArgs({
    args,
    options: {
      server: { type: "string" },
      checkpoints: { type: "string" },
      from: { type: "string", default: "0" },
      to: { type: "string", default: "0" },
      json: { type: "boolean", default: false },
    },
  });
  const fromSequence = parseCount("--from", values.from);
  const toSequence = parseCount("--to", values.to);
  if (toSequence !== 0n && fromSequence > toSequence) {
    throw new ConfigError("--from: must not be after --to");
  }
  const trustedCheckpoints = values.checkpoints ? await readCheckpoints(values.checkpoints) : [];
  const server = serverUrl(values.server, env);
  try {
    // Verification recomputes every hash of a log that may be large: no fixed deadline.
    const res = await auditClient(server, env.VIGIL_TOKEN).verifyLog(
      { fromSequence, toSequence, trustedCheckpoints },
      { timeoutMs: 0 },
    );
    const text = values.json
      ? JSON.stringify(toJson(VerifyLogResponseSchema, res), null, 2)
      : verifyText(res);
    return print(`${text}\n`, res.ok ? 0 : 1);
  } catch (error) {
    return auditFailure(error, print, server);
  }
}

/** Runs `vigil audit checkpoints`. */
export async function runCheckpoints(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (args.includes("--help")) return print(checkpointsUsage, 0);
  const { values } = parseArgs({
    args,
    options: {
      server: { type: "string" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const server = serverUrl(values.server, env);
  const out = await openLineSink(values.out);
  let count = 0;
  try {
    for await (const checkpoint of listAllCheckpoints(auditClient(server, env.VIGIL_TOKEN))) {
      const json = values.json || values.out !== undefined;
      await out.write(
        json ? JSON.stringify(toJson(CheckpointSchema, checkpoint)) : checkpointLine(checkpoint),
      );
      count += 1;
    }
    await out.close();
  } catch (error) {
    await out.abort();
    return auditFailure(error, print, server);
  }
  if (values.out === undefined) return 0;
  return print(`wrote ${count} checkpoint${count === 1 ? "" : "s"} to ${values.out}\n`, 0);
}

function checkpointLine(c: Checkpoint): string {
  return `size ${c.size}  ${timeText(c.time)}  head ${c.headHash}  key ${c.keyId}`;
}

function verifyText(res: VerifyLogResponse): string {
  const range = `sequences ${res.firstSequence}..${res.firstSequence + res.entriesChecked - 1n}`;
  const lines = res.ok
    ? [
        `ok: ${res.entriesChecked} entries checked${res.entriesChecked > 0n ? ` (${range})` : ""}, ${res.checkpointsChecked} checkpoints checked`,
      ]
    : [
        `NOT OK: ${res.problem || "verification failed"}`,
        `  first bad sequence: ${res.firstBadSequence}`,
        `  first bad record:   ${res.firstBadRecordId || "-"}`,
        `  entries checked:    ${res.entriesChecked}`,
      ];
  if (res.headHash) lines.push(`head hash: ${res.headHash}`);
  const latest = res.latestCheckpoint;
  if (latest) {
    lines.push(
      `latest checkpoint: size ${latest.size} at ${timeText(latest.time)}, key ${latest.keyId}`,
    );
  }
  if (res.anchor) {
    lines.push(
      `retention anchor: log starts at sequence ${res.anchor.firstSequence} (pruned ${timeText(res.anchor.time)})`,
    );
  }
  return lines.join("\n");
}

/** Reads a JSON Lines checkpoint file; a line that is not a Checkpoint is a usage error. */
async function readCheckpoints(path: string): Promise<Checkpoint[]> {
  const text = await readFile(path, "utf8").catch((error: unknown) => {
    throw new ConfigError(`--checkpoints: cannot read ${path} (${describeError(error)})`);
  });
  const checkpoints: Checkpoint[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    try {
      checkpoints.push(fromJson(CheckpointSchema, JSON.parse(line)));
    } catch (error) {
      throw new ConfigError(
        `--checkpoints: ${path}:${index + 1} is not a checkpoint (${describeError(error)})`,
      );
    }
  }
  return checkpoints;
}
