import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { defaultRedactPlan, type RedactPlan } from "../../server/src/policy/redact-plan.js";
import type { DetectorMatch } from "../../server/src/redact/detector.js";
import { createGlobMatcher } from "../../server/src/redact/detector-glob.js";
import { maskText } from "../../server/src/redact/mask-text.js";

const key = Buffer.from("test-fingerprint-key");
const hmac = (value: string) => createHmac("sha256", key).update(value).digest("hex");

/** A match covering the first occurrence of `value` in `text`. */
function at(
  text: string,
  value: string,
  detector: string,
  category: DetectorMatch["category"],
): DetectorMatch {
  const start = text.indexOf(value);
  if (start < 0) throw new Error("value not in text");
  return { start, end: start + value.length, detector, version: 1, category };
}

const plan = (operators: RedactPlan["operators"], detectors = ["*"]): RedactPlan => ({
  ...defaultRedactPlan,
  detectors,
  operators,
});

describe("createGlobMatcher", () => {
  it("matches ids with * spanning dots and treats everything else literally", () => {
    const match = createGlobMatcher(["secret.*", "pii.card"]);
    expect(["secret.github-pat", "secret.a.b", "pii.card"].every(match)).toBe(true);
    expect(["pii.email", "secretXgithub", "registered"].some(match)).toBe(false);
    expect(createGlobMatcher(["*"])("anything")).toBe(true);
    expect(createGlobMatcher([])("secret.x")).toBe(false);
  });
});

describe("maskText", () => {
  const token = "tok_9f8e7d6c5b4a39281706";
  const text = `deploy with ${token} please`;

  it("replaces a span with a typed placeholder and reports where it was, never the value", () => {
    const result = maskText(text, [at(text, token, "secret.github-pat", "secret")], {
      plan: defaultRedactPlan,
      fingerprintKey: key,
    });
    expect(result.text).toBe("deploy with [REDACTED:github-pat] please");
    expect(result.findings).toEqual([
      {
        detector: "secret.github-pat",
        version: 1,
        category: "secret",
        action: "replace",
        fingerprint: hmac(token),
        utf16Start: 12,
        utf16End: 12 + token.length,
        byteStart: 12,
        byteEnd: 12 + token.length,
        line: 1,
        column: 13,
      },
    ]);
    expect(JSON.stringify(result.findings)).not.toContain(token);
  });

  it("keeps a prefix and suffix for partial masks, but never more than a third of the value", () => {
    const card = "4242424242424242";
    const t = `card ${card}`;
    const partial = (keepPrefix: number, keepSuffix: number) =>
      maskText(t, [at(t, card, "pii.card", "pii")], {
        plan: plan([{ match: "pii.*", type: "partial", keepPrefix, keepSuffix }]),
        fingerprintKey: key,
      }).text;
    expect(partial(0, 4)).toBe("card ************4242");
    // 16 characters: at most 5 are revealed, the prefix first.
    expect(partial(12, 12)).toBe(`card 42424${"*".repeat(11)}`);
  });

  it("fingerprints with a keyed HMAC and drops when asked", () => {
    const m = [at(text, token, "pii.email", "pii")];
    const fp = maskText(text, m, {
      plan: plan([{ match: "*", type: "fingerprint", keepPrefix: 0, keepSuffix: 0 }]),
      fingerprintKey: key,
    });
    expect(fp.text).toBe(`deploy with [HMAC:${hmac(token).slice(0, 16)}] please`);
    const dropped = maskText(text, m, {
      plan: plan([{ match: "*", type: "drop", keepPrefix: 0, keepSuffix: 0 }]),
      fingerprintKey: key,
    });
    expect([dropped.text, dropped.findings[0]?.action]).toEqual(["deploy with  please", "drop"]);
  });

  it("uses the first operator whose glob matches, and replaces when none does", () => {
    const email = "ana@example.org";
    const t = `${email} ${token}`;
    const result = maskText(
      t,
      [at(t, email, "pii.email", "pii"), at(t, token, "secret.x", "secret")],
      {
        plan: plan([
          { match: "pii.email", type: "drop", keepPrefix: 0, keepSuffix: 0 },
          { match: "pii.*", type: "fingerprint", keepPrefix: 0, keepSuffix: 0 },
        ]),
        fingerprintKey: key,
      },
    );
    expect(result.text).toBe(" [REDACTED:x]");
  });

  it("ignores detectors the plan does not select", () => {
    const result = maskText(text, [at(text, token, "pii.email", "pii")], {
      plan: plan([], ["secret.*"]),
      fingerprintKey: key,
    });
    expect(result).toEqual({ text, findings: [] });
  });

  it("merges overlapping matches so no part of either survives, named by the more specific", () => {
    const t = "key=abcdefghijklmnop0123 end";
    const result = maskText(
      t,
      [
        { start: 4, end: 20, detector: "pii.phone", version: 1, category: "pii" },
        { start: 8, end: 24, detector: "registered", version: 1, category: "registered" },
      ],
      { plan: defaultRedactPlan, fingerprintKey: key },
    );
    expect(result.text).toBe("key=[REDACTED:registered] end");
    expect(result.findings.map((f) => [f.utf16Start, f.utf16End, f.detector])).toEqual([
      [4, 24, "registered"],
    ]);
  });

  it("reports byte offsets, lines and columns past multi-byte text", () => {
    const t = `héllo 🔑\nsecond line ${token}`;
    const [finding] = maskText(t, [at(t, token, "secret.x", "secret")], {
      plan: defaultRedactPlan,
      fingerprintKey: key,
    }).findings;
    const start = t.indexOf(token);
    expect(finding).toMatchObject({
      utf16Start: start,
      byteStart: Buffer.byteLength(t.slice(0, start)),
      byteEnd: Buffer.byteLength(t.slice(0, start)) + token.length,
      line: 2,
      column: "second line ".length + 1,
    });
  });
});
