import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { create, toJson } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  type AuditRecord,
  AuditRecordKind,
  AuditRecordSchema,
  RecordFilterSchema,
} from "../../../gen/vigil/v1/audit_pb.js";
import { ConfigError } from "../errors.js";
import { contentText, enumName, outcomeText } from "./audit-format.js";
import { auditFailure, openLineSink, type Print } from "./audit-output.js";
import { queryAllRecords } from "./audit-pages.js";
import { auditClient, serverUrl } from "./server-client.js";

/** Usage of `vigil audit replay`. */
export const replayUsage = `Usage: vigil audit replay SESSION [--speed X] [--json] [--server URL]

Prints a session's records in order: the offset from its first event (when the event
happened at the caller, else when it was recorded), the event kind (or the decision),
principal, action and the stored content, which was masked before it was stored.

  --speed X   wait between records for their original gap divided by X: 1 replays at the
              original pace, 10 ten times faster; 0 (the default) does not wait
  --json      JSON Lines: {"offsetMs": N, "record": AuditRecord in protobuf JSON}
`;

/** Runs `vigil audit replay`. */
export async function runReplay(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (args.includes("--help")) return print(replayUsage, 0);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      server: { type: "string" },
      speed: { type: "string", default: "0" },
      json: { type: "boolean", default: false },
    },
  });
  const [session, ...extra] = positionals;
  if (session === undefined || session === "" || extra.length > 0) {
    throw new ConfigError("replay: give exactly one SESSION id");
  }
  const speed = Number(values.speed);
  if (values.speed.trim() === "" || !Number.isFinite(speed) || speed < 0) {
    throw new ConfigError(
      `--speed: expected a number of 0 or more (0: no waiting), got "${values.speed}"`,
    );
  }
  const server = serverUrl(values.server, env);
  const out = await openLineSink(undefined);
  let first: number | undefined;
  let previous: number | undefined;
  try {
    const records = queryAllRecords(auditClient(server, env.VIGIL_TOKEN), {
      filter: create(RecordFilterSchema, { sessionId: session }),
    });
    for await (const record of records) {
      const at = eventTime(record);
      first ??= at;
      // Caller clocks may run backwards between events; a negative gap is no wait at all.
      if (speed > 0 && previous !== undefined && at > previous) {
        await sleep((at - previous) / speed);
      }
      previous = at;
      await out.write(
        values.json
          ? JSON.stringify({ offsetMs: at - first, record: toJson(AuditRecordSchema, record) })
          : replayText(record, at - first),
      );
    }
  } catch (error) {
    return auditFailure(error, print, server);
  }
  if (first === undefined) {
    return print(`vigil: no records for session ${JSON.stringify(session)}\n`, 1, true);
  }
  return 0;
}

/** When the event happened at the caller (what replay timing is about), else when recorded. */
function eventTime(record: AuditRecord): number {
  const time = record.occurredAt ?? record.time;
  return time ? timestampMs(time) : 0;
}

/** `+HH:MM:SS.mmm  kind  principal  action` and the stored contents indented beneath. */
function replayText(record: AuditRecord, offsetMs: number): string {
  const kind =
    record.kind === AuditRecordKind.EVENT
      ? outcomeText(record)
      : `${enumName(AuditRecordKind, record.kind)}:${outcomeText(record)}`;
  const head = [
    offsetText(offsetMs),
    kind.padEnd(9),
    record.principal?.id || "-",
    record.action || "-",
  ].join("  ");
  const body = record.contents.flatMap((content) => {
    const { label, body: text } = contentText(content);
    return [`    ${label}`, ...(text === undefined ? [] : text.split("\n").map((l) => `    ${l}`))];
  });
  return [head, ...body].join("\n");
}

/** An offset as `+HH:MM:SS.mmm` (negative when a caller's clock went backwards). */
function offsetText(offsetMs: number): string {
  const sign = offsetMs < 0 ? "-" : "+";
  const ms = Math.abs(Math.round(offsetMs));
  const two = (n: number) => String(n).padStart(2, "0");
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor(ms / 60_000) % 60;
  const seconds = Math.floor(ms / 1000) % 60;
  return `${sign}${two(hours)}:${two(minutes)}:${two(seconds)}.${String(ms % 1000).padStart(3, "0")}`;
}
