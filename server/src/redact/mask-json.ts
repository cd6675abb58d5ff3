import { InvalidInputError } from "../errors.js";
import type { TextFinding } from "./mask-text.js";
import type { TextRedactor } from "./redact-text.js";

/** A finding inside JSON content: where in the document, and where inside that string. */
export interface JsonFinding extends TextFinding {
  /** RFC 6901 pointer to the string value (or the masked value of a sensitive key). */
  jsonPointer: string;
}

/** Options for {@link maskJson}. */
export interface MaskJsonOptions {
  redactor: TextRedactor;
  /** JSON Pointers of values never scanned (and their children). */
  excludeFields?: readonly string[];
  /** Deepest nesting accepted; deeper documents are refused rather than walked. Default 64. */
  maxDepth?: number;
}

/**
 * Key names whose values are credentials whatever they look like: the whole value is masked as
 * `secret.sensitive-key` (when the plan selects it), even a short or low-entropy one that no
 * detector would flag.
 */
const sensitiveKey =
  /^(?:password|passwd|pwd|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|auth[_-]?token|token|authorization|private[_-]?key|secret[_-]?key|credentials?)$/i;

/**
 * Masks JSON content so it stays valid JSON: string values are masked in place by the text
 * redactor, values of sensitive keys (`password`, `client_secret`, `authorization`, …) are
 * replaced whole, and object keys, numbers and structure are kept. Throws
 * {@link InvalidInputError} for text that is not JSON or nests deeper than `maxDepth`.
 */
export function maskJson(
  json: string,
  field: string,
  options: MaskJsonOptions,
): { json: string; findings: JsonFinding[] } {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    // V8's parser runs out of stack on absurdly deep nesting before it finds a syntax error.
    throw new InvalidInputError(
      field,
      error instanceof RangeError ? "nests too deeply" : "is not valid JSON",
    );
  }
  const maxDepth = options.maxDepth ?? 64;
  const excluded = new Set(options.excludeFields ?? []);
  const findings: JsonFinding[] = [];

  const walk = (value: unknown, pointer: string, depth: number, key?: string): unknown => {
    if (depth > maxDepth) {
      throw new InvalidInputError(field, `nests deeper than ${maxDepth} levels`);
    }
    if (excluded.has(pointer)) return value;
    if (key !== undefined && sensitiveKey.test(key) && isScalar(value)) {
      const whole = options.redactor.redactWhole(String(value), "secret.sensitive-key");
      if (whole.findings.length > 0) {
        for (const finding of whole.findings) findings.push({ ...finding, jsonPointer: pointer });
        return whole.text;
      }
    }
    if (typeof value === "string") {
      const masked = options.redactor.redact(value);
      for (const finding of masked.findings) findings.push({ ...finding, jsonPointer: pointer });
      return masked.text;
    }
    if (Array.isArray(value)) {
      return value.map((item, i) => walk(item, `${pointer}/${i}`, depth + 1));
    }
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        out[k] = walk(v, `${pointer}/${escapePointer(k)}`, depth + 1, k);
      }
      return out;
    }
    return value;
  };

  const masked = walk(document, "", 0);
  return { json: JSON.stringify(masked), findings };
}

/** A non-empty string or a number: what a credential under a sensitive key can be. */
function isScalar(value: unknown): value is string | number {
  return (typeof value === "string" && value !== "") || typeof value === "number";
}

/** RFC 6901: `~` becomes `~0` and `/` becomes `~1` in a reference token. */
function escapePointer(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}
