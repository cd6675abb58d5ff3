/** The outcome of a policy evaluation, independent of the wire format. */
export type Outcome = "allow" | "deny" | "require_approval";

/** A reason a policy gives; `code` is stable, `message` is for humans. */
export interface DecisionReason {
  code: string;
  message: string;
}

/** An obligation as a policy states it: `{"type": "redact", "profile": "default"}`. */
export interface ObligationSpec {
  type: string;
  [param: string]: unknown;
}

/** Approval requirements a policy attaches to `require_approval`. */
export interface ApprovalSpec {
  /** Every rule must be met: `required` approvals from members of `group`. */
  rules: { group: string; required: number }[];
  /** How long the request waits for reviewers before it expires. Default 3600. */
  ttlSeconds: number;
  /** How long an approved grant stays redeemable. Default: `ttlSeconds`. */
  grantTtlSeconds: number;
  /** Redemptions an approved grant allows. Default 1. */
  uses: number;
  /** Members of these groups may approve alone (an explicit, policy-set bypass). Default none. */
  bypassGroups: string[];
}

/** What `vigil/authz/decision` decided, with the bundle that decided it. */
export interface PolicyDecision {
  outcome: Outcome;
  reasons: DecisionReason[];
  obligations: ObligationSpec[];
  approval: ApprovalSpec | undefined;
  cacheTtlSeconds: number;
  provenance: { revision: string; entrypoint: string; digest: string };
}

/** Raised when a policy returns something that is not a valid decision document. */
export class PolicyOutputError extends Error {
  override name = "PolicyOutputError";
}

const outcomes = new Set<Outcome>(["allow", "deny", "require_approval"]);

/**
 * Validates the policy's result document. Anything unexpected throws
 * {@link PolicyOutputError} naming the problem, and the engine turns it into a deny.
 */
export function parseDecision(
  result: unknown,
  provenance: PolicyDecision["provenance"],
): PolicyDecision {
  if (!isObject(result)) throw new PolicyOutputError("decision is not an object");
  const outcome = result.decision;
  if (typeof outcome !== "string" || !outcomes.has(outcome as Outcome)) {
    throw new PolicyOutputError(
      `"decision" must be one of allow, deny, require_approval; got ${JSON.stringify(outcome)}`,
    );
  }
  const reasons = listOf(result.reasons, "reasons").map(parseReason);
  if (outcome !== "allow" && reasons.length === 0) {
    reasons.push({ code: "policy", message: `policy returned ${outcome} without a reason` });
  }
  const obligations = listOf(result.obligations, "obligations").map((item, i) => {
    if (!isObject(item) || typeof item.type !== "string" || item.type === "") {
      throw new PolicyOutputError(`obligations[${i}] must be an object with a string "type"`);
    }
    return item as ObligationSpec;
  });
  return {
    outcome: outcome as Outcome,
    reasons,
    obligations,
    approval: outcome === "require_approval" ? parseApproval(result.approval) : undefined,
    cacheTtlSeconds: nonNegative(result.cache_ttl_seconds, "cache_ttl_seconds", 0),
    provenance,
  };
}

/** A deny that did not come from the policy itself (no bundle, evaluation error, bad output). */
export function systemDeny(
  code: string,
  message: string,
  provenance: PolicyDecision["provenance"],
): PolicyDecision {
  return {
    outcome: "deny",
    reasons: [{ code, message }],
    obligations: [],
    approval: undefined,
    cacheTtlSeconds: 0,
    provenance,
  };
}

function parseReason(item: unknown, i: number): DecisionReason {
  if (typeof item === "string") return { code: "policy", message: item };
  if (isObject(item) && typeof item.code === "string") {
    return { code: item.code, message: typeof item.message === "string" ? item.message : "" };
  }
  throw new PolicyOutputError(`reasons[${i}] must be a string or {"code", "message"}`);
}

function parseApproval(value: unknown): ApprovalSpec {
  if (value === undefined) value = {};
  if (!isObject(value)) throw new PolicyOutputError(`"approval" must be an object`);
  const rules = listOf(value.rules, "approval.rules").map((rule, i) => {
    if (!isObject(rule) || typeof rule.group !== "string") {
      throw new PolicyOutputError(`approval.rules[${i}] must have a string "group"`);
    }
    return { group: rule.group, required: count(rule.required, `approval.rules[${i}].required`) };
  });
  const ttlSeconds = nonNegative(value.ttl_seconds, "approval.ttl_seconds", 3600);
  const bypassGroups = listOf(value.bypass_groups, "approval.bypass_groups").map((group, i) => {
    if (typeof group !== "string" || group === "") {
      throw new PolicyOutputError(`approval.bypass_groups[${i}] must be a non-empty string`);
    }
    return group;
  });
  return {
    rules,
    ttlSeconds,
    grantTtlSeconds: nonNegative(value.grant_ttl_seconds, "approval.grant_ttl_seconds", ttlSeconds),
    uses: count(value.uses, "approval.uses"),
    bypassGroups,
  };
}

/** `value` as a list (undefined → empty); anything else throws {@link PolicyOutputError}. */
export function listOf(value: unknown, name: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new PolicyOutputError(`"${name}" must be a list`);
  return value;
}

/** A count (reviewers, uses): a whole number that fits the wire type (uint32). Default 1. */
function count(value: unknown, name: string): number {
  return wholeNumber(value, name, { min: 1, max: 0xffffffff, fallback: 1 });
}

/** A whole number in `[min, max]`, `fallback` when absent; else {@link PolicyOutputError}. */
export function wholeNumber(
  value: unknown,
  name: string,
  range: { min: number; max: number; fallback: number },
): number {
  if (value === undefined) return range.fallback;
  if (!Number.isInteger(value) || (value as number) < range.min || (value as number) > range.max) {
    throw new PolicyOutputError(
      `"${name}" must be a whole number from ${range.min} to ${range.max}`,
    );
  }
  return value as number;
}

function nonNegative(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new PolicyOutputError(`"${name}" must be a non-negative number`);
  }
  return value;
}

/** A plain JSON object (not null, not a list). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
