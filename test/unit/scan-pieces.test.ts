import { describe, expect, it } from "vitest";
import { placeFindings, scanPieces } from "../../server/src/cli/scan-pieces.js";
import { defaultRedactPlan } from "../../server/src/policy/redact-plan.js";
import { createTextRedactor } from "../../server/src/redact/redact-text.js";
import { toFinding } from "../../server/src/rpc/redact-mapping.js";

const redactor = createTextRedactor({ plan: defaultRedactPlan, fingerprintKey: Buffer.alloc(32) });
const token = (i: number) =>
  `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEu".slice(0, 32)}${String(i).padStart(4, "0")}`;
const pem = [
  "-----BEGIN PRIVATE KEY-----",
  ...Array.from(
    { length: 6 },
    (_, i) => `MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7${i}abcdefghijk`,
  ),
  "-----END PRIVATE KEY-----",
].join("\n");

/** A log with tokens every few lines, a PEM key, and non-ASCII text, so offsets differ by unit. */
function log(lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    if (i % 7 === 3) out.push(`  é ${i} deploy token=${token(i)} ✓`);
    else if (i === 40) out.push(pem);
    else out.push(`line ${i}: nothing to see, 🔑-free, ${"x".repeat(i % 50)}`);
  }
  return `${out.join("\n")}\n`;
}

/** What the server would answer for each piece, placed in the whole file. */
function scanInPieces(text: string, maxChars: number, overlap: number) {
  return scanPieces(text, { maxChars, overlap }).flatMap((piece) =>
    placeFindings(piece, redactor.redact(piece.text).findings.map(toFinding)),
  );
}

const where = (f: ReturnType<typeof toFinding>) => [
  f.detectorId,
  f.location?.line,
  f.location?.column,
  f.location?.byteStart,
  f.location?.utf16Start,
];

describe("scanPieces and placeFindings", () => {
  it("find in pieces exactly what one pass over the whole file finds, at the same places", () => {
    const text = log(200);
    const whole = redactor.redact(text).findings.map(toFinding).map(where);
    expect(whole.length).toBeGreaterThan(25);
    for (const [maxChars, overlap] of [
      [1500, 600],
      [2000, 700],
      [3333, 1000],
    ] as const) {
      const pieces = scanInPieces(text, maxChars, overlap).map(where);
      expect(pieces, `maxChars ${maxChars}`).toEqual(whole);
    }
  });

  it("keeps a file under the limit as one piece", () => {
    expect(scanPieces("short\ntext\n")).toEqual([
      { text: "short\ntext\n", utf16: 0, bytes: 0, lines: 0, column: 0, coveredUntil: 0 },
    ]);
  });

  it("cuts a single huge line without splitting a surrogate pair, columns still right", () => {
    const text = `${"🔑".repeat(700)} token=${token(1)} ${"🔑".repeat(700)}`;
    const pieces = scanPieces(text, { maxChars: 999, overlap: 200 });
    expect(pieces.length).toBeGreaterThan(2);
    for (const piece of pieces) {
      expect(piece.text.charCodeAt(0) >= 0xdc00 && piece.text.charCodeAt(0) <= 0xdfff).toBe(false);
    }
    const whole = redactor.redact(text).findings.map(toFinding).map(where);
    expect(scanInPieces(text, 999, 200).map(where)).toEqual(whole);
  });
});
