import { type JsonFinding, maskJson } from "./mask-json.js";
import type { TextFinding } from "./mask-text.js";
import { createTextRedactor, type TextRedactorOptions } from "./redact-text.js";

/** Content to mask: text, or JSON text that must stay valid JSON. */
export type RedactableContent = { text: string } | { json: string };

/** Masked content in the form it came in, and where things were found. */
export interface MaskedContent {
  content: RedactableContent;
  findings: (TextFinding | JsonFinding)[];
  modified: boolean;
}

/**
 * Masks one content item with a plan, on whichever thread calls it. JSON is masked inside
 * its string values and stays valid JSON; `field` prefixes JSON finding pointers. Throws
 * `InvalidInputError` for malformed or too deeply nested JSON.
 */
export function maskContent(
  content: RedactableContent,
  field: string,
  options: TextRedactorOptions,
): MaskedContent {
  const redactor = createTextRedactor(options);
  if ("json" in content) {
    const masked = maskJson(content.json, `${field}.json`, {
      redactor,
      excludeFields: options.plan.excludeFields,
    });
    return {
      content: { json: masked.json },
      findings: masked.findings,
      modified: masked.findings.length > 0,
    };
  }
  const masked = redactor.redact(content.text);
  return {
    content: { text: masked.text },
    findings: masked.findings,
    modified: masked.text !== content.text,
  };
}
