/**
 * The `registered` detector: finds the exact secret values a caller (a gateway) holds and
 * registers, in plain text and in the encodings they take inside headers, URLs, JSON and dumps.
 */
import { InvalidInputError } from "../errors.js";
import { createAhoCorasick } from "./aho-corasick.js";
import type { Detector, DetectorMatch } from "./detector.js";
import { encodeValue } from "./value-encodings.js";

/** One secret the caller holds and that must never pass. */
export interface RegisteredValue {
  /** The caller's name for the secret. Never reported: matches carry no detail of the value. */
  name: string;
  /**
   * The secret: a plain string, or the text of a JSON object (a GCP service-account key file,
   * for example), whose string fields are then also registered one by one.
   */
  value: string;
}

/** Options for {@link createRegisteredValuesDetector}. */
export interface RegisteredValuesDetectorOptions {
  /** The secrets to find. */
  values: readonly RegisteredValue[];
  /**
   * The shortest value accepted, in UTF-16 code units. A shorter value is refused, because
   * masking every occurrence of a short string would wreck ordinary text; string fields of a
   * structured secret that are shorter are skipped instead. Default 8.
   */
  minLength?: number;
}

/**
 * Fields of a structured secret that are the same public constants in every credential of
 * their kind (every GCP service-account key names the same `token_uri`). Registering them would
 * redact Google's documentation wherever it is quoted, and hides nothing.
 */
const PUBLIC_CREDENTIAL_FIELDS: ReadonlySet<string> = new Set([
  "type",
  "universe_domain",
  "auth_uri",
  "token_uri",
  "auth_provider_x509_cert_url",
]);

/** The text of one pattern, and how a match of it is reported. */
interface Pattern {
  readonly length: number;
  /** Widen a match to the enclosing run of the standard base64 alphabet. */
  base64: boolean;
  /** Widen a match to the enclosing run of the URL-safe base64 alphabet. */
  base64url: boolean;
}

const isBase64Unit = (unit: number) =>
  (unit >= 0x41 && unit <= 0x5a) ||
  (unit >= 0x61 && unit <= 0x7a) ||
  (unit >= 0x30 && unit <= 0x39) ||
  unit === 0x2b ||
  unit === 0x2f;
const isBase64UrlUnit = (unit: number) =>
  (unit >= 0x41 && unit <= 0x5a) ||
  (unit >= 0x61 && unit <= 0x7a) ||
  (unit >= 0x30 && unit <= 0x39) ||
  unit === 0x2d ||
  unit === 0x5f;

/**
 * The string fields of `value` worth registering when it is a JSON object: every string leaf,
 * at any depth, of at least `minLength` units, except {@link PUBLIC_CREDENTIAL_FIELDS}.
 * Anything that is not a JSON object yields none.
 */
function structuredFields(value: string, minLength: number): string[] {
  if (!value.trimStart().startsWith("{")) return [];
  let document: unknown;
  try {
    document = JSON.parse(value);
  } catch {
    // Text that merely starts with a brace is a plain secret; it is registered as a whole.
    return [];
  }
  const fields: string[] = [];
  const walk = (node: unknown, key: string | undefined): void => {
    if (typeof node === "string") {
      if (node.length >= minLength && !(key !== undefined && PUBLIC_CREDENTIAL_FIELDS.has(key))) {
        fields.push(node);
      }
    } else if (Array.isArray(node)) {
      for (const item of node) walk(item, key);
    } else if (typeof node === "object" && node !== null) {
      for (const [name, child] of Object.entries(node)) walk(child, name);
    }
  };
  walk(document, undefined);
  return fields;
}

/** Widens `[start, end)` to the run of `isUnit` code units around it, plus trailing `=` padding. */
function widenToRun(text: string, start: number, end: number, isUnit: (unit: number) => boolean) {
  let from = start;
  let to = end;
  while (from > 0 && isUnit(text.charCodeAt(from - 1))) from--;
  while (to < text.length && isUnit(text.charCodeAt(to))) to++;
  for (let pad = 0; pad < 2 && text.charCodeAt(to) === 0x3d; pad++) to++;
  return [from, to] as const;
}

