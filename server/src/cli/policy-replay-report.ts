import type { DecisionReason } from "../policy/policy-decision.js";

/** A decision as compared: the outcome name and its reasons. */
export interface ComparedDecision {
  /** `allow`, `deny` or `require_approval` (`unspecified` for a malformed record). */
  decision: string;
  reasons: DecisionReason[];
}

/** One replayed record, as it appears in the report's examples. */
export interface ReplayedRecord {
  id: string;
  /** Position in the audit log (a decimal string: it is a uint64). */
  sequence: string;
  /** When the decision was made, RFC 3339. */
  time: string;
  principal: string;
  action: string;
  /** `kind:id` of the resource. */
  resource: string;
  /** The recorded decision and the bundle that made it. */
  recorded: ComparedDecision & { revision: string; digest: string };
  candidate: ComparedDecision;
  /** Content items the candidate saw as kind and name only. */
  contentNotRecorded: number;
  /** Why the candidate failed to evaluate this record (it then denies); absent when it did not. */
  error?: string;
}

/** Decisions that moved from one outcome to another, and which candidate reasons moved them. */
export interface Transition {
  from: string;
  to: string;
  count: number;
  /** Candidate reason code → how many of these decisions gave it. */
  candidateReasons: Record<string, number>;
}

/** The report `vigil policy replay` prints; `--json` prints it as is. */
export interface ReplayReport {
  /** True when no decision would change and the candidate evaluated every record. */
  passed: boolean;
  candidate: { source: string; revision: string; digest: string };
  /** The bundles that made the recorded decisions, with how many each made. */
  recordedPolicies: { revision: string; digest: string; records: number }[];
  window: { since: string | null; until: string | null };
  filters: { principal: string | null; action: string | null; limit: number | null };
  replayed: number;
  /** Same decision and the same set of reason codes. */
  unchanged: number;
  /** A different decision. */
  changed: number;
  /** Same decision, a different set of reason codes. */
  reasonsChanged: number;
  /** The candidate failed to evaluate the record (counted in the three above as a deny too). */
  errors: number;
  /** Replayed decisions that had content the candidate could not see. */
  contentNotRecorded: number;
  transitions: Transition[];
  /** Up to `shown` examples of each list, spread over every transition. */
  changes: ReplayedRecord[];
  reasonChanges: ReplayedRecord[];
  errorRecords: ReplayedRecord[];
  /** The most examples kept in each list (`--show`). */
  shown: number;
}

/** Accumulates replayed records one at a time, keeping only counts and a bounded set of examples. */
export interface ReplayTally {
  add(record: ReplayedRecord): void;
  report(meta: Pick<ReplayReport, "candidate" | "window" | "filters">): ReplayReport;
}

/** Creates a tally that keeps up to `show` examples of each kind of difference. */
export function createReplayTally(show: number): ReplayTally {
  const counts = { replayed: 0, unchanged: 0, changed: 0, reasonsChanged: 0, errors: 0 };
  let contentNotRecorded = 0;
  const policies = new Map<string, ReplayReport["recordedPolicies"][number]>();
  const transitions = new Map<string, Transition>();
  // Examples per transition, so a rare loosening (deny → allow) is not crowded out of the
  // report by a thousand expected tightenings.
  const examples = new Map<string, ReplayedRecord[]>();
  const reasonChanges: ReplayedRecord[] = [];
  const errorRecords: ReplayedRecord[] = [];

  return {
    add(record) {
      counts.replayed++;
      if (record.contentNotRecorded > 0) contentNotRecorded++;
      const { revision, digest } = record.recorded;
      const policy = policies.get(`${revision}\0${digest}`);
      if (policy) policy.records++;
      else policies.set(`${revision}\0${digest}`, { revision, digest, records: 1 });
      if (record.error !== undefined) {
        counts.errors++;
        if (errorRecords.length < show) errorRecords.push(record);
      }
      if (record.recorded.decision !== record.candidate.decision) {
        counts.changed++;
        const key = `${record.recorded.decision} → ${record.candidate.decision}`;
        const transition = transitions.get(key) ?? {
          from: record.recorded.decision,
          to: record.candidate.decision,
          count: 0,
          candidateReasons: {},
        };
        transition.count++;
        for (const code of codes(record.candidate)) {
          transition.candidateReasons[code] = (transition.candidateReasons[code] ?? 0) + 1;
        }
        transitions.set(key, transition);
        const kept = examples.get(key) ?? [];
        if (kept.length < show) kept.push(record);
        examples.set(key, kept);
      } else if (codes(record.recorded).join() !== codes(record.candidate).join()) {
        counts.reasonsChanged++;
        if (reasonChanges.length < show) reasonChanges.push(record);
      } else {
        counts.unchanged++;
      }
    },

    report(meta) {
      return {
        passed: counts.changed === 0 && counts.errors === 0,
        candidate: meta.candidate,
        recordedPolicies: [...policies.values()].sort((a, b) => b.records - a.records),
        window: meta.window,
        filters: meta.filters,
        ...counts,
        contentNotRecorded,
        transitions: [...transitions.values()].sort((a, b) => b.count - a.count),
        changes: spread([...examples.values()], show),
        reasonChanges,
        errorRecords,
        shown: show,
      };
    },
  };
}

