/**
 * The canonical JSON text OPA hashes for data files and manifests when it signs a bundle
 * (`walk` in `v1/bundle/hash.go` over a value decoded by `util.Unmarshal`), reproduced byte for
 * byte: Go decodes and re-encodes in ways `JSON.parse` and `JSON.stringify` do not.
 */

/** Go's `encoding/json` gives up beyond this nesting depth, so OPA cannot hash deeper documents. */
const maxDepth = 10_000;

type Frame =
  | { kind: "array"; items: string[] }
  | { kind: "object"; members: Map<string, string>; key: string };

/**
 * The text OPA's hasher feeds to the hash for a JSON document: objects with keys sorted by their
 * UTF-8 bytes (Go's `sort.Strings`), no whitespace, every number exactly as written (OPA decodes
 * with `UseNumber`, so `1.0`, `1e3` and big integers keep their spelling), strings re-encoded the
 * way Go's `json.Encoder` with `SetEscapeHTML(false)` writes them, duplicate keys resolved to the
 * last value. A leading UTF-8 BOM is ignored and an empty document is `null`, as in OPA's
 * `util.Unmarshal`. Parsing is iterative so a deeply nested document cannot exhaust the stack.
 */
export function canonicalJson(bytes: Buffer): string {
  const json = new Scanner(bytes);
  json.skipBom();
  json.skipSpace();
  if (json.atEnd()) return "null";
  const stack: Frame[] = [];
  let value: string | undefined;
  for (;;) {
    if (value === undefined) {
      const c = json.peek();
      if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (stack.length >= maxDepth) json.fail("nesting too deep");
        json.pos++;
        json.skipSpace();
        if (c === 0x7b) {
          if (json.take(0x7d /* } */)) value = "{}";
          else stack.push({ kind: "object", members: new Map(), key: json.memberName() });
        } else if (json.take(0x5d /* ] */)) value = "[]";
        else stack.push({ kind: "array", items: [] });
        continue;
      }
      value = json.scalar();
    }
    const frame = stack.at(-1);
    if (!frame) break;
    if (frame.kind === "array") frame.items.push(value);
    else frame.members.set(frame.key, value);
    value = undefined;
    json.skipSpace();
    if (json.take(0x2c /* , */)) {
      json.skipSpace();
      if (frame.kind === "object") frame.key = json.memberName();
      continue;
    }
    json.expect(frame.kind === "array" ? 0x5d : 0x7d);
    stack.pop();
    value = frame.kind === "array" ? `[${frame.items.join(",")}]` : encodeObject(frame.members);
  }
  json.skipSpace();
  if (!json.atEnd() || value === undefined) json.fail("unexpected data after the document");
  return value;
}

function encodeObject(members: Map<string, string>): string {
  const keys = [...members.keys()].sort(compareCodePoints);
  return `{${keys.map((key) => `${encodeString(key)}:${members.get(key)}`).join(",")}}`;
}

/**
 * Orders strings by code point, which is the order of their UTF-8 bytes; JavaScript's default
 * sort compares UTF-16 units and would put U+1F600 before U+FFFF.
 */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rankUnit(x) - rankUnit(y);
  }
  return a.length - b.length;
}

/** Moves surrogates above U+E000–U+FFFF so UTF-16 units compare in code point order. */
function rankUnit(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  return unit >= 0xe000 ? unit - 0x800 : unit;
}

const goEscapes: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

/** Go's string encoding without HTML escaping: control characters, quote, backslash, U+2028/9. */
function encodeString(value: string): string {
  if (!needsEscape.test(value)) return `"${value}"`;
  return `"${value.replace(needsEscapeAll, (c) => goEscapes[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}"`;
}