/**
 * Creates the `registered` detector for `options.values`. The patterns (each value in every
 * form of `encodeValue`) are compiled once into two Aho–Corasick automata, one exact and one
 * ignoring case for hex, so `detect` runs in time linear in the text plus the matches.
 *
 * Every occurrence of every registered value is reported, including one inside another
 * registered value; the caller resolves overlaps. A base64 or base64url occurrence is reported
 * as the whole enclosing run of that alphabet (a basic-auth credential, a JWT segment), because
 * the characters at either end of the stable middle still carry bits of the secret.
 *
 * @throws InvalidInputError `secrets[<i>].value` when a value is shorter than `minLength`; the
 *   message never contains the value.
 */
export function createRegisteredValuesDetector(options: RegisteredValuesDetectorOptions): Detector {
  const minLength = options.minLength ?? 8;
  if (!Number.isInteger(minLength) || minLength < 1) {
    throw new InvalidInputError("minLength", "must be a positive integer");
  }

  const exact = new Map<string, Pattern>();
  const folded = new Map<string, Pattern>();
  options.values.forEach((secret, index) => {
    if (secret.value.length < minLength) {
      throw new InvalidInputError(
        `secrets[${index}].value`,
        `is shorter than ${minLength} characters; registering it would mask every occurrence of a short string`,
      );
    }
    for (const field of [secret.value, ...structuredFields(secret.value, minLength)]) {
      for (const { text, encoding } of encodeValue(field)) {
        const patterns = encoding === "hex" ? folded : exact;
        const key = encoding === "hex" ? text.toLowerCase() : text;
        let pattern = patterns.get(key);
        if (pattern === undefined) {
          pattern = { length: text.length, base64: false, base64url: false };
          patterns.set(key, pattern);
        }
        if (encoding === "base64") pattern.base64 = true;
        if (encoding === "base64url") pattern.base64url = true;
      }
    }
  });

  const searches = [exact, folded].map((patterns, i) => ({
    list: [...patterns.values()],
    automaton: createAhoCorasick({ patterns: [...patterns.keys()], ignoreAsciiCase: i === 1 }),
  }));

  return {
    ids: ["registered"],
    detect(text) {
      const spans = new Map<string, DetectorMatch>();
      // Each widening scans only up to the edge of its run, and `reachedRun` lets later matches
      // in a run already widened reuse it, so a long blob full of matches stays linear.
      const reachedRun: Record<"base64" | "base64url", readonly [number, number]> = {
        base64: [-1, -1],
        base64url: [-1, -1],
      };
      const widen = (start: number, end: number, alphabet: "base64" | "base64url") => {
        const known = reachedRun[alphabet];
        if (start >= known[0] && end <= known[1]) return known;
        const run = widenToRun(
          text,
          start,
          end,
          alphabet === "base64" ? isBase64Unit : isBase64UrlUnit,
        );
        reachedRun[alphabet] = run;
        return run;
      };
      for (const { list, automaton } of searches) {
        automaton.search(text, (index, end) => {
          const pattern = list[index];
          if (pattern === undefined) return;
          let from = end - pattern.length;
          let to = end;
          for (const alphabet of ["base64", "base64url"] as const) {
            if (!pattern[alphabet]) continue;
            const [runStart, runEnd] = widen(end - pattern.length, end, alphabet);
            from = Math.min(from, runStart);
            to = Math.max(to, runEnd);
          }
          const key = `${from}:${to}`;
          if (!spans.has(key)) {
            spans.set(key, {
              start: from,
              end: to,
              detector: "registered",
              version: 1,
              category: "registered",
            });
          }
        });
      }
      return [...spans.values()];
    },
  };
}
