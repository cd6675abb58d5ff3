import { IBAN_LENGTHS, ibanValid, luhnValid, ssnValid } from "./checksums.js";
import type { Detector, DetectorMatch } from "./detector.js";

/** The kinds of personal data {@link createPiiDetector} can find; each reports as `pii.<kind>`. */
export type PiiKind = "email" | "card" | "iban" | "ssn" | "phone";

/** Every {@link PiiKind}, in the order their matches are reported. */
export const PII_KINDS: readonly PiiKind[] = ["email", "card", "iban", "ssn", "phone"];

/** Bumped whenever any PII pattern or validation rule changes what is found. */
export const PII_DETECTOR_VERSION = 1;

/** Options for {@link createPiiDetector}. */
export interface PiiDetectorOptions {
  /**
   * Which kinds to look for; an empty list finds nothing. Unknown kinds throw a `RangeError`,
   * because a typo in a policy would otherwise silently disable detection.
   * @default every kind in {@link PII_KINDS}
   */
  kinds?: readonly PiiKind[];
}

/** A half-open range of UTF-16 offsets in the scanned text. */
interface Span {
  start: number;
  end: number;
}

/** A run of ASCII digits and the single separator (`" "`, `"-"`, or `""` if first) before it. */
interface DigitGroup extends Span {
  sep: string;
}

const WORD_CHAR = /[\p{L}\p{N}_]/u;

function isWord(ch: string | undefined): boolean {
  return ch !== undefined && WORD_CHAR.test(ch);
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "9";
}

/**
 * Whether the token ending just before `start` continues into it: a letter or digit touches
 * it, or `.`, `-` or `/` joins it to one (`v1.2`, `ORD-4111…`, `10/2024`, `10.0.0.1`).
 */
function gluedBefore(text: string, start: number): boolean {
  const prev = text[start - 1];
  if (isWord(prev)) return true;
  return (prev === "." || prev === "-" || prev === "/") && isWord(text[start - 2]);
}

/** Mirror of {@link gluedBefore} for the token starting at `end`. */
function gluedAfter(text: string, end: number): boolean {
  const next = text[end];
  if (isWord(next)) return true;
  return (next === "." || next === "-" || next === "/") && isWord(text[end + 1]);
}

/**
 * Splits the text's digits into sequences of groups joined by exactly one space or dash.
 * Cards, SSNs and their look-alikes are then judged on whole groups, so `1234-5678` is never
 * read as `34-56`; a plain `\d+` scan keeps this linear without nested regex quantifiers.
 */
function digitSequences(text: string): DigitGroup[][] {
  // Cards and SSNs both read the groups of the same text: compute them once per text.
  if (text === lastDigits.text) return lastDigits.sequences;
  const sequences: DigitGroup[][] = [];
  let current: DigitGroup[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) continue;
    const start = i;
    while (i + 1 < n && isDigitCode(text.charCodeAt(i + 1))) i++;
    const prev = current.at(-1);
    const sep = text[start - 1] ?? "";
    if (prev !== undefined && prev.end === start - 1 && (sep === " " || sep === "-")) {
      current.push({ start, end: i + 1, sep });
    } else {
      if (current.length > 0) sequences.push(current);
      current = [{ start, end: i + 1, sep: "" }];
    }
  }
  if (current.length > 0) sequences.push(current);
  lastDigits = { text, sequences };
  return sequences;
}

let lastDigits: { text: string; sequences: DigitGroup[][] } = { text: "", sequences: [] };