// `[^ -\uffff]` is every UTF-16 unit below U+0020, i.e. the control characters.
const needsEscape = /["\\\u2028\u2029]|[^ -\uffff]/;
const needsEscapeAll = new RegExp(needsEscape.source, "g");

const literals = ["true", "false", "null"] as const;

/** The escapes after a backslash that stand for one fixed character, by the character after it. */
const simpleEscapes: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/** A cursor over the document's bytes; errors name the byte offset, never the content. */
class Scanner {
  pos = 0;
  constructor(private readonly bytes: Buffer) {}

  atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  peek(): number | undefined {
    return this.bytes[this.pos];
  }

  take(byte: number): boolean {
    if (this.bytes[this.pos] !== byte) return false;
    this.pos++;
    return true;
  }

  expect(byte: number): void {
    if (!this.take(byte)) this.fail(`expected '${String.fromCharCode(byte)}'`);
  }

  fail(problem: string): never {
    throw new SyntaxError(`invalid JSON at byte ${this.pos}: ${problem}`);
  }

  skipBom(): void {
    if (this.bytes[0] === 0xef && this.bytes[1] === 0xbb && this.bytes[2] === 0xbf) this.pos = 3;
  }

  skipSpace(): void {
    for (let c = this.peek(); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = this.peek())
      this.pos++;
  }

  /** Reads `"name":` and returns the decoded name. */
  memberName(): string {
    if (this.peek() !== 0x22) this.fail("expected an object key");
    const name = this.string();
    this.skipSpace();
    this.expect(0x3a /* : */);
    this.skipSpace();
    return name;
  }

  /** A string, number, `true`, `false` or `null`, in canonical form. */
  scalar(): string {
    const c = this.peek();
    if (c === 0x22) return encodeString(this.string());
    for (const word of literals) {
      if (
        c === word.charCodeAt(0) &&
        this.bytes.toString("latin1", this.pos, this.pos + word.length) === word
      ) {
        this.pos += word.length;
        return word;
      }
    }
    return this.number();
  }

  /** A number exactly as written, after checking it against JSON's grammar. */
  private number(): string {
    const start = this.pos;
    this.take(0x2d /* - */);
    if (!this.take(0x30 /* 0 */) && this.digits() === 0) this.fail("expected a value");
    if (this.take(0x2e /* . */) && this.digits() === 0) this.fail("expected a digit");
    if (this.take(0x65 /* e */) || this.take(0x45 /* E */)) {
      if (!this.take(0x2b /* + */)) this.take(0x2d /* - */);
      if (this.digits() === 0) this.fail("expected a digit");
    }
    return this.bytes.toString("latin1", start, this.pos);
  }

  private digits(): number {
    const start = this.pos;
    for (let c = this.peek(); c !== undefined && c >= 0x30 && c <= 0x39; c = this.peek())
      this.pos++;
    return this.pos - start;
  }

  /**
   * Decodes a string the way Go's `encoding/json` does: each byte that does not start a valid
   * UTF-8 sequence becomes U+FFFD, as does each `\u` escape that is not half of a valid surrogate
   * pair. Raw control characters and unknown escapes are syntax errors.
   */
  string(): string {
    this.pos++;
    let out = "";
    let run = this.pos;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail("unterminated string");
      if (c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c) {
        this.pos++;
        continue;
      }
      if (c === 0x22) break;
      if (c < 0x20) this.fail("control character in string");
      const size = c === 0x5c ? 0 : utf8SequenceLength(this.bytes, this.pos);
      if (size > 0) {
        this.pos += size;
        continue;
      }
      out += this.bytes.toString("utf8", run, this.pos);
      if (c === 0x5c) out += this.escape();
      else {
        out += "\ufffd";
        this.pos++;
      }
      run = this.pos;
    }
    out += this.bytes.toString("utf8", run, this.pos);
    this.pos++;
    return out;
  }

  private escape(): string {
    const c = String.fromCharCode(this.bytes[this.pos + 1] ?? 0);
    this.pos += 2;
    const simple = simpleEscapes[c];
    if (simple !== undefined) return simple;
    if (c !== "u") {
      this.pos -= 2;
      return this.fail("invalid escape");
    }
    const unit = this.hex4(this.pos) ?? this.fail("invalid \\u escape");
    this.pos += 4;
    if (unit < 0xd800 || unit >= 0xe000) return String.fromCharCode(unit);
    const next = this.bytes[this.pos] === 0x5c && this.bytes[this.pos + 1] === 0x75;
    const low = next ? this.hex4(this.pos + 2) : undefined;
    if (unit < 0xdc00 && low !== undefined && low >= 0xdc00 && low < 0xe000) {
      this.pos += 6;
      return String.fromCharCode(unit, low);
    }
    return "\ufffd";
  }

  private hex4(at: number): number | undefined {
    const text = this.bytes.toString("latin1", at, at + 4);
    return /^[0-9a-fA-F]{4}$/.test(text) ? Number.parseInt(text, 16) : undefined;
  }
}

/**
 * Length of the valid UTF-8 sequence starting at `at`, or 0 when there is none; the same rules as
 * Go's `utf8.DecodeRune` (no overlong forms, no surrogates, nothing above U+10FFFF).
 */
function utf8SequenceLength(bytes: Buffer, at: number): number {
  const lead = bytes[at] ?? 0;
  let size: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) size = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    size = 3;
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    size = 4;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
  } else return 0;
  const second = bytes[at + 1];
  if (second === undefined || second < low || second > high) return 0;
  for (let i = 2; i < size; i++) {
    const next = bytes[at + i];
    if (next === undefined || next < 0x80 || next > 0xbf) return 0;
  }
  return size;
}
