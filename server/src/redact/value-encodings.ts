/**
 * The forms a registered secret takes when it travels inside other data: base64 in a header or
 * a token, percent-encoding in a URL, escaping in a JSON document, hex in a dump. Each form is
 * a literal string that can be searched for directly, so detection stays a plain multi-pattern
 * search with no decoding of the text.
 */

/** How a form was derived from the value. */
export type ValueEncoding =
  | "plain"
  | "base64"
  | "base64url"
  | "url"
  | "form"
  | "json"
  | "json-ascii"
  | "hex";

/** One searchable form of a value. */
export interface EncodedForm {
  /** The literal text to search for. */
  readonly text: string;
  /**
   * How the text was made. `base64` and `base64url` forms are only the stable middle of an
   * encoding whose ends depend on neighbouring bytes; `hex` forms are meant to be matched
   * without regard to case.
   */
  readonly encoding: ValueEncoding;
}

/**
 * The part of `bytes`' base64 encoding that does not depend on its neighbours when it is
 * preceded by `offset` (0, 1 or 2) bytes of unknown data inside a larger encoded blob.
 *
 * Base64 character `i` of the blob carries bits `[6i, 6i + 6)`. The value occupies bits
 * `[8·offset, 8·(offset + n))`, so the characters wholly inside that range are those from
 * `ceil(8·offset / 6)` to `floor(8·(offset + n) / 6)`; the ones before and after mix in bits of
 * the neighbouring bytes (or padding) and are dropped. Encoding with zero filler bytes gives
 * the right characters for the stable range because they carry only the value's bits.
 */
export function stableBase64(bytes: Uint8Array, offset: 0 | 1 | 2): string {
  const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
  const first = Math.ceil((8 * offset) / 6);
  const end = Math.floor((8 * (offset + bytes.length)) / 6);
  return encoded.slice(first, end);
}

/** Converts standard base64 text to the URL-safe alphabet of RFC 4648 §5. */
export function toBase64Url(base64: string): string {
  return base64.replaceAll("+", "-").replaceAll("/", "_");
}

/**
 * JSON string escaping with every non-ASCII code unit written as `\uXXXX` (lower-case hex), as
 * Python's `json.dumps` and other `ensure_ascii` encoders produce; `JSON.stringify` keeps
 * non-ASCII characters as they are.
 */
function jsonAsciiEscape(value: string): string {
  return JSON.stringify(value)
    .slice(1, -1)
    .replace(
      /[\u0080-\uffff]/g,
      (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
}

/**
 * Every searchable form of `value`. A pair of encoding and text appears once, but different
 * encodings often give the same text (a value of letters and digits has identical plain, URL
 * and JSON forms); callers merge those, keeping every encoding because each changes how a
 * match is reported.
 *
 * - `plain`: the value itself;
 * - `base64`, `base64url`: the stable middle of the UTF-8 bytes' encoding at each of the three
 *   byte alignments (see {@link stableBase64});
 * - `url`: `encodeURIComponent`; `form`: the same with `+` for spaces, and the
 *   `application/x-www-form-urlencoded` serialisation of `URLSearchParams`, which also escapes
 *   `!'()~`;
 * - `json`: the inside of `JSON.stringify(value)` (quotes, backslashes, control characters);
 *   `json-ascii`: the same with non-ASCII as `\uXXXX`;
 * - `hex`: the UTF-8 bytes in lower-case hex, meant to be matched without case.
 */
export function encodeValue(value: string): EncodedForm[] {
  const bytes = Buffer.from(value, "utf8");
  const forms: EncodedForm[] = [];
  const seen = new Set<string>();
  const add = (encoding: ValueEncoding, text: string) => {
    const key = `${encoding}:${text}`;
    if (text.length === 0 || seen.has(key)) return;
    seen.add(key);
    forms.push({ text, encoding });
  };

  add("plain", value);
  for (const offset of [0, 1, 2] as const) {
    const base64 = stableBase64(bytes, offset);
    add("base64", base64);
    add("base64url", toBase64Url(base64));
  }
  const percent = encodeURIComponent(value);
  add("url", percent);
  add("form", percent.replaceAll("%20", "+"));
  add("form", new URLSearchParams([["", value]]).toString().slice(1));
  const json = JSON.stringify(value).slice(1, -1);
  add("json", json);
  add("json-ascii", jsonAsciiEscape(value));
  add("hex", bytes.toString("hex"));
  return forms;
}
