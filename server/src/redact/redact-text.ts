import type { RedactPlan } from "../policy/redact-plan.js";
import { type CustomRuleSet, customRulesDetector } from "./custom-rule-set.js";
import type { Detector, DetectorMatch } from "./detector.js";
import { createGlobMatcher } from "./detector-glob.js";
import { maskText, type TextFinding } from "./mask-text.js";
import { createPiiDetector } from "./pii-detector.js";
import { createRegisteredValuesDetector, type RegisteredValue } from "./registered-values.js";
import { createSecretDetector } from "./secret-detector.js";

/** Options for {@link createTextRedactor}. */
export interface TextRedactorOptions {
  /** Which detectors run and how their findings are masked. */
  plan: RedactPlan;
  /**
   * Secret values the caller (or server config) registered for this request; always matched,
   * whatever the plan selects, because the caller has said they must never pass. Default none.
   */
  registered?: readonly RegisteredValue[];
  /**
   * The server's own custom rules (from `--redact-rules` files), which run beside any the
   * plan adds, when the plan selects them. Default none.
   */
  customRules?: CustomRuleSet | undefined;
  /** Key for finding fingerprints. */
  fingerprintKey: Buffer;
}

/** Masks text according to one plan; build once per request, use for each content item. */
export interface TextRedactor {
  redact(text: string): { text: string; findings: TextFinding[] };
  /** What the plan's detectors find in `text`, before masking; `redact` is `mask(detect())`. */
  detect(text: string): DetectorMatch[];
  /** Masks `text` given matches found in it (or in a longer text, restricted to this one). */
  mask(text: string, matches: readonly DetectorMatch[]): { text: string; findings: TextFinding[] };
  /**
   * Masks the whole of `value` as a finding of `detector` (a JSON value under a `password`
   * key, say), if the plan selects that detector; otherwise returns it with no findings.
   */
  redactWhole(value: string, detector: string): { text: string; findings: TextFinding[] };
}

const secrets = createSecretDetector();
const pii = createPiiDetector();

/**
 * Builds the detector set a plan selects (a detector none of whose ids the plan names never
 * runs) and applies the plan's operators to what they find.
 */
export function createTextRedactor(options: TextRedactorOptions): TextRedactor {
  const selected = createGlobMatcher(options.plan.detectors);
  const custom = [options.customRules, options.plan.customRules].flatMap((set) =>
    set ? [customRulesDetector(set)] : [],
  );
  const detectors: Detector[] = [secrets, pii, ...custom].filter((d) => d.ids.some(selected));
  if (options.registered?.length) {
    detectors.push(createRegisteredValuesDetector({ values: options.registered }));
  }
  const mask = { plan: options.plan, fingerprintKey: options.fingerprintKey };
  const detect = (text: string) => detectors.flatMap((detector) => detector.detect(text));
  return {
    detect: (text) => detect(text),
    mask: (text, matches) => maskText(text, matches, mask),
    redact: (text) => maskText(text, detect(text), mask),
    redactWhole(value, detector) {
      const whole = {
        start: 0,
        end: value.length,
        detector,
        version: 1,
        category: "secret",
      } as const;
      return maskText(value, [whole], mask);
    },
  };
}
