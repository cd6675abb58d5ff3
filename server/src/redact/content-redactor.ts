import { RedactionBlockedError } from "../errors.js";
import type { PlannedRedaction, PolicyEngine } from "../policy/policy-engine.js";
import type { RedactPlan, RedactPlanInput } from "../policy/redact-plan.js";
import { type JsonFinding, maskJson } from "./mask-json.js";
import type { TextFinding } from "./mask-text.js";
import { createTextRedactor, type TextRedactor } from "./redact-text.js";
import type { RegisteredValue } from "./registered-values.js";

/** Content to mask: text, or JSON text that must stay valid JSON. */
export type RedactableContent = { text: string } | { json: string };

/** What a redaction returns: the masked content in the same form, and where things were. */
export interface Redaction {
  content: RedactableContent;
  findings: (TextFinding | JsonFinding)[];
  modified: boolean;
  provenance: PlannedRedaction["provenance"];
}

/** Options for {@link createContentRedactor}. */
export interface ContentRedactorOptions {
  /** Supplies the redact plan for each request (`vigil/redact/plan`, or the built-in default). */
  engine: PolicyEngine;
  /** Key for finding fingerprints (see `fingerprint-key.ts`). */
  fingerprintKey: Buffer;
}

/** Masks one content item as the policy's plan says. */
export interface ContentRedactor {
  /**
   * The text redactor for one caller and target, from the policy's plan; for streams, which
   * mask many chunks with one plan. Throws `RedactionBlockedError` when the plan refuses.
   */
  textRedactorFor(
    registered: readonly RegisteredValue[],
    planInput: RedactPlanInput,
  ): Promise<{
    redactor: TextRedactor;
    plan: RedactPlan;
    provenance: PlannedRedaction["provenance"];
  }>;
  /**
   * Throws `RedactionBlockedError` when the plan refuses the content, `InvalidInputError` for
   * malformed JSON, a too-short registered value or JSON nested too deeply. Never returns the
   * content unmasked in place of an error.
   */
  redact(
    content: RedactableContent,
    field: string,
    registered: readonly RegisteredValue[],
    planInput: RedactPlanInput,
  ): Promise<Redaction>;
}

/** Creates the redactor behind the Redact RPC (and, later, Record's server-side masking). */
export function createContentRedactor(options: ContentRedactorOptions): ContentRedactor {
  const textRedactorFor: ContentRedactor["textRedactorFor"] = async (registered, planInput) => {
    const { plan, provenance } = await options.engine.redactPlan(planInput);
    if (plan.block) throw new RedactionBlockedError(plan.reasons);
    const redactor = createTextRedactor({
      plan,
      registered,
      fingerprintKey: options.fingerprintKey,
    });
    return { redactor, plan, provenance };
  };
  return {
    textRedactorFor,
    async redact(content, field, registered, planInput) {
      const { redactor, plan, provenance } = await textRedactorFor(registered, planInput);
      if ("json" in content) {
        const masked = maskJson(content.json, `${field}.json`, {
          redactor,
          excludeFields: plan.excludeFields,
        });
        return {
          content: { json: masked.json },
          findings: masked.findings,
          modified: masked.findings.length > 0,
          provenance,
        };
      }
      const masked = redactor.redact(content.text);
      return {
        content: { text: masked.text },
        findings: masked.findings,
        modified: masked.text !== content.text,
        provenance,
      };
    },
  };
}
