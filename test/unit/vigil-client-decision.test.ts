import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  decisionFromBatchResult,
  decisionFromResponse,
  denialOf,
  noAnswerReason,
  unansweredDecision,
} from "../../clients/ts/src/decision.js";
import {
  toVigilError,
  VigilDeniedError,
  VigilUnavailableError,
} from "../../clients/ts/src/errors.js";
import { Decision } from "../../gen/vigil/v1/common_pb.js";
import {
  AuthorizeBatchResultSchema,
  AuthorizeResponseSchema,
} from "../../gen/vigil/v1/policy_service_pb.js";

const unavailable = (code: Code) =>
  new VigilUnavailableError("Authorize", new ConnectError("no answer", code));

describe("decisionFromResponse", () => {
  it("lets only an allow proceed", () => {
    const outcomes = [Decision.ALLOW, Decision.DENY, Decision.REQUIRE_APPROVAL].map((decision) => {
      const d = decisionFromResponse(create(AuthorizeResponseSchema, { decision }));
      return [d.outcome, d.allowed];
    });
    expect(outcomes).toEqual([
      ["allow", true],
      ["deny", false],
      ["require_approval", false],
    ]);
  });

  it("denies a decision value it does not know", () => {
    for (const decision of [Decision.UNSPECIFIED, 42 as Decision]) {
      const d = decisionFromResponse(create(AuthorizeResponseSchema, { decision }));
      expect([d.outcome, d.allowed]).toEqual(["deny", false]);
    }
  });
});

describe("unansweredDecision", () => {
  it("denies without an answer, naming why", () => {
    const d = unansweredDecision(unavailable(Code.Unavailable), false);
    expect([d.outcome, d.allowed, d.failedOpen, d.decisionId]).toEqual(["deny", false, false, ""]);
    expect(d.reasons.map((r) => r.code)).toEqual([noAnswerReason]);
    expect(d.reasons[0]?.message).toMatch(/^denied: vigil: Authorize got no usable answer/);
  });

  it("fails open only when the caller opted in and Vigil was unreachable", () => {
    expect(unansweredDecision(unavailable(Code.Unavailable), true).allowed).toBe(true);
    expect(unansweredDecision(unavailable(Code.DeadlineExceeded), true).allowed).toBe(true);
    for (const code of [Code.Internal, Code.PermissionDenied, Code.Unauthenticated]) {
      const d = unansweredDecision(unavailable(code), true);
      expect([d.allowed, d.failedOpen]).toEqual([false, false]);
    }
  });
});

describe("decisionFromBatchResult", () => {
  it("maps a decided result like a single answer", () => {
    const result = create(AuthorizeBatchResultSchema, {
      result: { case: "response", value: { decisionId: "d1", decision: Decision.ALLOW } },
    });
    const d = decisionFromBatchResult(result);
    expect([d.outcome, d.allowed, d.decisionId, d.error]).toEqual(["allow", true, "d1", undefined]);
  });

  it("denies a refused request with Vigil's code and message, never failing open", () => {
    const result = create(AuthorizeBatchResultSchema, {
      result: {
        case: "error",
        value: { code: "unavailable", message: "principal.kind: is required" },
      },
    });
    const d = decisionFromBatchResult(result);
    expect([d.outcome, d.allowed, d.failedOpen, d.decisionId]).toEqual(["deny", false, false, ""]);
    expect([d.error?.operation, d.error?.code]).toEqual(["AuthorizeBatch", Code.Unavailable]);
    expect(d.error?.message).toContain("principal.kind: is required");
    expect(d.reasons.map((r) => r.code)).toEqual([noAnswerReason]);
  });

  it("denies a request the server sent no result for", () => {
    for (const result of [undefined, create(AuthorizeBatchResultSchema)]) {
      const d = decisionFromBatchResult(result);
      expect([d.outcome, d.allowed, d.error?.code]).toEqual(["deny", false, Code.Internal]);
    }
  });
});

describe("errors", () => {
  it("turns PermissionDenied into a denial and anything else into no usable answer", () => {
    const refused = toVigilError(
      new ConnectError("content refused", Code.PermissionDenied),
      "Redact",
    );
    expect(refused).toBeInstanceOf(VigilDeniedError);
    expect((refused as VigilDeniedError).reasons.map((r) => r.code)).toEqual(["permission_denied"]);
    const failed = toVigilError(new ConnectError("boom", Code.Internal), "Record");
    expect(failed).toBeInstanceOf(VigilUnavailableError);
    expect([failed.name, (failed as VigilUnavailableError).unreachable]).toEqual([
      "VigilUnavailableError",
      false,
    ]);
    expect(failed.cause).toBeInstanceOf(ConnectError);
  });

  it("names the decision and the reason codes of a denial, not the reason texts", () => {
    const d = decisionFromResponse(
      create(AuthorizeResponseSchema, {
        decisionId: "0190e8a0-0000-7000-8000-000000000001",
        decision: Decision.DENY,
        reasons: [{ code: "offboarded_identity", message: "identity x is offboarded" }],
      }),
    );
    const error = denialOf(d);
    expect([error.name, error.message]).toEqual([
      "VigilDeniedError",
      "vigil: deny (decision 0190e8a0-0000-7000-8000-000000000001): offboarded_identity",
    ]);
  });
});
