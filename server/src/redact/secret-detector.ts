import type { Detector, DetectorMatch } from "./detector.js";
import { createKeywordScanner } from "./keyword-scanner.js";
import { SECRET_RULES, type SecretRule } from "./secret-rules.js";

/** Options for {@link createSecretDetector}. */
export interface SecretDetectorOptions {
  /**
   * Rule ids or globs (`*` matches any run of characters, e.g. `secret.github-*`) selecting the
   * rules to run. Each entry must select at least one rule, so a typo cannot silently turn
   * detection off. Default: every rule in {@link SECRET_RULES}.
   */
  rules?: readonly string[];
}

/** A {@link Detector} for Vigil's credential formats, with its keyword prefilter exposed. */
export interface SecretDetector extends Detector {
  /** The ids of the rules the keyword prefilter lets run on `text`; the others cost nothing. */
  rulesFor(text: string): string[];
}

/** A `rules` option entry selected no rule. The entry is an id, never a secret, so it is shown. */
export class UnknownSecretRuleError extends Error {
  override readonly name = "UnknownSecretRuleError";
  constructor(readonly selector: string) {
    super(`no secret rule matches "${selector}"`);
  }
}

/** Vendor documentation examples, reported by nobody. */
const KNOWN_EXAMPLES = new Set([
  "AKIAIOSFODNN7EXAMPLE",
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  // The jwt.io sample token's signature; its header and payload are checked whole below.
  "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
]);

/** Substrings (compared lower-case) that mark a template, a masked value or a placeholder. */
const PLACEHOLDER_MARKERS = [
  "example",
  "xxxx",
  "****",
  "redacted",
  "changeme",
  "placeholder",
  "dummy",
  "your-",
  "your_",
  "<",
  ">",
  "${",
  "{{",
];

/**
 * Well-known default passwords. A leaked `password123` protects nothing that a dictionary
 * attack would not already find, and these fill tutorials and compose files, so reporting them
 * would bury real findings.
 */
const WEAK_DEFAULTS = new Set([
  "password",
  "password1",
  "password123",
  "passw0rd",
  "pass",
  "secret",
  "secret123",
  "mysecret",
  "mypassword",
  "changeit",
  "admin",
  "root",
  "test",
  "guest",
  "default",
  "postgres",
  "letmein",
  "qwerty",
  "123456",
  "hunter2",
]);

/** Longest run of one character, and of consecutive code points up or down (`abcdef`, `9876`). */
function longestRuns(value: string): { same: number; sequence: number } {
  let same = 1;
  let up = 1;
  let down = 1;
  let result = { same: value.length > 0 ? 1 : 0, sequence: value.length > 0 ? 1 : 0 };
  for (let i = 1; i < value.length; i++) {
    const step = value.charCodeAt(i) - value.charCodeAt(i - 1);
    same = step === 0 ? same + 1 : 1;
    up = step === 1 && /[0-9A-Za-z]/.test(value.charAt(i)) ? up + 1 : 1;
    down = step === -1 && /[0-9A-Za-z]/.test(value.charAt(i)) ? down + 1 : 1;
    result = { same: Math.max(result.same, same), sequence: Math.max(result.sequence, up, down) };
  }
  return result;
}

/**
 * Whether `value` is a documented example, a template reference, a masked value or a filler
 * pattern rather than a live credential. Eight repeats of one character or six consecutive
 * characters are vanishingly rare in random tokens of any format Vigil knows.
 */
