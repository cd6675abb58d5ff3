import { createHash } from "node:crypto";
import type { CustomRuleSpec } from "./custom-rule.js";
import { createCustomRulesDetector } from "./custom-rules-detector.js";
import type { Detector } from "./detector.js";

/**
 * Custom rules with a digest of their content. The digest keys the compiled detector, so a
 * rule set compiles once per thread however often a plan or a worker task carries it.
 */
export interface CustomRuleSet {
  /** Where the rules came from (a file path, `redact plan`), for errors. */
  source: string;
  specs: readonly CustomRuleSpec[];
  /** SHA-256 of source and rules. */
  key: string;
}

/** Wraps rules as a {@link CustomRuleSet}; cheap, compiles nothing. */
export function customRuleSet(specs: readonly CustomRuleSpec[], source: string): CustomRuleSet {
  const key = createHash("sha256")
    .update(source)
    .update("\n")
    .update(JSON.stringify(specs))
    .digest("hex");
  return { source, specs, key };
}

/** Compiled detectors by rule set key, least recently used first. */
const compiled = new Map<string, Detector>();
const maxCompiled = 32;

/**
 * The detector for a rule set, compiled on first use and then cached. Throws
 * `InvalidCustomRuleError` (uncached) when a rule is unusable.
 */
export function customRulesDetector(set: CustomRuleSet): Detector {
  let detector = compiled.get(set.key);
  if (detector) {
    compiled.delete(set.key);
  } else {
    detector = createCustomRulesDetector(set.specs, set.source);
    if (compiled.size >= maxCompiled) {
      const oldest = compiled.keys().next().value;
      if (oldest !== undefined) compiled.delete(oldest);
    }
  }
  compiled.set(set.key, detector);
  return detector;
}
