import { describe, expect, it } from "vitest";
import { PolicyOutputError } from "../../server/src/policy/policy-decision.js";
import {
  blockingPlan,
  defaultRedactPlan,
  parseRedactPlan,
} from "../../server/src/policy/redact-plan.js";

describe("parseRedactPlan", () => {
  it("reads a full plan, snake_case fields to camelCase, with defaults for the rest", () => {
    expect(
      parseRedactPlan({
        detectors: ["registered", "secret.*"],
        operators: [
          { match: "pii.card", type: "partial", keep_suffix: 4 },
          { match: "*", type: "replace" },
        ],
        exclude_fields: ["/model"],
        block: false,
        reasons: [{ code: "prompt_to_llm", message: "masking a prompt" }],
      }),
    ).toEqual({
      detectors: ["registered", "secret.*"],
      operators: [
        { match: "pii.card", type: "partial", keepPrefix: 0, keepSuffix: 4 },
        { match: "*", type: "replace", keepPrefix: 0, keepSuffix: 0 },
      ],
      excludeFields: ["/model"],
      block: false,
      reasons: [{ code: "prompt_to_llm", message: "masking a prompt" }],
    });
  });

  it("treats an empty object as a plan that detects nothing", () => {
    expect(parseRedactPlan({})).toEqual({
      detectors: [],
      operators: [],
      excludeFields: [],
      block: false,
      reasons: [],
    });
  });

  it.each([
    [[], "redact plan is not an object"],
    [{ detectors: "secret.*" }, '"detectors" must be a list'],
    [{ detectors: [1] }, "detectors[0] must be a string"],
    [
      { operators: [{ type: "replace" }] },
      'operators[0] must be an object with a non-empty string "match"',
    ],
    [
      { operators: [{ match: "*", type: "hash" }] },
      'operators[0].type must be one of replace, partial, fingerprint, drop; got "hash"',
    ],
    [
      { operators: [{ match: "*", type: "partial", keep_prefix: -1 }] },
      '"operators[0].keep_prefix" must be a whole number from 0 to 64',
    ],
    [{ exclude_fields: ["model"] }, 'exclude_fields[0] must be a JSON Pointer starting with "/"'],
    [{ block: "yes" }, '"block" must be a boolean'],
    [{ reasons: ["because"] }, 'reasons[0] must be {"code", "message"}'],
  ])("rejects %j: %s", (plan, message) => {
    expect(() => parseRedactPlan(plan)).toThrow(new PolicyOutputError(message));
  });
});

describe("built-in plans", () => {
  it("masks with every detector by default and keeps the last four characters of PII", () => {
    expect(defaultRedactPlan.detectors).toEqual(["registered", "secret.*", "pii.*", "custom.*"]);
    expect(defaultRedactPlan.operators[0]).toEqual({
      match: "pii.*",
      type: "partial",
      keepPrefix: 0,
      keepSuffix: 4,
    });
    expect(defaultRedactPlan.block).toBe(false);
  });

  it("blocks with the reason when the policy failed", () => {
    expect(blockingPlan("policy_error", "redact plan evaluation failed")).toMatchObject({
      block: true,
      reasons: [{ code: "policy_error", message: "redact plan evaluation failed" }],
    });
  });
});
