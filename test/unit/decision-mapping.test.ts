import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { ApprovalSchema, ApprovalState } from "../../gen/vigil/v1/approval_pb.js";
import { ContentKind, Decision } from "../../gen/vigil/v1/common_pb.js";
import type { PolicyDecision } from "../../server/src/policy/policy-decision.js";
import {
  toAuthorizeResponse,
  toDecision,
  toObligations,
} from "../../server/src/rpc/decision-mapping.js";

const provenance = { revision: "src-abc", entrypoint: "vigil/authz/decision", digest: "d1" };
const decidedAt = new Date("2026-03-01T12:00:00.000Z");
const receipt = { sequence: 42n, hash: "f".repeat(64) };

function decision(overrides: Partial<PolicyDecision>): PolicyDecision {
  return {
    outcome: "allow",
    reasons: [{ code: "allowed", message: "ok" }],
    obligations: [],
    approval: undefined,
    cacheTtlSeconds: 0,
    provenance,
    ...overrides,
  };
}

describe("toObligations", () => {
  it("maps redact with its profile and content kind names", () => {
    const [obligation] = toObligations([
      { type: "redact", profile: "strict", kinds: ["prompt", "tool_call"] },
    ]);
    expect(obligation?.kind).toEqual({
      case: "redact",
      value: expect.objectContaining({
        profile: "strict",
        kinds: [ContentKind.PROMPT, ContentKind.TOOL_CALL],
      }),
    });
  });

  it("defaults the redact profile and maps unknown kind names to UNSPECIFIED", () => {
    const [obligation] = toObligations([{ type: "redact", kinds: ["hologram", 7] }]);
    expect(obligation?.kind).toEqual({
      case: "redact",
      value: expect.objectContaining({ profile: "default", kinds: [ContentKind.UNSPECIFIED] }),
    });
  });

  it("maps record, keeping session only when it is literally true", () => {
    const obligations = toObligations([
      { type: "record", session: true },
      { type: "record", session: "yes" },
    ]);
    expect(obligations.map((o) => o.kind.case === "record" && o.kind.value.session)).toEqual([
      true,
      false,
    ]);
  });

  it("maps strip_headers, dropping entries that are not strings", () => {
    const [obligation] = toObligations([
      { type: "strip_headers", headers: ["authorization", 3, "cookie"] },
    ]);
    expect(obligation?.kind).toEqual({
      case: "stripHeaders",
      value: expect.objectContaining({ headers: ["authorization", "cookie"] }),
    });
  });

  it("maps an unknown type to custom, carrying its other fields as params", () => {
    const [obligation] = toObligations([
      { type: "notify", channel: "#sec", urgent: true, nested: { n: 1 } },
    ]);
    expect(obligation?.kind).toEqual({
      case: "custom",
      value: expect.objectContaining({
        type: "notify",
        params: { channel: "#sec", urgent: true, nested: { n: 1 } },
      }),
    });
  });

  it("keeps the policy's order", () => {
    const cases = toObligations([{ type: "record" }, { type: "custom-x" }, { type: "redact" }]).map(
      (o) => o.kind.case,
    );
    expect(cases).toEqual(["record", "custom", "redact"]);
  });
});

describe("toDecision", () => {
  it.each([
    ["allow", Decision.ALLOW],
    ["deny", Decision.DENY],
    ["require_approval", Decision.REQUIRE_APPROVAL],
  ] as const)("maps %s", (outcome, wire) => {
    expect(toDecision(outcome)).toBe(wire);
  });
});

describe("toAuthorizeResponse", () => {
  it("fills the id, reasons, provenance, cache TTL, decided time and sequence", () => {
    const response = toAuthorizeResponse(
      decision({ cacheTtlSeconds: 90, obligations: [{ type: "record", session: true }] }),
      "dec-1",
      decidedAt,
      receipt,
    );
    expect(response.decisionId).toBe("dec-1");
    expect(response.decision).toBe(Decision.ALLOW);
    expect(response.reasons.map((r) => [r.code, r.message])).toEqual([["allowed", "ok"]]);
    expect(response.obligations.map((o) => o.kind.case)).toEqual(["record"]);
    expect(response.policy).toMatchObject({
      bundleRevision: "src-abc",
      entrypoint: "vigil/authz/decision",
      bundleDigest: "d1",
    });
    expect(response.cacheTtl).toMatchObject({ seconds: 90n, nanos: 0 });
    expect(response.decidedAt && timestampDate(response.decidedAt)).toEqual(decidedAt);
    expect(response.sequence).toBe(42n);
    expect(response.approval).toBeUndefined();
  });

  it("leaves approval empty for a deny", () => {
    const response = toAuthorizeResponse(
      decision({ outcome: "deny", reasons: [{ code: "no", message: "no" }] }),
      "dec-2",
      decidedAt,
      receipt,
    );
    expect(response.decision).toBe(Decision.DENY);
    expect(response.approval).toBeUndefined();
  });

  it("carries the approval it is given, for require_approval", () => {
    const approval = create(ApprovalSchema, { id: "ap-1", state: ApprovalState.PENDING });
    const response = toAuthorizeResponse(
      decision({ outcome: "require_approval", reasons: [{ code: "a", message: "destructive" }] }),
      "dec-3",
      decidedAt,
      receipt,
      approval,
    );
    expect(response.decision).toBe(Decision.REQUIRE_APPROVAL);
    expect(response.approval).toMatchObject({ id: "ap-1", state: ApprovalState.PENDING });
  });
});