export function isPlaceholder(value: string): boolean {
  if (KNOWN_EXAMPLES.has(value) || WEAK_DEFAULTS.has(value.toLowerCase())) return true;
  const lower = value.toLowerCase();
  if (PLACEHOLDER_MARKERS.some((marker) => lower.includes(marker))) return true;
  if (/^\$\{?[A-Za-z_]/.test(value) || /^%[A-Za-z_]\w{0,100}%$/.test(value)) return true;
  for (const example of KNOWN_EXAMPLES) if (value.includes(example)) return true;
  const runs = longestRuns(value);
  return runs.same >= 8 || runs.same === value.length || runs.sequence >= 6;
}

/** Turns an id glob into an anchored RegExp; only `*` is special. */
function globToRegExp(glob: string): RegExp {
  const escaped = glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}

function selectRules(selectors: readonly string[] | undefined): SecretRule[] {
  if (selectors === undefined) return [...SECRET_RULES];
  const chosen = new Set<SecretRule>();
  for (const selector of selectors) {
    const glob = globToRegExp(selector);
    const matching = SECRET_RULES.filter((rule) => glob.test(rule.id));
    if (matching.length === 0) throw new UnknownSecretRuleError(selector);
    for (const rule of matching) chosen.add(rule);
  }
  // Keep table order so results do not depend on the order of the selectors.
  return SECRET_RULES.filter((rule) => chosen.has(rule));
}

/** The reported span: the first `secret*` named group that took part, else the whole match. */
function secretSpan(match: RegExpExecArray): [number, number] {
  const groups = match.indices?.groups;
  if (groups !== undefined) {
    for (const [name, span] of Object.entries(groups)) {
      if (name.startsWith("secret") && span !== undefined) return span;
    }
  }
  return [match.index, match.index + match[0].length];
}

/**
 * Creates the detector for Vigil's own credential rules ({@link SECRET_RULES}). Their keywords
 * are compiled once into one automaton; each call to `detect` reads the text once with it and
 * runs only the rules whose keywords occur (line-scoped rules only on the lines where they do).
 */
export function createSecretDetector(options: SecretDetectorOptions = {}): SecretDetector {
  // Private RegExp copies: `lastIndex` is per-object state, and the table is shared.
  const rules = selectRules(options.rules).map((rule) => ({
    rule,
    pattern: new RegExp(rule.pattern.source, rule.pattern.flags),
    // With a precheck: find candidates without offsets, then take offsets only for survivors.
    ...(rule.precheck
      ? {
          scan: new RegExp(rule.pattern.source, rule.pattern.flags.replace("d", "")),
          at: new RegExp(rule.pattern.source, rule.pattern.flags.replace("g", "y")),
        }
      : {}),
  }));
  const keywords = [...new Set(rules.flatMap(({ rule }) => rule.keywords))];
  const rulesWith = (keyword: string, scoped: boolean) =>
    rules.flatMap(({ rule }, index) =>
      rule.keywords.includes(keyword) && Boolean(rule.lineScoped) === scoped ? [index] : [],
    );
  const wholeTextRules = keywords.map((keyword) => rulesWith(keyword, false));
  const lineRules = keywords.map((keyword) => rulesWith(keyword, true));
  const scanner = createKeywordScanner(keywords);

  /** The rules to run, and for line-scoped ones the `[start, end)` lines to run them on. */
  function activeRules(text: string): Map<number, [number, number][] | undefined> {
    const whole = new Uint8Array(rules.length);
    const lines = new Map<number, [number, number][]>();
    scanner.scan(text, (keyword, end) => {
      for (const index of wholeTextRules[keyword] as number[]) whole[index] = 1;
      for (const index of lineRules[keyword] as number[]) {
        let ranges = lines.get(index);
        if (ranges === undefined) {
          ranges = [];
          lines.set(index, ranges);
        }
        const last = ranges.at(-1);
        if (last === undefined || end > last[1]) {
          const start = text.lastIndexOf("\n", end - 1) + 1;
          const stop = text.indexOf("\n", end);
          ranges.push([start, stop === -1 ? text.length : stop]);
        }
      }
      return true;
    });
    const active = new Map<number, [number, number][] | undefined>();
    for (let index = 0; index < rules.length; index++) {
      if (whole[index] === 1) active.set(index, undefined);
      else if (lines.has(index)) active.set(index, lines.get(index));
    }
    return active;
  }

  function run(
    entry: (typeof rules)[number],
    text: string,
    offset: number,
    found: DetectorMatch[],
  ): void {
    const { rule } = entry;
    const pattern = entry.scan ?? entry.pattern;
    pattern.lastIndex = 0;
    for (let candidate = pattern.exec(text); candidate !== null; candidate = pattern.exec(text)) {
      if (candidate[0].length === 0) pattern.lastIndex++;
      let match = candidate;
      if (entry.at && rule.precheck) {
        if (!rule.precheck(candidate)) {
          // As below: the real match may start inside this one.
          pattern.lastIndex = candidate.index + 1;
          continue;
        }
        entry.at.lastIndex = candidate.index;
        match = entry.at.exec(text) ?? candidate;
      }
      const [start, end] = secretSpan(match);
      const secret = text.slice(start, end);
      if (
        (rule.placeholderCheck !== false && isPlaceholder(secret)) ||
        (rule.validate !== undefined && !rule.validate(secret, match))
      ) {
        // A rejected value may hold the real match (`client = Client(client_secret="…")`
        // is first read as an assignment to `client`): look again from where it starts.
        if (start > match.index) pattern.lastIndex = start;
        continue;
      }
      found.push({
        start: start + offset,
        end: end + offset,
        detector: rule.id,
        version: rule.version,
        category: "secret",
      });
    }
  }

  function detect(text: string): DetectorMatch[] {
    const found: DetectorMatch[] = [];
    for (const [index, lines] of activeRules(text)) {
      const entry = rules[index];
      if (entry === undefined) continue;
      if (lines === undefined) {
        run(entry, text, 0, found);
        continue;
      }
      for (const [start, end] of lines) run(entry, text.slice(start, end), start, found);
    }
    return found;
  }

  return {
    ids: rules.map(({ rule }) => rule.id),
    detect,
    rulesFor: (text) =>
      [...activeRules(text).keys()].flatMap((index) => rules[index]?.rule.id ?? []),
  };
}
