import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../server/src/errors.js";
import { defaultRedactPlan, parseRedactPlan } from "../../server/src/policy/redact-plan.js";
import { maskJson } from "../../server/src/redact/mask-json.js";
import { createTextRedactor } from "../../server/src/redact/redact-text.js";

const fingerprintKey = Buffer.from("mask-json-test-key");
const redactor = createTextRedactor({ plan: defaultRedactPlan, fingerprintKey });
/** A format-valid, obviously synthetic GitHub token. */
const token = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ".slice(0, 36)}`;

describe("maskJson", () => {
  it("masks inside string values and keeps the document valid JSON with its structure", () => {
    const chat = {
      model: "gpt-x",
      messages: [
        { role: "user", content: `my token is ${token}, keep it "safe"\nthanks` },
        { role: "assistant", content: "ok" },
      ],
      temperature: 0.2,
    };
    const { json, findings } = maskJson(JSON.stringify(chat), "content.json", { redactor });
    const masked = JSON.parse(json);
    expect(masked).toEqual({
      ...chat,
      messages: [
        { role: "user", content: 'my token is [REDACTED:github-pat], keep it "safe"\nthanks' },
        { role: "assistant", content: "ok" },
      ],
    });
    expect(findings).toMatchObject([
      { detector: "secret.github-pat", jsonPointer: "/messages/0/content", utf16Start: 12 },
    ]);
    expect(json).not.toContain(token);
  });

  it("replaces the whole value of sensitive keys, even values no detector would flag", () => {
    const config = {
      db: { host: "db.internal", password: "hunter2", port: 5432 },
      client_secret: 12345678,
      Authorization: "Bearer abc",
      token: true,
      credentials: { user: "svc" },
    };
    const { json, findings } = maskJson(JSON.stringify(config), "content.json", { redactor });
    expect(JSON.parse(json)).toEqual({
      db: { host: "db.internal", password: "[REDACTED:sensitive-key]", port: 5432 },
      client_secret: "[REDACTED:sensitive-key]",
      Authorization: "[REDACTED:sensitive-key]",
      token: true,
      credentials: { user: "svc" },
    });
    expect(findings.map((f) => f.jsonPointer)).toEqual([
      "/db/password",
      "/client_secret",
      "/Authorization",
    ]);
  });

  it("leaves excluded fields unscanned and escapes pointer tokens", () => {
    const plan = parseRedactPlan({
      detectors: ["secret.*"],
      operators: [{ match: "*", type: "replace" }],
      exclude_fields: ["/trace_id"],
    });
    const doc = { trace_id: token, "a/b~c": token };
    const { json, findings } = maskJson(JSON.stringify(doc), "content.json", {
      redactor: createTextRedactor({ plan, fingerprintKey }),
      excludeFields: plan.excludeFields,
    });
    expect(JSON.parse(json)).toEqual({ trace_id: token, "a/b~c": "[REDACTED:github-pat]" });
    expect(findings.map((f) => f.jsonPointer)).toEqual(["/a~1b~0c"]);
  });

  it("refuses text that is not JSON, naming the field", () => {
    expect(() => maskJson("{nope", "content.json", { redactor })).toThrow(
      new InvalidInputError("content.json", "is not valid JSON"),
    );
  });

  it("refuses documents nested deeper than the limit instead of walking them", () => {
    const deep = `${"[".repeat(70)}1${"]".repeat(70)}`;
    expect(() => maskJson(deep, "content.json", { redactor, maxDepth: 64 })).toThrow(
      new InvalidInputError("content.json", "nests deeper than 64 levels"),
    );
    const absurd = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
    expect(() => maskJson(absurd, "content.json", { redactor })).toThrow(InvalidInputError);
  });
});
