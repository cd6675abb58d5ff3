import { createHmac } from "node:crypto";
import type { RedactOperatorRule, RedactOperatorType, RedactPlan } from "../policy/redact-plan.js";
import type { DetectorCategory, DetectorMatch } from "./detector.js";
import { createGlobMatcher } from "./detector-glob.js";

/** Where a finding is in the original text, and what was done to it. Never the value. */
export interface TextFinding {
  detector: string;
  version: number;
  category: DetectorCategory;
  action: RedactOperatorType;
  /** Keyed HMAC-SHA256 (hex) of the matched value: correlates findings without revealing it. */
  fingerprint: string;
  utf16Start: number;
  utf16End: number;
  byteStart: number;
  byteEnd: number;
  /** 1-based line and column (UTF-16 code units) of the start. */
  line: number;
  column: number;
}

/** Options for {@link maskText}. */
export interface MaskOptions {
  /** Which detectors count and how their findings are masked. */
  plan: RedactPlan;
  /** Key for fingerprints; keep it out of the audit store so fingerprints cannot be brute-forced. */
  fingerprintKey: Buffer;
}

/**
 * When two detectors claim overlapping text, the more specific one names the merged span: a
 * registered value, then a known format, then the operator's own rules, then the generic
 * `password=` heuristics, then PII.
 */
const priority: Record<DetectorCategory, number> = { registered: 0, secret: 1, custom: 2, pii: 4 };
const genericPriority = 3;

function rank(match: DetectorMatch): number {
  return match.detector.startsWith("secret.generic-") ? genericPriority : priority[match.category];
}

const replaceRule: RedactOperatorRule = {
  match: "*",
  type: "replace",
  keepPrefix: 0,
  keepSuffix: 0,
};

/**
 * Applies a plan to the matches detectors found in `text`: keeps the detectors the plan
 * selects, merges overlapping spans (so no part of a secret survives between two findings),
 * and replaces each span with its operator's output. Returns the masked text and one finding
 * per masked span, located in the original text.
 */
export function maskText(
  text: string,
  matches: readonly DetectorMatch[],
  options: MaskOptions,
): { text: string; findings: TextFinding[] } {
  const { selected, operatorFor } = compiled(options.plan);
  // Registered values are never subject to the plan's selection: the caller said they must not pass.
  const spans = mergeOverlaps(
    matches.filter((m) => m.category === "registered" || selected(m.detector)),
  );

  const out: string[] = [];
  const findings: TextFinding[] = [];
  const position = createPositionTracker(text);
  let cursor = 0;
  for (const span of spans) {
    const value = text.slice(span.start, span.end);
    const rule = operatorFor(span.detector);
    out.push(text.slice(cursor, span.start), applyOperator(rule, span.detector, value, options));
    cursor = span.end;
    const start = position(span.start);
    findings.push({
      detector: span.detector,
      version: span.version,
      category: span.category,
      action: rule.type,
      fingerprint: fingerprint(value, options.fingerprintKey),
      utf16Start: span.start,
      utf16End: span.end,
      byteStart: start.byte,
      byteEnd: start.byte + Buffer.byteLength(value, "utf8"),
      line: start.line,
      column: start.column,
    });
  }
  out.push(text.slice(cursor));
  return { text: out.join(""), findings };
}

interface CompiledPlan {
  selected: (detector: string) => boolean;
  operatorFor: (detector: string) => RedactOperatorRule;
}

/** Glob matchers per plan, compiled once: `maskText` runs once per JSON string value. */
const compiledPlans = new WeakMap<RedactPlan, CompiledPlan>();

function compiled(plan: RedactPlan): CompiledPlan {
  let found = compiledPlans.get(plan);
  if (!found) {
    const rules = plan.operators.map((rule) => ({
      rule,
      matches: createGlobMatcher([rule.match]),
    }));
    found = {
      selected: createGlobMatcher(plan.detectors),
      operatorFor: (detector) => rules.find((r) => r.matches(detector))?.rule ?? replaceRule,
    };
    compiledPlans.set(plan, found);
  }
  return found;
}

/** Sorted, non-overlapping spans; overlapping or touching matches become one span. */
function mergeOverlaps(matches: readonly DetectorMatch[]): DetectorMatch[] {
  const sorted = [...matches]
    .filter((m) => m.end > m.start)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: DetectorMatch[] = [];
  for (const match of sorted) {
    const last = merged.at(-1);
    if (!last || match.start >= last.end) {
      merged.push({ ...match });
      continue;
    }
    const keep = rank(match) < rank(last) ? match : last;
    merged[merged.length - 1] = { ...keep, start: last.start, end: Math.max(last.end, match.end) };
  }
  return merged;
}

function applyOperator(
  rule: RedactOperatorRule,
  detector: string,
  value: string,
  options: MaskOptions,
): string {
  switch (rule.type) {
    case "replace":
      return `[REDACTED:${detector.replace(/^(secret|pii|custom)\./, "")}]`;
    case "fingerprint":
      return `[HMAC:${fingerprint(value, options.fingerprintKey).slice(0, 16)}]`;
    case "drop":
      return "";
    case "partial": {
      // Never reveal more than a third of the value, whatever the plan asks for.
      const chars = [...value];
      const budget = Math.floor(chars.length / 3);
      const prefix = Math.min(rule.keepPrefix, budget);
      const suffix = Math.min(rule.keepSuffix, budget - prefix);
      return (
        chars.slice(0, prefix).join("") +
        "*".repeat(chars.length - prefix - suffix) +
        chars.slice(chars.length - suffix).join("")
      );
    }
  }
}

function fingerprint(value: string, key: Buffer): string {
  return createHmac("sha256", key).update(value, "utf8").digest("hex");
}

/**
 * Converts increasing UTF-16 offsets into byte offsets and line/column, walking the text once
 * overall rather than once per finding.
 */
function createPositionTracker(text: string) {
  let index = 0;
  let byte = 0;
  let line = 1;
  let lineStart = 0;
  return (offset: number) => {
    if (offset > index) {
      // Native searches and byte counts over the gap: spans never split a surrogate pair.
      byte += Buffer.byteLength(text.slice(index, offset), "utf8");
      for (
        let nl = text.indexOf("\n", index);
        nl !== -1 && nl < offset;
        nl = text.indexOf("\n", nl + 1)
      ) {
        line++;
        lineStart = nl + 1;
      }
      index = offset;
    }
    return { byte, line, column: offset - lineStart + 1 };
  };
}
