import { describe, expect, it } from "vitest";
import { defaultRedactPlan, parseRedactPlan } from "../../server/src/policy/redact-plan.js";
import { createTextRedactor } from "../../server/src/redact/redact-text.js";

const fingerprintKey = Buffer.from("redact-text-test-key");

/** A format-valid but obviously synthetic GitHub token (36 base62 characters after the prefix). */
const githubToken = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ".slice(0, 36)}`;
const registeredPassword = "s3rv1ce-Acc0unt-P4ss!";

const prompt = [
  "Please debug this deploy script for me.",
  `export GITHUB_TOKEN=${githubToken}`,
  `curl -H "Authorization: Basic ${Buffer.from(`deploy:${registeredPassword}`).toString("base64")}" https://ci.internal`,
  "Questions to jane.doe@example.org or card 4242 4242 4242 4242.",
].join("\n");

describe("createTextRedactor", () => {
  it("masks secrets, registered values in base64 and PII in one prompt, as the default plan says", () => {
    const redactor = createTextRedactor({
      plan: defaultRedactPlan,
      registered: [{ name: "deploy-password", value: registeredPassword }],
      fingerprintKey,
    });
    const { text, findings } = redactor.redact(prompt);
    expect(text).not.toContain(githubToken);
    expect(text).not.toContain(Buffer.from(`deploy:${registeredPassword}`).toString("base64"));
    expect(text).toContain("export GITHUB_TOKEN=[REDACTED:github-pat]");
    expect(text).toContain("card ");
    expect(text).toMatch(/\*{4,}4242\./);
    expect(findings.map((f) => f.detector).sort()).toEqual(
      ["pii.card", "pii.email", "registered", "secret.github-pat"].sort(),
    );
    expect(JSON.stringify(findings)).not.toContain(githubToken);
  });

  it("runs only the detectors the plan selects", () => {
    const plan = parseRedactPlan({
      detectors: ["secret.*"],
      operators: [{ match: "*", type: "replace" }],
    });
    const { text, findings } = createTextRedactor({ plan, fingerprintKey }).redact(prompt);
    // The Basic credentials are caught by format too, without the registered value.
    expect(findings.map((f) => f.detector)).toEqual([
      "secret.github-pat",
      "secret.authorization-header",
    ]);
    expect(text).toContain("jane.doe@example.org");
  });
});

describe("binary-looking input", () => {
  it("masks a token inside random bytes and leaves every other character as it was", () => {
    const redactor = createTextRedactor({ plan: defaultRedactPlan, fingerprintKey });
    // Deterministic bytes: NULs, control characters, high bytes and invalid UTF-8 sequences.
    const bytes = Buffer.from(
      Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919 + (i >> 3)) % 256),
    );
    for (const text of [bytes.toString("latin1"), bytes.toString("utf8")]) {
      const middle = text.length >> 1;
      const input = `${text.slice(0, middle)} ${githubToken} ${text.slice(middle)}`;
      const { text: masked, findings } = redactor.redact(input);
      expect(masked).not.toContain(githubToken);
      expect(findings.map((f) => f.detector)).toContain("secret.github-pat");
      const token = findings.find((f) => f.detector === "secret.github-pat");
      expect(input.slice(token?.utf16Start, token?.utf16End)).toBe(githubToken);
      expect(masked.startsWith(text.slice(0, middle))).toBe(true);
      expect(masked.endsWith(text.slice(middle))).toBe(true);
    }
  });
});
