import { type JsonObject, toJson } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import {
  type AuditRecord,
  AuditRecordKind,
  AuditRecordSchema,
  type RecordedContent,
} from "../../../gen/vigil/v1/audit_pb.js";
import {
  ContentKind,
  Decision,
  type PolicyProvenance,
  PrincipalKind,
} from "../../../gen/vigil/v1/common_pb.js";
import { RecordEventKind } from "../../../gen/vigil/v1/policy_service_pb.js";

/**
 * The flag-style name of a generated enum value (`Decision.REQUIRE_APPROVAL` →
 * `require-approval`), or `-` for the unspecified zero value, so columns never go empty.
 */
export function enumName(values: Record<number, string>, value: number): string {
  const name = value === 0 ? undefined : values[value];
  return name === undefined ? "-" : name.toLowerCase().replaceAll("_", "-");
}

/** A timestamp as RFC 3339 in UTC, or `-` when absent. */
export function timeText(time: Timestamp | undefined): string {
  return time ? timestampDate(time).toISOString() : "-";
}

/** A record as protobuf JSON on one line: the JSON Lines format of query, export and replay. */
export function recordJsonLine(record: AuditRecord): string {
  return JSON.stringify(toJson(AuditRecordSchema, record));
}

/** `kind/id` of the record's resource, or `-`. */
function resourceText(record: AuditRecord): string {
  const { kind = "", id = "" } = record.resource ?? {};
  return kind === "" ? "-" : id === "" ? kind : `${kind}/${id}`;
}

/** The decision for decision records; the event kind for events; `-` otherwise. */
export function outcomeText(record: AuditRecord): string {
  return record.kind === AuditRecordKind.EVENT
    ? enumName(RecordEventKind, record.eventKind)
    : enumName(Decision, record.decision);
}

/**
 * One record on one line: time, sequence, kind, decision (or event kind), principal, action,
 * resource and id, separated by two spaces; short columns are padded so a page lines up.
 */
export function recordLine(record: AuditRecord): string {
  return [
    timeText(record.time),
    `#${record.sequence}`.padStart(7),
    enumName(AuditRecordKind, record.kind).padEnd(9),
    outcomeText(record).padEnd(16),
    record.principal?.id || "-",
    record.action || "-",
    resourceText(record),
    record.id,
  ].join("  ");
}

/** A stored content in a few words and its (masked) body, for `get` and `replay`. */
export function contentText(content: RecordedContent): { label: string; body: string | undefined } {
  const parts = [enumName(ContentKind, content.kind)];
  if (content.name) parts.push(JSON.stringify(content.name));
  parts.push(`${content.originalLength} bytes`);
  if (!content.stored) parts.push("not stored");
  const body = content.stored && content.body.case ? content.body.value : undefined;
  return { label: `[${parts.join(", ")}]`, body };
}

/** A record as a labelled block, one field a line; empty fields are left out. */
export function recordBlock(record: AuditRecord): string {
  const json = toJson(AuditRecordSchema, record) as JsonObject;
  const compact = (key: string) => (json[key] === undefined ? "" : JSON.stringify(json[key]));
  const caller = record.caller;
  const principal = record.principal;
  const rows: [string, string][] = [
    ["id", record.id],
    ["sequence", String(record.sequence)],
    ["time", timeText(record.time)],
    ["kind", enumName(AuditRecordKind, record.kind)],
    [
      "caller",
      caller ? `${caller.id} (${caller.method})${caller.peer ? ` from ${caller.peer}` : ""}` : "",
    ],
    ["principal", principal ? `${principal.id} (${enumName(PrincipalKind, principal.kind)})` : ""],
    ["groups", principal?.groups.join(", ") ?? ""],
    ["action", record.action],
    ["resource", record.resource ? resourceText(record) : ""],
    ["session", record.sessionId],
    ["request id", record.requestId],
    ["decision", record.decision ? enumName(Decision, record.decision) : ""],
    ["event", record.eventKind ? enumName(RecordEventKind, record.eventKind) : ""],
    ["decision id", record.decisionId],
    ["occurred at", record.occurredAt ? timeText(record.occurredAt) : ""],
    ["approval id", record.approvalId],
    [
      "secrets",
      record.secrets.map((s) => (s.store ? `${s.name} (${s.store})` : s.name)).join(", "),
    ],
    ...record.reasons.map((r): [string, string] => ["reason", `${r.code}: ${r.message}`]),
    ...((json.obligations as JsonObject[] | undefined) ?? []).map((o): [string, string] => [
      "obligation",
      JSON.stringify(o),
    ]),
    ["policy", record.policy ? policyText(record.policy) : ""],
    ...record.contents.map((c): [string, string] => {
      const { label, body } = contentText(c);
      return ["content", body === undefined ? label : `${label} ${body}`];
    }),
    ...record.findings.map((f): [string, string] => [
      "finding",
      `${f.detectorId} at ${f.location?.jsonPointer || `${f.location?.line ?? 0}:${f.location?.column ?? 0}`}`,
    ]),
    ["attributes", compact("attributes")],
    ["prev hash", record.prevHash],
    ["hash", record.hash],
  ];
  return rows
    .filter(([, value]) => value !== "")
    .map(([label, value]) => `${`${label}:`.padEnd(13)}${indentContinuation(value)}`)
    .join("\n");
}

function policyText(policy: PolicyProvenance): string {
  const parts = [`revision ${policy.bundleRevision || "(none)"}`];
  if (policy.entrypoint) parts.push(`entrypoint ${policy.entrypoint}`);
  if (policy.bundleDigest) parts.push(`digest ${policy.bundleDigest}`);
  return parts.join(", ");
}

/** Multi-line values (masked content, mostly) keep their lines under the value column. */
function indentContinuation(value: string): string {
  return value.replaceAll("\n", `\n${" ".repeat(13)}`);
}
