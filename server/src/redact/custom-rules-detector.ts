import {
  type CompiledCustomRule,
  type CustomRuleSpec,
  compileCustomRule,
  customRuleLimits,
  InvalidCustomRuleError,
} from "./custom-rule.js";
import type { Detector, DetectorMatch } from "./detector.js";
import { shannonEntropy } from "./entropy.js";

/**
 * Bumped when the way custom rules are applied changes (group choice, entropy, allowlists),
 * so findings from different Vigil versions can be told apart.
 */
const customRulesVersion = 1;

/**
 * Compiles a rule set into a {@link Detector}. Each rule runs only when one of its keywords
 * occurs; then a DFA pass tells whether it matches at all before the slower pass that finds
 * where. Patterns are RE2, so matching is linear in the text whatever the pattern.
 * Throws {@link InvalidCustomRuleError} for the first unusable rule.
 */
export function createCustomRulesDetector(
  specs: readonly CustomRuleSpec[],
  source: string,
): Detector {
  if (specs.length > customRuleLimits.rules) {
    throw new InvalidCustomRuleError(source, "*", `more than ${customRuleLimits.rules} rules`);
  }
  const seen = new Set<string>();
  const rules = specs.map((spec) => {
    if (seen.has(spec.id)) {
      throw new InvalidCustomRuleError(source, spec.id, "the id is used by an earlier rule");
    }
    seen.add(spec.id);
    return compileCustomRule(spec, source);
  });
  return {
    ids: rules.map((rule) => rule.detector),
    detect(text) {
      let lower: string | undefined;
      const matches: DetectorMatch[] = [];
      for (const rule of rules) {
        if (rule.keywords.length > 0) {
          lower ??= text.toLowerCase();
          const haystack = lower;
          if (!rule.keywords.some((k) => haystack.includes(k))) continue;
        }
        if (!rule.pattern.test(text)) continue;
        findAll(rule, text, matches);
      }
      return matches;
    },
  };
}

function findAll(rule: CompiledCustomRule, text: string, out: DetectorMatch[]): void {
  const matcher = rule.pattern.matcher(text);
  const groups = matcher.groupCount();
  while (matcher.find()) {
    const group = secretGroup(rule, matcher, groups);
    const start = matcher.start(group);
    const end = matcher.end(group);
    if (start < 0 || end <= start) continue;
    const secret = text.slice(start, end);
    if (rule.spec.entropy > 0 && shannonEntropy(secret) <= rule.spec.entropy) continue;
    if (allowed(rule, text, secret, matcher.start(), matcher.end())) continue;
    out.push({
      start,
      end,
      detector: rule.detector,
      version: customRulesVersion,
      category: "custom",
    });
  }
}

/** The configured group, else the first group that matched something, else the whole match. */
function secretGroup(
  rule: CompiledCustomRule,
  matcher: { start(group: number): number; end(group: number): number },
  groups: number,
): number {
  if (rule.spec.secretGroup > 0) return rule.spec.secretGroup;
  for (let g = 1; g <= groups; g++) {
    if (matcher.end(g) > matcher.start(g)) return g;
  }
  return 0;
}

function allowed(
  rule: CompiledCustomRule,
  text: string,
  secret: string,
  matchStart: number,
  matchEnd: number,
): boolean {
  return rule.allowlists.some(({ list, patterns, stopwords }) => {
    const checks: boolean[] = [];
    if (patterns.length > 0) {
      const target =
        list.regexTarget === "match"
          ? text.slice(matchStart, matchEnd)
          : list.regexTarget === "line"
            ? lineAround(text, matchStart, matchEnd)
            : secret;
      checks.push(patterns.some((p) => p.test(target)));
    }
    if (stopwords.length > 0) {
      const lowered = secret.toLowerCase();
      checks.push(stopwords.some((w) => lowered.includes(w)));
    }
    if (list.condition === "AND") {
      // Path and commit conditions never hold for content in flight, so neither does AND.
      return !list.unmatchable && checks.length > 0 && checks.every(Boolean);
    }
    return checks.some(Boolean);
  });
}

function lineAround(text: string, start: number, end: number): string {
  const from = text.lastIndexOf("\n", start - 1) + 1;
  const to = text.indexOf("\n", end);
  return text.slice(from, to === -1 ? text.length : to);
}
