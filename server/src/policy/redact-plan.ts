import type { CustomRuleSet } from "../redact/custom-rule-set.js";
import { parsePlanCustomRules } from "./plan-custom-rules.js";
import {
  type DecisionReason,
  isObject,
  listOf,
  PolicyOutputError,
  wholeNumber,
} from "./policy-decision.js";

/** The document Rego sees as `input` for `vigil/redact/plan`. */
export interface RedactPlanInput {
  caller: { id: string; method: string; roles: string[]; groups: string[]; peer: string };
  principal: { id: string; kind: string; groups: string[]; attributes: object };
  action: string;
  resource: { kind: string; id: string; attributes: object };
  /** The content kind being masked: `prompt`, `response`, `log`, `trace`, `reasoning`, … */
  target: string;
  /** Where the content goes: `llm`, `caller`, `observability`, `audit`, `ci_log`. */
  destination: string;
  /** Names of the contents, never their text: a plan must not depend on what it masks. */
  content_names: string[];
  time: { unix_ms: number; rfc3339: string };
  /**
   * Detector ids a first scan with this plan found, sorted, on the second evaluation only:
   * a plan may then refuse the content (a private key bound for an external model).
   */
  findings?: string[];
}

/** What to do with a finding: a typed placeholder, a partial mask, a keyed fingerprint, or removal. */
export type RedactOperatorType = "replace" | "partial" | "fingerprint" | "drop";

/** An operator for findings whose detector id matches `match` (`*` is a wildcard). */
export interface RedactOperatorRule {
  match: string;
  type: RedactOperatorType;
  /** For `partial`: characters kept at the start. Default 0. */
  keepPrefix: number;
  /** For `partial`: characters kept at the end. Default 0. */
  keepSuffix: number;
}

/**
 * The output of `vigil/redact/plan`: which detectors run for this caller and target, and how
 * findings are masked. Documented in `policies/README.md`.
 */
export interface RedactPlan {
  /** Detector id globs: `registered`, `secret.*`, `pii.email`, `custom.*`. */
  detectors: string[];
  /** First rule whose `match` matches a finding's detector id wins. */
  operators: RedactOperatorRule[];
  /** JSON Pointers of fields never scanned (e.g. `/model`). */
  excludeFields: string[];
  /** Refuse the content instead of masking it. */
  block: boolean;
  reasons: DecisionReason[];
  /**
   * Rules the plan adds to the server's own (reported as `custom.<id>`; they run when
   * `detectors` selects them). Undefined when the plan adds none.
   */
  customRules?: CustomRuleSet | undefined;
}

/**
 * The plan used when the active bundle has no `vigil/redact/plan`: every detector, PII kept
 * recognisable by its last four characters, everything else replaced by a typed placeholder.
 */
export const defaultRedactPlan: RedactPlan = {
  detectors: ["registered", "secret.*", "pii.*", "custom.*"],
  operators: [
    { match: "pii.*", type: "partial", keepPrefix: 0, keepSuffix: 4 },
    { match: "*", type: "replace", keepPrefix: 0, keepSuffix: 0 },
  ],
  excludeFields: [],
  block: false,
  reasons: [],
};

/**
 * The plan when the policy failed or answered nonsense: nothing passes. Masking with a plan
 * nobody wrote could let through what the author meant to stop, so Vigil refuses instead.
 */
export function blockingPlan(code: string, message: string): RedactPlan {
  return { ...defaultRedactPlan, block: true, reasons: [{ code, message }] };
}

const operatorTypes = new Set<RedactOperatorType>(["replace", "partial", "fingerprint", "drop"]);

/** Validates the policy's plan; throws {@link PolicyOutputError} naming the bad field. */
export function parseRedactPlan(result: unknown): RedactPlan {
  if (!isObject(result)) throw new PolicyOutputError("redact plan is not an object");
  const detectors = strings(result.detectors, "detectors");
  const operators = listOf(result.operators, "operators").map((item, i): RedactOperatorRule => {
    const field = `operators[${i}]`;
    if (!isObject(item) || typeof item.match !== "string" || item.match === "") {
      throw new PolicyOutputError(`${field} must be an object with a non-empty string "match"`);
    }
    if (!operatorTypes.has(item.type as RedactOperatorType)) {
      throw new PolicyOutputError(
        `${field}.type must be one of replace, partial, fingerprint, drop; got ${JSON.stringify(item.type)}`,
      );
    }
    return {
      match: item.match,
      type: item.type as RedactOperatorType,
      keepPrefix: keep(item.keep_prefix, `${field}.keep_prefix`),
      keepSuffix: keep(item.keep_suffix, `${field}.keep_suffix`),
    };
  });
  const excludeFields = strings(result.exclude_fields, "exclude_fields");
  for (const [i, pointer] of excludeFields.entries()) {
    if (pointer !== "" && !pointer.startsWith("/")) {
      throw new PolicyOutputError(`exclude_fields[${i}] must be a JSON Pointer starting with "/"`);
    }
  }
  if (result.block !== undefined && typeof result.block !== "boolean") {
    throw new PolicyOutputError(`"block" must be a boolean`);
  }
  const reasons = listOf(result.reasons, "reasons").map((item, i) => {
    if (isObject(item) && typeof item.code === "string") {
      return { code: item.code, message: typeof item.message === "string" ? item.message : "" };
    }
    throw new PolicyOutputError(`reasons[${i}] must be {"code", "message"}`);
  });
  const customRules = parsePlanCustomRules(result.custom_rules);
  return {
    detectors,
    operators,
    excludeFields,
    block: result.block === true,
    reasons,
    ...(customRules ? { customRules } : {}),
  };
}

function strings(value: unknown, name: string): string[] {
  return listOf(value, name).map((item, i) => {
    if (typeof item !== "string") throw new PolicyOutputError(`${name}[${i}] must be a string`);
    return item;
  });
}

function keep(value: unknown, name: string): number {
  return wholeNumber(value, name, { min: 0, max: 64, fallback: 0 });
}
