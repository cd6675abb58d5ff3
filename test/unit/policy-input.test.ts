import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CallerSchema } from "../../gen/vigil/v1/audit_pb.js";
import { ContentKind, PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import { AuthorizeRequestSchema } from "../../gen/vigil/v1/policy_service_pb.js";
import { InvalidInputError } from "../../server/src/errors.js";
import {
  buildAuthorizeInput,
  contentKindName,
  principalKindName,
} from "../../server/src/policy/policy-input.js";

const caller = create(CallerSchema, {
  id: "ci-gateway",
  method: "mtls",
  roles: ["authorizer"],
  groups: ["release"],
  peer: "10.1.2.3",
});
const now = new Date("2026-03-01T12:00:00.250Z");

/** Returns the InvalidInputError `build` throws; success fails the test. */
function invalidInput(build: () => unknown): InvalidInputError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error("expected an InvalidInputError");
}

describe("buildAuthorizeInput", () => {
  it("shapes a full request into the document Rego sees", () => {
    const request = create(AuthorizeRequestSchema, {
      principal: {
        id: "repo:acme/api:ref:refs/heads/main",
        kind: PrincipalKind.CI_JOB,
        groups: ["deployers"],
        attributes: { repository: "acme/api" },
      },
      action: "secret.read",
      resource: { kind: "secret", id: "prod/db", attributes: { environment: "production" } },
      secrets: [{ name: "DB_PASSWORD", store: "vault", labels: { tier: "1" } }],
      contents: [
        { kind: ContentKind.TOOL_CALL, name: "args", body: { case: "json", value: '{"n":[1,2]}' } },
        { kind: ContentKind.PROMPT, body: { case: "text", value: "hello" } },
      ],
      context: { ticket: "OPS-1" },
      approvalId: "appr-1",
      sessionId: "sess-1",
      requestId: "req-1",
    });
    expect(buildAuthorizeInput(request, caller, now)).toEqual({
      caller: {
        id: "ci-gateway",
        method: "mtls",
        roles: ["authorizer"],
        groups: ["release"],
        peer: "10.1.2.3",
      },
      principal: {
        id: "repo:acme/api:ref:refs/heads/main",
        kind: "ci_job",
        groups: ["deployers"],
        attributes: { repository: "acme/api" },
      },
      action: "secret.read",
      resource: { kind: "secret", id: "prod/db", attributes: { environment: "production" } },
      secrets: [{ name: "DB_PASSWORD", store: "vault", labels: { tier: "1" } }],
      contents: [
        { kind: "tool_call", name: "args", json: { n: [1, 2] } },
        { kind: "prompt", name: "", text: "hello" },
      ],
      context: { ticket: "OPS-1" },
      approval_id: "appr-1",
      session_id: "sess-1",
      request_id: "req-1",
      time: { unix_ms: 1772366400250, rfc3339: "2026-03-01T12:00:00.250Z" },
    });
  });

  it("turns absent messages and structs into empty values", () => {
    const input = buildAuthorizeInput(create(AuthorizeRequestSchema, {}), caller, now);
    expect(input.principal).toEqual({ id: "", kind: "unspecified", groups: [], attributes: {} });
    expect(input.resource).toEqual({ kind: "", id: "", attributes: {} });
    expect(input.context).toEqual({});
    expect([input.secrets, input.contents]).toEqual([[], []]);
  });

  it("gives an absent principal attributes struct as {}", () => {
    const request = create(AuthorizeRequestSchema, {
      principal: { id: "alice", kind: PrincipalKind.USER },
    });
    expect(buildAuthorizeInput(request, caller, now).principal.attributes).toEqual({});
  });

  it("takes the time fields from the now argument, not the clock", () => {
    const input = buildAuthorizeInput(create(AuthorizeRequestSchema, {}), caller, new Date(0));
    expect(input.time).toEqual({ unix_ms: 0, rfc3339: "1970-01-01T00:00:00.000Z" });
  });

  it("copies the caller so later changes to it do not leak into the input", () => {
    const mutable = create(CallerSchema, { id: "a", roles: ["r1"] });
    const input = buildAuthorizeInput(create(AuthorizeRequestSchema, {}), mutable, now);
    mutable.roles.push("r2");
    expect(input.caller.roles).toEqual(["r1"]);
  });

  it("rejects JSON content that does not parse, naming contents[N].json", () => {
    const request = create(AuthorizeRequestSchema, {
      contents: [
        { kind: ContentKind.PROMPT, body: { case: "text", value: "ok" } },
        { kind: ContentKind.HTTP_BODY, body: { case: "json", value: "{nope" } },
      ],
    });
    const error = invalidInput(() => buildAuthorizeInput(request, caller, now));
    expect(error.field).toBe("contents[1].json");
    expect(error.message).toBe("contents[1].json: is not valid JSON");
  });

  it("does not echo the unparseable JSON in the error", () => {
    const request = create(AuthorizeRequestSchema, {
      contents: [{ body: { case: "json", value: '{"token":"s3cr3t"' } }],
    });
    expect(invalidInput(() => buildAuthorizeInput(request, caller, now)).message).not.toContain(
      "s3cr3t",
    );
  });

  it("rejects content with neither text nor json, naming contents[N]", () => {
    const request = create(AuthorizeRequestSchema, { contents: [{ kind: ContentKind.LOG }] });
    const error = invalidInput(() => buildAuthorizeInput(request, caller, now));
    expect(error.field).toBe("contents[0]");
    expect(error.message).toBe("contents[0]: one of text or json is required");
  });
});

describe("enum names", () => {
  it.each([
    [PrincipalKind.UNSPECIFIED, "unspecified"],
    [PrincipalKind.USER, "user"],
    [PrincipalKind.SERVICE, "service"],
    [PrincipalKind.CI_JOB, "ci_job"],
    [PrincipalKind.AGENT, "agent"],
    [99 as PrincipalKind, "unspecified"],
  ])("names principal kind %i %s", (kind, name) => {
    expect(principalKindName(kind)).toBe(name);
  });

  it.each([
    [ContentKind.PROMPT, "prompt"],
    [ContentKind.HTTP_BODY, "http_body"],
    [ContentKind.TOOL_CALL, "tool_call"],
    [ContentKind.TOOL_RESULT, "tool_result"],
    [42 as ContentKind, "unspecified"],
  ])("names content kind %i %s", (kind, name) => {
    expect(contentKindName(kind)).toBe(name);
  });
});
