import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  AuditRecordKind,
  type RecordFilter,
  RecordFilterSchema,
} from "../../../gen/vigil/v1/audit_pb.js";
import { Decision } from "../../../gen/vigil/v1/common_pb.js";
import { ConfigError } from "../errors.js";

/** The `parseArgs` options shared by `vigil audit query` and `vigil audit export`. */
export const filterOptions = {
  principal: { type: "string" },
  caller: { type: "string" },
  session: { type: "string" },
  decision: { type: "string" },
  action: { type: "string" },
  resource: { type: "string" },
  kind: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
} as const;

/** Usage lines for the filter flags. */
export const filterUsage = `  --principal ID   --caller ID   --session ID   --action A
  --decision allow|deny|require-approval
  --resource KIND[/ID]   (the ID may itself contain '/': secret/prod/deploy-key)
  --kind decision|redaction|event|approval|admin|access
  --since T  --until T   T is RFC 3339 (2026-05-01T09:00:00Z) or an age: 90s, 15m, 2h, 7d, 2w;
                         since is inclusive, until exclusive`;

/** The filter flags as `parseArgs` returns them. */
export type FilterValues = { [K in keyof typeof filterOptions]?: string | undefined };

/**
 * Turns the filter flags into a `RecordFilter`; unset flags match everything. `now` anchors
 * relative ages. Throws `ConfigError` naming the flag for a value that cannot be used.
 */
export function recordFilter(values: FilterValues, now: Date): RecordFilter {
  const filter = create(RecordFilterSchema, {
    principalId: values.principal ?? "",
    callerId: values.caller ?? "",
    sessionId: values.session ?? "",
    action: values.action ?? "",
  });
  if (values.decision !== undefined) {
    filter.decision = enumValue(Decision, "--decision", values.decision);
  }
  if (values.kind !== undefined) {
    filter.kind = enumValue(AuditRecordKind, "--kind", values.kind);
  }
  if (values.resource !== undefined) {
    const slash = values.resource.indexOf("/");
    filter.resourceKind = slash === -1 ? values.resource : values.resource.slice(0, slash);
    filter.resourceId = slash === -1 ? "" : values.resource.slice(slash + 1);
    if (filter.resourceKind === "") {
      throw new ConfigError(`--resource: expected KIND or KIND/ID, got "${values.resource}"`);
    }
  }
  const since = values.since === undefined ? undefined : parseTime("--since", values.since, now);
  const until = values.until === undefined ? undefined : parseTime("--until", values.until, now);
  if (since && until && since >= until) {
    throw new ConfigError("--since: must be earlier than --until");
  }
  if (since) filter.startTime = timestampFromDate(since);
  if (until) filter.endTime = timestampFromDate(until);
  return filter;
}

/** A non-negative whole number flag (`--limit`, `--from`, `--to`). */
export function parseCount(flag: string, text: string): bigint {
  if (!/^\d+$/.test(text)) {
    throw new ConfigError(`${flag}: expected a whole number of 0 or more, got "${text}"`);
  }
  return BigInt(text);
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const age = /^(\d+)(s|m|h|d|w)$/;
const unitMs = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** An RFC 3339 time, or an age such as `15m` meaning that long before `now`. */
export function parseTime(flag: string, text: string, now: Date): Date {
  const relative = age.exec(text);
  if (relative) {
    const unit = relative[2] as keyof typeof unitMs;
    return new Date(now.getTime() - Number(relative[1]) * unitMs[unit]);
  }
  // Date.parse alone accepts many informal shapes; only an explicit zone is unambiguous.
  const time = rfc3339.test(text)
    ? new Date(`${text.slice(0, 10)}T${text.slice(11).toUpperCase()}`)
    : undefined;
  if (time === undefined || Number.isNaN(time.getTime())) {
    throw new ConfigError(
      `${flag}: expected an RFC 3339 time (2026-05-01T09:00:00Z) or an age (15m, 2h, 7d), got "${text}"`,
    );
  }
  return time;
}

/**
 * Looks a lower-case, dash-separated name up in a generated enum (`require-approval` →
 * `REQUIRE_APPROVAL`); the unspecified zero value is not a choice.
 */
function enumValue<E extends Record<string, string | number>>(
  values: E,
  flag: string,
  name: string,
): E[keyof E] {
  const value = values[name.toUpperCase().replaceAll("-", "_") as keyof E];
  if (typeof value !== "number" || value === 0) {
    const choices = Object.keys(values)
      .filter((k) => Number.isNaN(Number(k)) && values[k] !== 0)
      .map((k) => k.toLowerCase().replaceAll("_", "-"));
    throw new ConfigError(`${flag}: expected one of ${choices.join(", ")}, got "${name}"`);
  }
  return value;
}
