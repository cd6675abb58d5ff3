import { describe, expect, it } from "vitest";
import { createKeywordScanner } from "../../server/src/redact/keyword-scanner.js";

function hits(keywords: string[], text: string): [string, number][] {
  const out: [string, number][] = [];
  createKeywordScanner(keywords).scan(text, (k, end) => {
    out.push([keywords[k] ?? "?", end]);
    return true;
  });
  return out;
}

describe("createKeywordScanner", () => {
  it("finds every occurrence, overlapping and nested ones included, regardless of ASCII case", () => {
    expect(hits(["he", "she", "his", "hers"], "uSHErs")).toEqual([
      ["she", 4],
      ["he", 4],
      ["hers", 6],
    ]);
    expect(hits(["aa"], "aaaa").map(([, end]) => end)).toEqual([2, 3, 4]);
  });

  it("reports end offsets in UTF-16 units and lets non-ASCII text break a keyword", () => {
    expect(hits(["token"], "🔑 token")).toEqual([["token", 8]]);
    expect(hits(["token"], "tok\u00e9en tokén")).toEqual([]);
  });

  it("stops when the callback returns false", () => {
    const seen: number[] = [];
    createKeywordScanner(["a"]).scan("aaaa", (_, end) => {
      seen.push(end);
      return seen.length < 2;
    });
    expect(seen).toEqual([1, 2]);
  });

  it("agrees with a substring search on every keyword of a mixed text", () => {
    const keywords = ["pass", "password", "key", "api_key", "-----begin", "ghp_", "sk-", "://"];
    const text =
      "export API_KEY=abc\nDB PASSWORD: x\n-----BEGIN KEY-----\nhttps://h/ ghp_x sk-y passkey";
    const found = new Set(hits(keywords, text).map(([k]) => k));
    const expected = new Set(keywords.filter((k) => text.toLowerCase().includes(k)));
    expect(found).toEqual(expected);
  });

  it("refuses keywords that are empty or not printable ASCII", () => {
    expect(() => createKeywordScanner([""])).toThrow(RangeError);
    expect(() => createKeywordScanner(["clé"])).toThrow(/must be printable ASCII/);
  });
});
