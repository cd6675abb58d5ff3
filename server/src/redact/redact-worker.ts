/**
 * The worker-thread side of redaction: masks one large content item off the event loop.
 * Compiled custom rules are cached per thread by their digest (see `custom-rule-set.ts`).
 */
import { InvalidInputError } from "../errors.js";
import type { RedactPlan } from "../policy/redact-plan.js";
import type { CustomRuleSet } from "./custom-rule-set.js";
import { type MaskedContent, maskContent, type RedactableContent } from "./mask-content.js";
import type { RegisteredValue } from "./registered-values.js";

/** One content item to mask, with everything the main thread decided about it. */
export interface RedactTask {
  content: RedactableContent;
  field: string;
  plan: RedactPlan;
  registered: readonly RegisteredValue[];
  customRules: CustomRuleSet | undefined;
  fingerprintKey: Uint8Array;
}

/**
 * A worker's answer. Errors travel as data: input errors keep their field and problem, and
 * anything else only its class name, since a message could quote the content.
 */
export type RedactReply =
  | { ok: true; masked: MaskedContent }
  | { ok: false; invalid: { field: string; problem: string } }
  | { ok: false; failed: string };

/** Masks one task's content on this thread. */
export default function redactTask(task: RedactTask): RedactReply {
  try {
    const masked = maskContent(task.content, task.field, {
      plan: task.plan,
      registered: task.registered,
      customRules: task.customRules,
      fingerprintKey: Buffer.from(task.fingerprintKey),
    });
    return { ok: true, masked };
  } catch (error) {
    if (error instanceof InvalidInputError) {
      return { ok: false, invalid: { field: error.field, problem: error.problem } };
    }
    return { ok: false, failed: error instanceof Error ? error.name : typeof error };
  }
}
