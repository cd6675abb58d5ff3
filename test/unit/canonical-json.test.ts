import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../server/src/policy/canonical-json.js";

const canonical = (text: string | Buffer) => canonicalJson(Buffer.from(text));

describe("canonicalJson, OPA's hashing form of a JSON document", () => {
  it("drops whitespace and sorts keys by UTF-8 bytes, not UTF-16 units", () => {
    expect(canonical('{ "\u{1f600}": 1, "\uffff": 2, "a": 3, "B": {"z": [], "y": {}} }')).toBe(
      '{"B":{"y":{},"z":[]},"a":3,"\uffff":2,"\u{1f600}":1}',
    );
  });

  it("keeps every number as written", () => {
    expect(canonical("[1.0, 1e3, -0, 1E+2, 2.50e-07, 123456789012345678901234567890]")).toBe(
      "[1.0,1e3,-0,1E+2,2.50e-07,123456789012345678901234567890]",
    );
  });

  it("escapes strings like Go's encoder with HTML escaping off", () => {
    expect(
      canonical('"<&> \\u2028 \u2029 \\u0007 \\b\\f\\n\\r\\t \\u007f \\u00e9 \\/ \\" \\\\"'),
    ).toBe('"<&> \\u2028 \\u2029 \\u0007 \\b\\f\\n\\r\\t \u007f é / \\" \\\\"');
  });

  it("replaces bad UTF-8 and lone surrogates with U+FFFD one byte at a time, as Go does", () => {
    const truncated = Buffer.from([0x22, 0xe2, 0x82, 0x41, 0xc0, 0xaf, 0x22]);
    expect(canonical(truncated)).toBe('"\ufffd\ufffdA\ufffd\ufffd"');
    expect(canonical('"\\ud800\\u0041 \\udc00 \\ud83d\\ude00"')).toBe('"\ufffdA \ufffd \u{1f600}"');
  });

  it("keeps the last value of a duplicated key", () => {
    expect(canonical('{"a": {"x": 1}, "a": {"y": 2}}')).toBe('{"a":{"y":2}}');
  });

  it("skips a byte order mark and reads an empty document as null", () => {
    expect(canonical(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toBe("{}");
    expect(canonical(" \n\t")).toBe("null");
  });

  it.each([
    "01",
    "+1",
    ".5",
    "1.",
    "NaN",
    "[1,]",
    '{"a": 1,}',
    '"\t"',
    '"\\x"',
    '"\\u12"',
    "[1] 2",
    '{"a" 1}',
    "[",
  ])("rejects %j as Go's decoder does", (text) => {
    expect(() => canonical(text)).toThrow(SyntaxError);
  });

  it("accepts Go's maximum nesting of 10000 and refuses one level more, without recursion", () => {
    const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
    expect(canonical(nested(10_000))).toHaveLength(20_000);
    expect(() => canonical(nested(10_001))).toThrow("nesting too deep");
  });
});
