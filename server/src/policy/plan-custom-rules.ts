import type { CustomAllowlist, CustomRuleSpec } from "../redact/custom-rule.js";
import { InvalidCustomRuleError } from "../redact/custom-rule.js";
import {
  type CustomRuleSet,
  customRuleSet,
  customRulesDetector,
} from "../redact/custom-rule-set.js";
import { isObject, listOf, PolicyOutputError } from "./policy-decision.js";

/**
 * Reads a plan's `custom_rules` (the gitleaks rule shape in snake_case) and compiles them, so
 * a bad pattern rejects the plan here, naming the rule, rather than failing later per request.
 * Compiled sets are cached by content, so a plan that returns the same rules costs one hash.
 */
export function parsePlanCustomRules(value: unknown): CustomRuleSet | undefined {
  const items = listOf(value, "custom_rules");
  if (items.length === 0) return undefined;
  const specs = items.map((item, i) => ruleSpec(item, `custom_rules[${i}]`));
  const set = customRuleSet(specs, "redact plan");
  try {
    customRulesDetector(set);
  } catch (error) {
    if (error instanceof InvalidCustomRuleError) {
      throw new PolicyOutputError(`custom_rules: rule "${error.ruleId}": ${error.problem}`);
    }
    throw error;
  }
  return set;
}

function ruleSpec(item: unknown, field: string): CustomRuleSpec {
  if (!isObject(item)) throw new PolicyOutputError(`${field} must be an object`);
  return {
    id: text(item.id, `${field}.id`),
    description:
      item.description === undefined ? "" : text(item.description, `${field}.description`),
    regex: text(item.regex, `${field}.regex`),
    secretGroup: number(item.secret_group, `${field}.secret_group`),
    entropy: number(item.entropy, `${field}.entropy`),
    keywords: texts(item.keywords, `${field}.keywords`),
    allowlists: listOf(item.allowlists, `${field}.allowlists`).map((list, j) =>
      allowlist(list, `${field}.allowlists[${j}]`),
    ),
  };
}

function allowlist(item: unknown, field: string): CustomAllowlist {
  if (!isObject(item)) throw new PolicyOutputError(`${field} must be an object`);
  const target = item.regex_target ?? "secret";
  if (target !== "secret" && target !== "match" && target !== "line") {
    throw new PolicyOutputError(`${field}.regex_target must be secret, match or line`);
  }
  const condition = item.condition ?? "OR";
  if (condition !== "OR" && condition !== "AND") {
    throw new PolicyOutputError(`${field}.condition must be OR or AND`);
  }
  return {
    regexes: texts(item.regexes, `${field}.regexes`),
    regexTarget: target,
    stopwords: texts(item.stopwords, `${field}.stopwords`),
    condition,
    unmatchable: false,
  };
}

function text(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") {
    throw new PolicyOutputError(`${field} must be a non-empty string`);
  }
  return value;
}

function texts(value: unknown, field: string): string[] {
  return listOf(value, field).map((item, i) => text(item, `${field}[${i}]`));
}

function number(value: unknown, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== "number") throw new PolicyOutputError(`${field} must be a number`);
  return value;
}