function isDigitCode(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function groupDigits(text: string, groups: readonly DigitGroup[]): string {
  return groups.map((g) => text.slice(g.start, g.end)).join("");
}

/**
 * Issuer prefixes per network, as single prefixes (`"4"`) or inclusive ranges of equal-length
 * prefixes (`"2221-2720"`), with the lengths each network issues. Anything else is rejected,
 * so a Luhn-valid order number starting with 7 or 1 is not reported as a card.
 */
const CARD_NETWORKS: readonly { name: string; prefixes: string; lengths: readonly number[] }[] = [
  { name: "Visa", prefixes: "4", lengths: [13, 16, 19] },
  { name: "Mastercard", prefixes: "51-55 2221-2720", lengths: [16] },
  { name: "American Express", prefixes: "34 37", lengths: [15] },
  { name: "Discover", prefixes: "6011 644-649 65 622126-622925", lengths: [16, 17, 18, 19] },
  { name: "JCB", prefixes: "3528-3589", lengths: [16, 17, 18, 19] },
  { name: "Diners Club", prefixes: "300-305 3095 36 38-39", lengths: [14, 15, 16, 17, 18, 19] },
  { name: "UnionPay", prefixes: "62", lengths: [16, 17, 18, 19] },
  {
    name: "Maestro",
    prefixes: "5018 5020 5038 5893 6304 6759 6761-6763",
    lengths: [13, 14, 15, 16, 17, 18, 19],
  },
  { name: "Mir", prefixes: "2200-2204", lengths: [16, 17, 18, 19] },
  { name: "RuPay", prefixes: "508 60 81-82", lengths: [16] },
  { name: "Troy", prefixes: "9792", lengths: [16] },
];

function knownCardNetwork(digits: string): boolean {
  return CARD_NETWORKS.some(
    (network) =>
      network.lengths.includes(digits.length) &&
      network.prefixes.split(" ").some((range) => {
        const [low = "", high = low] = range.split("-");
        const prefix = digits.slice(0, low.length);
        return prefix >= low && prefix <= high;
      }),
  );
}

/**
 * Whether groups `i..j` of `seq` are written like one card: a bare 13–19 digit run, or groups
 * with one consistent separator starting with four digits (4-4-4-4, Amex 4-6-5, 4-4-4-4-3).
 * A neighbouring group of four or more digits on the same separator means the window is a slice
 * of a longer grouped number; a short one (an expiry `12/26`, a count) does not.
 */
function cardWindow(text: string, seq: readonly DigitGroup[], i: number, j: number): boolean {
  // Count before building anything: most windows are far too short to be a card.
  let count = 0;
  for (let k = i; k <= j; k++) count += len(seq[k]);
  if (count < 13 || count > 19) return false;
  const window = seq.slice(i, j + 1);
  const first = window[0];
  const last = window.at(-1);
  if (first === undefined || last === undefined) return false;
  // A leading `+` makes it an international phone number, whatever Luhn says.
  if (i === 0 && (gluedBefore(text, first.start) || text[first.start - 1] === "+")) return false;
  if (j === seq.length - 1 && gluedAfter(text, last.end)) return false;
  const digits = groupDigits(text, window);
  if (digits.length < 13 || digits.length > 19) return false;
  const before = seq[i - 1];
  const after = seq[j + 1];
  if (i === j) {
    // A bare run joined by dashes is an identifier segment (`ref-4111…-02`), not a card.
    if (first.sep === "-" || after?.sep === "-") return false;
  } else {
    const sep = seq[i + 1]?.sep;
    if (window.some((g, k) => k > 0 && g.sep !== sep)) return false;
    if (first.end - first.start !== 4) return false;
    if (window.some((g) => g.end - g.start < 3 || g.end - g.start > 6)) return false;
    if (before !== undefined && first.sep === sep && before.end - before.start >= 4) return false;
    if (after !== undefined && after.sep === sep && after.end - after.start >= 4) return false;
  }
  return luhnValid(digits) && knownCardNetwork(digits);
}

function findCards(text: string): Span[] {
  const spans: Span[] = [];
  for (const seq of digitSequences(text)) {
    let total = 0;
    for (const group of seq) total += group.end - group.start;
    if (total < 13) continue;
    let i = 0;
    while (i < seq.length) {
      // A card has at most 5 groups (4-4-4-4-3), so the window search is bounded per group.
      let found = -1;
      for (let j = Math.min(seq.length - 1, i + 4); j >= i; j--) {
        if (cardWindow(text, seq, i, j)) {
          found = j;
          break;
        }
      }
      const first = seq[i];
      const last = seq[found];
      if (found >= 0 && first !== undefined && last !== undefined) {
        spans.push({ start: first.start, end: last.end });
        i = found + 1;
      } else {
        i++;
      }
    }
  }
  return spans;
}

/** A keyword that makes a bare nine-digit number worth reading as an SSN. */
const SSN_KEYWORD = /\bssn|\bss#|social[\s_-]?security|\bsoc\.?\s?sec\b/gi;

function ssnKeywordBefore(text: string, start: number): boolean {
  // Up to 20 characters may sit between the keyword and the number (`SSN on file: `).
  const from = Math.max(0, start - 40);
  const before = text.slice(from, start);
  for (const m of before.matchAll(SSN_KEYWORD)) {
    if (before.length - (m.index + m[0].length) <= 20) return true;
  }
  return false;
}

function len(group: DigitGroup | undefined): number {
  return group === undefined ? 0 : group.end - group.start;
}

function findSsns(text: string): Span[] {
  const spans: Span[] = [];
  for (const seq of digitSequences(text)) {
    const lastIndex = seq.length - 1;
    // A plain loop: a callback here would be a new closure per sequence on the hottest path.
    for (let i = 0; i <= lastIndex; i++) {
      const group = seq[i] as DigitGroup;
      const middle = seq[i + 1];
      const serial = seq[i + 2];
      if (len(group) === 3 && len(middle) === 2 && len(serial) === 4 && middle && serial) {
        const sep = middle.sep;
        const joinedBefore = i > 0 && group.sep === sep;
        const joinedAfter = seq[i + 3]?.sep === sep;
        const glued =
          (i === 0 && gluedBefore(text, group.start)) ||
          (i + 2 === lastIndex && gluedAfter(text, serial.end));
        if (
          serial.sep === sep &&
          !joinedBefore &&
          !joinedAfter &&
          !glued &&
          ssnValid(groupDigits(text, [group, middle, serial]))
        ) {
          spans.push({ start: group.start, end: serial.end });
        }
      }
      // Nine bare digits are too common (ids, amounts) to report without a keyword nearby.
      if (len(group) === 9 && group.sep !== "-" && seq[i + 1]?.sep !== "-") {
        const glued =
          (i === 0 && gluedBefore(text, group.start)) ||
          (i === lastIndex && gluedAfter(text, group.end));
        if (
          !glued &&
          ssnValid(text.slice(group.start, group.end)) &&
          ssnKeywordBefore(text, group.start)
        ) {
          spans.push({ start: group.start, end: group.end });
        }
      }
    }
  }
  return spans;
}

/** What may sit between two digit groups of an international number: `)`, one of ` .-`, `(`. */
const E164_GAP = /^\)?[ .-]?\(?$/;

function findE164(text: string): Span[] {
  const spans: Span[] = [];
  const plus = /\+(?=\(?[1-9])/g;
  for (let m = plus.exec(text); m !== null; m = plus.exec(text)) {
    const start = m.index;
    if (isWord(text[start - 1])) continue;
    let pos = start + 1;
    let end = pos;
    let dotted = false;
    const groups: number[] = [0];
    // Hand-scanned rather than a regex: the separators between groups vary, and a regex for
    // that needs nested quantifiers. Each character is visited once.
    while (pos < text.length) {
      if (isDigit(text[pos])) {
        groups[groups.length - 1] = (groups.at(-1) ?? 0) + 1;
        pos++;
        end = pos;
        continue;
      }
      let next = pos;
      while (next < pos + 3 && " .-()".includes(text[next] ?? "x")) next++;
      const gap = text.slice(pos, next);
      if (next === pos || !isDigit(text[next]) || !E164_GAP.test(gap)) break;
      if (gap.includes(".")) dotted = true;
      if ((groups.at(-1) ?? 0) > 0) groups.push(0);
      pos = next;
    }
    plus.lastIndex = Math.max(plus.lastIndex, end);
    const digits = groups.reduce((sum, n) => sum + n, 0);
    if (digits < 8 || digits > 15 || gluedAfter(text, end)) continue;
    // `+1.2.3.4.5.6.7.8` is a version-ish list, not a number: dotted numbers need real groups.
    if (dotted && groups.slice(1).some((n) => n < 2)) continue;
    spans.push({ start, end });
  }
  return spans;
}

/**
 * North American numbers need separators: `(NXX) NXX-XXXX`, or `NXX-NXX-XXXX` with one
 * consistent `-`, `.` or space, optionally after a `1` trunk prefix. Fixed-length pieces keep
 * the regex linear.
 */
const NANP =
  /(?:\b1[ .-]?)?(?:\([2-9]\d\d\) ?[2-9]\d\d[-. ]|\b[2-9]\d\d([-. ])[2-9]\d\d\1)\d{4}\b/g;

function findPhones(text: string): Span[] {
  const international = findE164(text);
  const spans = [...international];
  let k = 0;
  for (const m of text.matchAll(NANP)) {
    const start = m.index;
    const end = start + m[0].length;
    // `#212-555-0143` is a ticket or order number far more often than a phone.
    if (gluedBefore(text, start) || text[start - 1] === "#" || text[start - 1] === "+") continue;
    if (gluedAfter(text, end)) continue;
    // Both lists are in text order, so one forward pointer finds any international overlap.
    while (k < international.length && (international[k]?.end ?? 0) <= start) k++;
    const other = international[k];
    if (other !== undefined && other.start < end) continue;
    spans.push({ start, end });
  }
  return spans;
}

/** Characters of an address's local part and domain, as code point classes. */
const LOCAL_CHAR = /^[\p{L}\p{N}._%+'-]$/u;
const DOMAIN_CHAR = /^[\p{L}\p{N}.-]$/u;
const maxLocal = 64;
const maxDomain = 253;

/** Lookup for ASCII code units: bit 1 = local-part character, bit 2 = domain character. */
const ASCII_EMAIL_CLASS = Uint8Array.from({ length: 128 }, (_, code) => {
  const ch = String.fromCharCode(code);
  return (LOCAL_CHAR.test(ch) ? 1 : 0) | (DOMAIN_CHAR.test(ch) ? 2 : 0);
});

function emailClass(text: string, index: number, bit: 1 | 2): boolean {
  const code = text.charCodeAt(index);
  if (code < 128) return ((ASCII_EMAIL_CLASS[code] ?? 0) & bit) !== 0;
  const cp = text.codePointAt(index) ?? code;
  return (bit === 1 ? LOCAL_CHAR : DOMAIN_CHAR).test(String.fromCodePoint(cp));
}

/**
 * Each `@` with the run of local-part characters before it (1–64 code points, and the whole
 * run: an address does not start mid-word) and up to 253 domain characters after it; the same
 * candidates as `[local]{1,64}@[domain]{1,253}` scanned left to right, at the cost of looking
 * only around each `@`.
 */
function* emailCandidates(text: string): Generator<{ index: number; value: string }> {
  let consumed = 0;
  for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
    let start = at;
    let points = 0;
    while (start > 0 && points <= maxLocal) {
      // Step back one code point: a low surrogate takes its high surrogate with it.
      const unit = text.charCodeAt(start - 1);
      const back = start >= 2 && unit >= 0xdc00 && unit <= 0xdfff ? 2 : 1;
      if (!emailClass(text, start - back, 1)) break;
      start -= back;
      points++;
    }
    if (points === 0 || points > maxLocal || start < consumed) continue;
    let end = at + 1;
    let domainPoints = 0;
    while (end < text.length && domainPoints < maxDomain && emailClass(text, end, 2)) {
      end += (text.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
      domainPoints++;
    }
    if (domainPoints === 0) continue;
    consumed = end;
    yield { index: start, value: text.slice(start, end) };
  }
}

const TLD = /^(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})$/iu;

function validDomain(domain: string): boolean {
  const labels = domain.split(".");
  if (labels.length < 2) return false;
  if (
    !labels.every((l) => l.length > 0 && l.length <= 63 && !l.startsWith("-") && !l.endsWith("-"))
  ) {
    return false;
  }
  // `icon@2x.png` is a high-density image asset, not an address.
  if (/^\d+x$/i.test(labels[0] ?? "")) return false;
  return TLD.test(labels.at(-1) ?? "");
}

function findEmails(text: string): Span[] {
  const spans: Span[] = [];
  for (const m of emailCandidates(text)) {
    const at = m.value.indexOf("@");
    let local = m.value.slice(0, at);
    // A leading quote or dot delimits the address (`'a@b.io'`, `….a@b.io`) rather than belonging to it.
    let lead = 0;
    while (local[lead] === "'" || local[lead] === ".") lead++;
    local = local.slice(lead);
    if (local.length === 0 || local.endsWith(".") || local.includes("..")) continue;
    let domain = m.value.slice(at + 1);
    let trim = domain.length;
    // A sentence's full stop or a dash after the address is punctuation, not domain.
    while (trim > 0 && (domain[trim - 1] === "." || domain[trim - 1] === "-")) trim--;
    domain = domain.slice(0, trim);
    if (!validDomain(domain)) continue;
    const end = m.index + at + 1 + domain.length;
    if (text[end] === "@" || text[end] === "_") continue;
    spans.push({ start: m.index + lead, end });
  }
  return spans;
}

/**
 * Finds IBANs by country code and check digits, then reads exactly the registered length for
 * that country, allowing a single space after every fourth character (the printed form).
 */
function findIbans(text: string): Span[] {
  const spans: Span[] = [];
  const start = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}/g;
  for (let m = start.exec(text); m !== null; m = start.exec(text)) {
    if (isWord(text[m.index - 1])) continue;
    const length = IBAN_LENGTHS.get(m[0].slice(0, 2).toUpperCase());
    if (length === undefined) continue;
    let compact = m[0];
    let pos = m.index + 4;
    while (compact.length < length && pos < text.length) {
      const ch = text[pos] ?? "";
      if (/[A-Za-z0-9]/.test(ch)) {
        compact += ch;
      } else if (
        !(ch === " " && compact.length % 4 === 0 && /[A-Za-z0-9]/.test(text[pos + 1] ?? ""))
      ) {
        break;
      }
      pos++;
    }
    // One character too many means a different (longer) token, not this country's IBAN.
    if (compact.length !== length || isWord(text[pos]) || !ibanValid(compact)) continue;
    spans.push({ start: m.index, end: pos });
    start.lastIndex = pos;
  }
  return spans;
}

const FINDERS: Readonly<Record<PiiKind, (text: string) => Span[]>> = {
  email: findEmails,
  card: findCards,
  iban: findIbans,
  ssn: findSsns,
  phone: findPhones,
};

/**
 * Creates a detector for personal data: email addresses, payment card numbers (Luhn and a
 * known issuer prefix), IBANs (registered length and mod-97), US Social Security numbers
 * (issuable ranges) and phone numbers (E.164 and North American). Matches report as
 * `pii.<kind>`, version {@link PII_DETECTOR_VERSION}, category `pii`. Every scan is linear
 * in the text's length.
 */
export function createPiiDetector(options: PiiDetectorOptions = {}): Detector {
  const wanted = new Set<string>(options.kinds ?? PII_KINDS);
  for (const kind of wanted) {
    if (!(PII_KINDS as readonly string[]).includes(kind)) {
      throw new RangeError(`unknown PII kind "${kind}"; expected one of ${PII_KINDS.join(", ")}`);
    }
  }
  const kinds = PII_KINDS.filter((kind) => wanted.has(kind));
  return {
    ids: kinds.map((kind) => `pii.${kind}`),
    detect(text: string): DetectorMatch[] {
      const matches: DetectorMatch[] = [];
      for (const kind of kinds) {
        for (const span of FINDERS[kind](text)) {
          matches.push({
            start: span.start,
            end: span.end,
            detector: `pii.${kind}`,
            version: PII_DETECTOR_VERSION,
            category: "pii",
          });
        }
      }
      return matches;
    },
  };
}