/** The distinct reason codes of a decision, sorted: order and repeats do not make a change. */
function codes(decision: ComparedDecision): string[] {
  return [...new Set(decision.reasons.map((r) => r.code))].sort();
}

/** Takes examples round-robin from each list until `limit`, then restores log order. */
function spread(lists: ReplayedRecord[][], limit: number): ReplayedRecord[] {
  const taken: ReplayedRecord[] = [];
  for (let i = 0; taken.length < limit && lists.some((l) => i < l.length); i++) {
    for (const list of lists) {
      const item = list[i];
      if (item && taken.length < limit) taken.push(item);
    }
  }
  return taken.sort((a, b) => compareSequence(a.sequence, b.sequence));
}

function compareSequence(a: string, b: string): number {
  const diff = BigInt(a) - BigInt(b);
  return diff < 0n ? -1 : diff > 0n ? 1 : 0;
}

/** The report for a person: summary first, then examples to start reading the policy from. */
export function formatReport(report: ReplayReport): string {
  const { candidate } = report;
  const lines = [`candidate: ${bundleName(candidate)} (${candidate.source})`];
  for (const policy of report.recordedPolicies) {
    const same = policy.digest === candidate.digest ? ", the candidate's policy" : "";
    lines.push(`recorded:  ${bundleName(policy)}: ${plural(policy.records, "decision")}${same}`);
  }
  lines.push(`window:    ${windowText(report.window)}`);
  const { principal, action, limit } = report.filters;
  const filters = [
    principal === null ? "" : `principal ${principal}`,
    action === null ? "" : `action ${action}`,
    limit === null ? "" : `first ${limit} records`,
  ].filter(Boolean);
  if (filters.length > 0) lines.push(`filters:   ${filters.join(", ")}`);
  lines.push(
    "",
    `replayed ${plural(report.replayed, "decision")}: ${report.unchanged} unchanged, ` +
      `${report.changed} changed, ${report.reasonsChanged} same decision with different reasons, ` +
      plural(report.errors, "error"),
  );
  if (report.replayed === 0) lines.push("no recorded decision matched the window and filters");
  if (report.contentNotRecorded > 0) {
    lines.push(
      `content not recorded: ${plural(report.contentNotRecorded, "replayed decision")} had ` +
        "content; the candidate saw kind and name only",
    );
  }
  if (report.transitions.length > 0) {
    lines.push("", "changed decisions by transition:");
    for (const t of report.transitions) {
      const reasons = Object.entries(t.candidateReasons)
        .sort((a, b) => b[1] - a[1])
        .map(([code, n]) => `${code} ${n}`)
        .join(", ");
      lines.push(
        `  ${`${t.from} → ${t.to}`.padEnd(34)} ${String(t.count).padStart(6)}  (candidate: ${reasons})`,
      );
    }
  }
  section(lines, "changed decisions", report.changes, report.changed, (r) => [
    `${r.recorded.decision} → ${r.candidate.decision}`,
    `recorded reasons: ${r.recorded.reasons.map((x) => x.code).join(", ") || "none"}`,
    `candidate reasons: ${reasonText(r.candidate.reasons)}`,
    ...(r.error === undefined ? [] : [`error: ${r.error}`]),
  ]);
  section(
    lines,
    "same decision, different reasons",
    report.reasonChanges,
    report.reasonsChanged,
    (r) => [
      `${r.candidate.decision}: ${codeList(r.recorded)} → ${codeList(r.candidate)}`,
      `candidate reasons: ${reasonText(r.candidate.reasons)}`,
    ],
  );
  section(
    lines,
    "evaluation errors, each a deny on the candidate",
    report.errorRecords,
    report.errors,
    (r) => [`error: ${r.error ?? ""}`],
  );
  return `${lines.join("\n")}\n`;
}

/** Appends a titled list of examples, each with the record's identity and `detail` lines. */
function section(
  lines: string[],
  title: string,
  records: ReplayedRecord[],
  total: number,
  detail: (record: ReplayedRecord) => string[],
): void {
  if (records.length === 0) return;
  lines.push("", `${title} (${records.length} of ${total}):`);
  for (const r of records) {
    lines.push(`  ${r.id}  #${r.sequence}  ${r.time}`);
    lines.push(`    ${r.principal}  ${r.action}  ${r.resource}`);
    for (const line of detail(r)) lines.push(`    ${line}`);
    if (r.contentNotRecorded > 0) {
      lines.push(
        `    content not recorded: the candidate saw kind and name only (${plural(r.contentNotRecorded, "item")})`,
      );
    }
  }
}

function bundleName(policy: { revision: string; digest: string }): string {
  if (!policy.revision && !policy.digest) return "no policy loaded";
  return `revision ${policy.revision || "(none)"}, digest ${policy.digest.slice(0, 12)}`;
}

function windowText(window: ReplayReport["window"]): string {
  if (window.since === null && window.until === null) return "all recorded decisions";
  return `${window.since ?? "the start of the log"} to ${window.until ?? "now"}`;
}

function reasonText(reasons: DecisionReason[]): string {
  return reasons.map((r) => (r.message ? `${r.code}: ${r.message}` : r.code)).join("; ") || "none";
}

function codeList(decision: ComparedDecision): string {
  return codes(decision).join(", ") || "none";
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
