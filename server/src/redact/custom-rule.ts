import { RE2JS } from "re2js";

/**
 * A user-supplied secret rule, from a rules file (gitleaks TOML) or a policy's redact plan.
 * The shape follows gitleaks' so its rule files load as they are; findings are reported as
 * `custom.<id>`.
 */
export interface CustomRuleSpec {
  /** Letters, digits, `.`, `_` and `-`; the finding's detector id is `custom.<id>`. */
  id: string;
  /** What the rule finds, for people reading findings. Default "". */
  description: string;
  /** RE2 syntax (as in Go and gitleaks): linear-time, no backreferences or lookaround. */
  regex: string;
  /**
   * The capture group holding the secret, which is all that gets masked. 0 means the first
   * group that matched anything, or the whole match when there is none (gitleaks' rule).
   */
  secretGroup: number;
  /** Minimum Shannon entropy (bits per character) of the secret; 0 turns the check off. */
  entropy: number;
  /** The rule runs only on text containing one of these (case-insensitive); empty = always. */
  keywords: string[];
  /** Matches to ignore: a match is dropped when any allowlist holds for it. */
  allowlists: CustomAllowlist[];
}

/** Exceptions to a custom rule, as gitleaks' `[[rules.allowlists]]`. */
export interface CustomAllowlist {
  /** RE2 patterns; one that finds a match in the target allows the finding. */
  regexes: string[];
  /** What `regexes` look at: the secret (default), the whole match, or the whole line. */
  regexTarget: "secret" | "match" | "line";
  /** Substrings (case-insensitive) that, found in the secret, allow the finding. */
  stopwords: string[];
  /**
   * `OR` (default): any one check that is set allows the finding. `AND`: all checks that are
   * set must hold. File-path and commit checks never hold here, since Vigil sees no files.
   */
  condition: "OR" | "AND";
  /** The allowlist also names paths or commits, which cannot hold for content in flight. */
  unmatchable: boolean;
}

/** A custom rule that cannot be used; names the source and rule, never any matched text. */
export class InvalidCustomRuleError extends Error {
  override readonly name = "InvalidCustomRuleError";
  constructor(
    readonly source: string,
    readonly ruleId: string,
    readonly problem: string,
  ) {
    super(`${source}: rule "${ruleId}": ${problem}`);
  }
}

/** Limits that keep one rule set from costing more than the built-in detectors together. */
export const customRuleLimits = {
  rules: 1000,
  patternLength: 4096,
  keywords: 64,
  idPattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
} as const;

/** A rule ready to run: its patterns compiled once. */
export interface CompiledCustomRule {
  spec: CustomRuleSpec;
  detector: string;
  pattern: RE2JS;
  keywords: string[];
  allowlists: {
    list: CustomAllowlist;
    patterns: RE2JS[];
    stopwords: string[];
  }[];
}

/**
 * Compiles and checks one rule: its id, its patterns (RE2 syntax, so none can backtrack),
 * its secret group and its limits. Throws {@link InvalidCustomRuleError}.
 */
export function compileCustomRule(spec: CustomRuleSpec, source: string): CompiledCustomRule {
  const invalid = (problem: string) => new InvalidCustomRuleError(source, spec.id, problem);
  if (!customRuleLimits.idPattern.test(spec.id)) {
    throw invalid(
      "id must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    );
  }
  if (spec.regex === "") throw invalid("regex is required");
  if (spec.keywords.length > customRuleLimits.keywords) {
    throw invalid(`has more than ${customRuleLimits.keywords} keywords`);
  }
  if (!Number.isFinite(spec.entropy) || spec.entropy < 0 || spec.entropy > 16) {
    throw invalid("entropy must be a number from 0 to 16");
  }
  const pattern = compilePattern(spec.regex, "regex", invalid);
  const groups = pattern.groupCount();
  if (!Number.isInteger(spec.secretGroup) || spec.secretGroup < 0 || spec.secretGroup > groups) {
    throw invalid(`secretGroup ${spec.secretGroup} does not exist; the regex has ${groups} groups`);
  }
  if (pattern.matches("")) throw invalid("regex matches the empty string");
  return {
    spec,
    detector: `custom.${spec.id}`,
    pattern,
    keywords: spec.keywords.map((k) => k.toLowerCase()).filter((k) => k !== ""),
    allowlists: spec.allowlists.map((list, i) => ({
      list,
      patterns: list.regexes.map((r, j) =>
        compilePattern(r, `allowlists[${i}].regexes[${j}]`, invalid),
      ),
      stopwords: list.stopwords.map((w) => w.toLowerCase()).filter((w) => w !== ""),
    })),
  };
}

function compilePattern(regex: string, field: string, invalid: (problem: string) => Error): RE2JS {
  if (regex.length > customRuleLimits.patternLength) {
    throw invalid(`${field} is longer than ${customRuleLimits.patternLength} characters`);
  }
  try {
    return RE2JS.compile(regex);
  } catch (error) {
    // re2js explains what it could not parse (a backreference, a lookahead, …).
    throw invalid(`${field} is not a valid RE2 pattern: ${(error as Error).message}`);
  }
}
