import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { defaultRedactPlan } from "../../server/src/policy/redact-plan.js";
import { createTextRedactor } from "../../server/src/redact/redact-text.js";
import { createStreamRedactor } from "../../server/src/redact/stream-redactor.js";

const redactor = createTextRedactor({
  plan: defaultRedactPlan,
  fingerprintKey: Buffer.from("stream-test-key-0123456789abcdef"),
});
/** Format-valid, obviously synthetic. */
const token = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ".slice(0, 36)}`;

/** Streams `chunks` through a redactor and returns everything emitted, piece by piece. */
function run(chunks: string[], carryChars?: number) {
  const stream = createStreamRedactor({
    redactor,
    ...(carryChars !== undefined ? { carryChars } : {}),
  });
  const pieces = chunks.map((chunk) => stream.push(chunk));
  pieces.push(stream.end());
  return {
    text: pieces.map((p) => p.text).join(""),
    pieces: pieces.map((p) => p.text),
    findings: pieces.flatMap((p) => p.findings),
  };
}

describe("createStreamRedactor", () => {
  const text = `${"The model says hello. ".repeat(10)}Use ${token} for the push.\n${"More output follows. ".repeat(10)}`;
  const whole = redactor.redact(text);

  it("masks a secret split at every chunk boundary position exactly as the whole text", () => {
    const start = text.indexOf(token);
    for (let split = start - 2; split <= start + token.length + 2; split++) {
      const streamed = run([text.slice(0, split), text.slice(split)], 64);
      expect(streamed.text, `split at ${split}`).toBe(whole.text);
      for (const piece of streamed.pieces) expect(piece).not.toContain(token.slice(0, 8));
    }
  });

  it("masks a secret fed one character at a time and never emits part of it", () => {
    const streamed = run([...text], 64);
    expect(streamed.text).toBe(whole.text);
    expect(streamed.pieces.join("")).not.toContain(token.slice(4, 12));
    expect(streamed.findings.map((f) => [f.detector, f.utf16Start])).toEqual(
      whole.findings.map((f) => [f.detector, f.utf16Start]),
    );
  });

  it("emits text before the end once more than the carry window has arrived", () => {
    const streamed = run([text.slice(0, 200), text.slice(200)], 64);
    expect(streamed.pieces[0]?.length).toBeGreaterThan(0);
    expect(streamed.text).toBe(whole.text);
  });

  it("reports findings at their place in the whole stream, lines included", () => {
    const streamed = run(["line one\nline two\n", `and ${token}\n`, "tail"], 4);
    const finding = streamed.findings[0];
    expect(finding).toMatchObject({
      detector: "secret.github-pat",
      utf16Start: "line one\nline two\nand ".length,
      line: 3,
      column: 5,
    });
  });

  it("holds an open PEM block until its END line arrives, however long", () => {
    const pem = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    const doc = `key follows\n${pem}done\n`;
    const chunks = doc.match(/[\s\S]{1,50}/g) ?? [];
    const streamed = run(chunks, 64);
    expect(streamed.text).toBe(redactor.redact(doc).text);
    expect(streamed.text).toContain("[REDACTED:private-key]");
    for (const piece of streamed.pieces) expect(piece).not.toContain("MII");
  });
});
