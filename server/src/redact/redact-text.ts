import type { RedactPlan } from "../policy/redact-plan.js";
import type { Detector } from "./detector.js";
import { createGlobMatcher } from "./detector-glob.js";
import { maskText, type TextFinding } from "./mask-text.js";
import { createPiiDetector } from "./pii-detector.js";
import { createRegisteredValuesDetector, type RegisteredValue } from "./registered-values.js";
import { createSecretDetector } from "./secret-detector.js";

/** Options for {@link createTextRedactor}. */
export interface TextRedactorOptions {
  /** Which detectors run and how their findings are masked. */
  plan: RedactPlan;
  /** Secret values the caller (or server config) registered for this request. Default none. */
  registered?: readonly RegisteredValue[];
  /** Key for finding fingerprints. */
  fingerprintKey: Buffer;
}

/** Masks text according to one plan; build once per request, use for each content item. */
export interface TextRedactor {
  redact(text: string): { text: string; findings: TextFinding[] };
}

const secrets = createSecretDetector();
const pii = createPiiDetector();

/**
 * Builds the detector set a plan selects (a detector none of whose ids the plan names never
 * runs) and applies the plan's operators to what they find.
 */
export function createTextRedactor(options: TextRedactorOptions): TextRedactor {
  const selected = createGlobMatcher(options.plan.detectors);
  const detectors: Detector[] = [secrets, pii].filter((d) => d.ids.some(selected));
  if (options.registered?.length && selected("registered")) {
    detectors.push(createRegisteredValuesDetector({ values: options.registered }));
  }
  return {
    redact(text) {
      const matches = detectors.flatMap((detector) => detector.detect(text));
      return maskText(text, matches, {
        plan: options.plan,
        fingerprintKey: options.fingerprintKey,
      });
    },
  };
}
