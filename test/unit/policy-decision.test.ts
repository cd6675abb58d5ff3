import { describe, expect, it } from "vitest";
import {
  type PolicyDecision,
  PolicyOutputError,
  parseDecision,
  systemDeny,
} from "../../server/src/policy/policy-decision.js";

const provenance: PolicyDecision["provenance"] = {
  revision: "rev-1",
  entrypoint: "vigil/authz/decision",
  digest: "ab".repeat(32),
};

/** Returns the PolicyOutputError parsing `result` throws; success fails the test. */
function outputError(result: unknown): PolicyOutputError {
  try {
    parseDecision(result, provenance);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyOutputError);
    return error as PolicyOutputError;
  }
  throw new Error("expected a PolicyOutputError");
}

describe("parseDecision", () => {
  it("parses an allow with reasons, obligations and a cache TTL", () => {
    const decision = parseDecision(
      {
        decision: "allow",
        reasons: [{ code: "allowed", message: "ok" }],
        obligations: [{ type: "redact", profile: "default", kinds: ["prompt"] }],
        cache_ttl_seconds: 30,
      },
      provenance,
    );
    expect(decision).toEqual({
      outcome: "allow",
      reasons: [{ code: "allowed", message: "ok" }],
      obligations: [{ type: "redact", profile: "default", kinds: ["prompt"] }],
      approval: undefined,
      cacheTtlSeconds: 30,
      provenance,
    });
  });

  it("allows an allow without reasons and defaults the cache TTL to 0", () => {
    const decision = parseDecision({ decision: "allow" }, provenance);
    expect([decision.reasons, decision.obligations, decision.cacheTtlSeconds]).toEqual([[], [], 0]);
  });

  it("parses a deny with its reasons", () => {
    const decision = parseDecision(
      { decision: "deny", reasons: [{ code: "offboarded_identity", message: "gone" }] },
      provenance,
    );
    expect(decision.outcome).toBe("deny");
    expect(decision.reasons).toEqual([{ code: "offboarded_identity", message: "gone" }]);
  });

  it("accepts a string reason as a message with code policy", () => {
    const decision = parseDecision({ decision: "deny", reasons: ["not today"] }, provenance);
    expect(decision.reasons).toEqual([{ code: "policy", message: "not today" }]);
  });

  it("accepts a reason without a message", () => {
    const decision = parseDecision({ decision: "deny", reasons: [{ code: "x" }] }, provenance);
    expect(decision.reasons).toEqual([{ code: "x", message: "" }]);
  });

  it("gives a deny without reasons a generated one", () => {
    expect(parseDecision({ decision: "deny" }, provenance).reasons).toEqual([
      { code: "policy", message: "policy returned deny without a reason" },
    ]);
  });

  it("parses require_approval with its approval rules and TTL", () => {
    const decision = parseDecision(
      {
        decision: "require_approval",
        reasons: [{ code: "destructive", message: "needs a human" }],
        approval: { rules: [{ group: "sre-oncall", required: 2 }], ttl_seconds: 900 },
      },
      provenance,
    );
    expect(decision.outcome).toBe("require_approval");
    expect(decision.approval).toEqual({
      rules: [{ group: "sre-oncall", required: 2 }],
      ttlSeconds: 900,
      grantTtlSeconds: 900,
      uses: 1,
      bypassGroups: [],
    });
  });

  it("reads grant TTL, uses and bypass groups, and refuses a malformed bypass group", () => {
    const decision = parseDecision(
      {
        decision: "require_approval",
        approval: {
          rules: [{ group: "sre-oncall" }],
          ttl_seconds: 60,
          grant_ttl_seconds: 300,
          uses: 3,
          bypass_groups: ["security-leads"],
        },
      },
      provenance,
    );
    expect(decision.approval).toMatchObject({
      ttlSeconds: 60,
      grantTtlSeconds: 300,
      uses: 3,
      bypassGroups: ["security-leads"],
    });
    expect(() =>
      parseDecision(
        { decision: "require_approval", approval: { bypass_groups: [""] } },
        provenance,
      ),
    ).toThrow("approval.bypass_groups[0] must be a non-empty string");
  });

  it("defaults the approval TTL to 3600 s and each rule to one approver", () => {
    const decision = parseDecision(
      { decision: "require_approval", approval: { rules: [{ group: "security" }] } },
      provenance,
    );
    expect(decision.approval).toEqual({
      rules: [{ group: "security", required: 1 }],
      ttlSeconds: 3600,
      grantTtlSeconds: 3600,
      uses: 1,
      bypassGroups: [],
    });
  });

  it("defaults a missing approval to no rules and 3600 s", () => {
    const decision = parseDecision({ decision: "require_approval" }, provenance);
    expect(decision.approval).toEqual({
      rules: [],
      ttlSeconds: 3600,
      grantTtlSeconds: 3600,
      uses: 1,
      bypassGroups: [],
    });
    expect(decision.reasons[0]?.message).toBe("policy returned require_approval without a reason");
  });

  it("ignores an approval attached to a decision that is not require_approval", () => {
    const decision = parseDecision(
      { decision: "allow", approval: { rules: [{ group: "security" }] } },
      provenance,
    );
    expect(decision.approval).toBeUndefined();
  });

  it.each([
    ["a string", "allow"],
    ["null", null],
    ["a list", [{ decision: "allow" }]],
  ])("rejects a result that is %s", (_, result) => {
    expect(outputError(result).message).toBe("decision is not an object");
  });

  it("rejects an unknown decision value, naming the field and the value", () => {
    expect(outputError({ decision: "maybe" }).message).toBe(
      '"decision" must be one of allow, deny, require_approval; got "maybe"',
    );
  });

  it("rejects a missing decision", () => {
    expect(outputError({ reasons: [] }).message).toContain('"decision"');
  });

  it("rejects reasons that are not a list", () => {
    expect(outputError({ decision: "deny", reasons: "nope" }).message).toBe(
      '"reasons" must be a list',
    );
  });

  it("rejects a reason without a code, naming its index", () => {
    expect(outputError({ decision: "deny", reasons: ["ok", { message: "m" }] }).message).toBe(
      'reasons[1] must be a string or {"code", "message"}',
    );
  });

  it("rejects obligations that are not a list", () => {
    expect(outputError({ decision: "allow", obligations: { type: "record" } }).message).toBe(
      '"obligations" must be a list',
    );
  });

  it.each([
    ["without a type", { profile: "default" }],
    ["with an empty type", { type: "" }],
    ["that is a string", "redact"],
  ])("rejects an obligation %s, naming its index", (_, obligation) => {
    expect(outputError({ decision: "allow", obligations: [obligation] }).message).toBe(
      'obligations[0] must be an object with a string "type"',
    );
  });

  it.each([[-1], ["60"], [Number.POSITIVE_INFINITY]])("rejects cache_ttl_seconds %s", (ttl) => {
    expect(outputError({ decision: "allow", cache_ttl_seconds: ttl }).message).toBe(
      '"cache_ttl_seconds" must be a non-negative number',
    );
  });

  it("rejects an approval that is not an object", () => {
    expect(outputError({ decision: "require_approval", approval: "sre" }).message).toBe(
      '"approval" must be an object',
    );
  });

  it("rejects approval rules that are not a list", () => {
    expect(
      outputError({ decision: "require_approval", approval: { rules: { group: "sre" } } }).message,
    ).toBe('"approval.rules" must be a list');
  });

  it("rejects an approval rule without a group, naming its index", () => {
    expect(
      outputError({ decision: "require_approval", approval: { rules: [{ required: 1 }] } }).message,
    ).toBe('approval.rules[0] must have a string "group"');
  });

  it("rejects a negative number of required approvers", () => {
    const result = {
      decision: "require_approval",
      approval: { rules: [{ group: "sre", required: -1 }] },
    };
    expect(outputError(result).message).toBe(
      '"approval.rules[0].required" must be a whole number from 1 to 4294967295',
    );
  });

  it("rejects a negative approval TTL", () => {
    const result = { decision: "require_approval", approval: { rules: [], ttl_seconds: -5 } };
    expect(outputError(result).message).toBe(
      '"approval.ttl_seconds" must be a non-negative number',
    );
  });

  it("rejects a fractional number of required approvers, which the wire type cannot carry", () => {
    // ApprovalRule.required is a uint32; letting 1.5 through fails later, at serialisation.
    const result = {
      decision: "require_approval",
      approval: { rules: [{ group: "sre", required: 1.5 }] },
    };
    expect(outputError(result).message).toBe(
      '"approval.rules[0].required" must be a whole number from 1 to 4294967295',
    );
  });
});

describe("systemDeny", () => {
  it("builds a deny with one reason, no obligations and no caching", () => {
    expect(systemDeny("no_policy", "no bundle", provenance)).toEqual({
      outcome: "deny",
      reasons: [{ code: "no_policy", message: "no bundle" }],
      obligations: [],
      approval: undefined,
      cacheTtlSeconds: 0,
      provenance,
    });
  });
});
