import { create } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { ApprovalService, ApprovalState } from "../../gen/vigil/v1/approval_pb.js";
import { AuditService } from "../../gen/vigil/v1/audit_pb.js";
import {
  ContentKind,
  ContentSchema,
  Decision,
  PrincipalSchema,
} from "../../gen/vigil/v1/common_pb.js";
import { PolicyAdminService } from "../../gen/vigil/v1/policy_admin_pb.js";
import {
  AuthorizeRequestSchema,
  PolicyService,
  RecordEventKind,
} from "../../gen/vigil/v1/policy_service_pb.js";
import { expectConnectError } from "../support/connect-error.js";
import { destructiveAgentCommand, offboardedCiJob, ordinaryRead } from "../support/requests.js";
import { transportCases } from "../support/transports.js";
import { removeDir, startVigil, type VigilProcess } from "../support/vigil-process.js";

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let vigil: VigilProcess;

beforeAll(async () => {
  vigil = await startVigil({
    policy: inject("defaultBundlePath"),
    args: ["--max-message-bytes", "65536"],
  });
});

afterAll(async () => {
  expect(await vigil.stop()).toBe(0);
  await removeDir(vigil.dataDir);
});

describe.each(transportCases)("over $name", (transportCase) => {
  const clients = () => {
    const transport = transportCase.create(vigil.baseUrl);
    return {
      policy: createClient(PolicyService, transport),
      health: createClient(Health, transport),
      audit: createClient(AuditService, transport),
      approvals: createClient(ApprovalService, transport),
      admin: createClient(PolicyAdminService, transport),
    };
  };

  it("allows an ordinary read, with a decision id and the bundle revision", async () => {
    const res = await clients().policy.authorize(ordinaryRead());
    expect(res.decision).toBe(Decision.ALLOW);
    expect(res.decisionId).toMatch(uuidV7);
    expect(res.reasons.map((r) => r.code)).toEqual(["allowed"]);
    expect(res.policy?.bundleRevision).toMatch(/^src-[0-9a-f]{12}$/);
    expect(res.policy?.entrypoint).toBe("vigil/authz/decision");
    expect(res.policy?.bundleDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(res.sequence).toBeGreaterThan(0n);
    expect(res.approval).toBeUndefined();
  });

  it("denies a CI job whose identity is offboarded", async () => {
    const res = await clients().policy.authorize(offboardedCiJob());
    expect(res.decision).toBe(Decision.DENY);
    expect(res.reasons).toHaveLength(1);
    expect(res.reasons[0]?.code).toBe("offboarded_identity");
    expect(res.reasons[0]?.message).toContain("repo:acme/legacy-billing");
  });

  it("requires approval for an agent's destructive production command", async () => {
    const res = await clients().policy.authorize(destructiveAgentCommand());
    expect(res.decision).toBe(Decision.REQUIRE_APPROVAL);
    expect(res.reasons[0]?.code).toBe("destructive_production_command");
    expect(res.approval?.state).toBe(ApprovalState.PENDING);
    expect(res.approval?.rules).toEqual([
      expect.objectContaining({ group: "sre-oncall", required: 1 }),
    ]);
    expect(res.approval?.decisionId).toBe(res.decisionId);
    const created = Number(res.approval?.createdAt?.seconds);
    expect(Number(res.approval?.expiresAt?.seconds) - created).toBe(900);
    expect(res.obligations.map((o) => o.kind.case)).toEqual(["record"]);
  });

  it("gives each decision the next sequence number", async () => {
    const { policy } = clients();
    const first = await policy.authorize(ordinaryRead());
    const second = await policy.authorize(ordinaryRead());
    expect(second.sequence).toBeGreaterThan(first.sequence);
    expect(second.decisionId).not.toBe(first.decisionId);
  });

  it("rejects a request without a principal kind, naming the field", async () => {
    const request = ordinaryRead();
    request.principal = create(PrincipalSchema, { id: "alice@example.com" });
    const error = await expectConnectError(clients().policy.authorize(request));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("principal.kind: is required (user, service, ci_job or agent)");
  });

  it("rejects missing action and resource with InvalidArgument", async () => {
    const { policy } = clients();
    const noAction = await expectConnectError(policy.authorize({ ...ordinaryRead(), action: "" }));
    expect([noAction.code, noAction.rawMessage]).toEqual([
      Code.InvalidArgument,
      "action: is required",
    ]);
    const noResource = await expectConnectError(
      policy.authorize(
        create(AuthorizeRequestSchema, { principal: ordinaryRead().principal, action: "x" }),
      ),
    );
    expect([noResource.code, noResource.rawMessage]).toEqual([
      Code.InvalidArgument,
      "resource: is required",
    ]);
  });

  it("rejects JSON content that does not parse, naming the content item", async () => {
    const request = ordinaryRead();
    request.contents.push(
      create(ContentSchema, {
        kind: ContentKind.HTTP_BODY,
        body: { case: "json", value: "{nope" },
      }),
    );
    const error = await expectConnectError(clients().policy.authorize(request));
    expect([error.code, error.rawMessage]).toEqual([
      Code.InvalidArgument,
      "contents[0].json: is not valid JSON",
    ]);
  });

  it("answers an oversized message with ResourceExhausted", async () => {
    const request = ordinaryRead();
    request.contents.push(
      create(ContentSchema, {
        kind: ContentKind.PROMPT,
        body: { case: "text", value: "x".repeat(100_000) },
      }),
    );
    const error = await expectConnectError(clients().policy.authorize(request));
    expect(error.code).toBe(Code.ResourceExhausted);
  });

  it("reports SERVING on the standard health check", async () => {
    const { health } = clients();
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const policy = await health.check({ service: "vigil.v1.PolicyService" });
    expect(policy.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it("reports the active bundle through PolicyAdminService", async () => {
    const status = await clients().admin.getPolicyStatus({});
    expect(status.active?.revision).toMatch(/^src-/);
    expect(status.active?.entrypoints).toContain("vigil/authz/decision");
    expect(status.lastAttempt?.ok).toBe(true);
  });

  it("puts a request needing approval in the reviewer inbox", async () => {
    const { policy, approvals } = clients();
    const res = await policy.authorize(destructiveAgentCommand());
    const inbox = await approvals.listApprovals({ group: "sre-oncall" });
    expect(inbox.approvals.map((a) => a.id)).toContain(res.approval?.id);
    const { approval } = await approvals.getApproval({ id: res.approval?.id ?? "" });
    expect(approval?.contentPreview).toContain("kubectl delete namespace payments");
  });

  it("masks a credential in a prompt through Redact", async () => {
    const token = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ".slice(0, 36)}`;
    const res = await clients().policy.redact({
      content: { kind: ContentKind.PROMPT, body: { case: "text", value: `token: ${token}` } },
    });
    expect(res.content?.body).toEqual({ case: "text", value: "token: [REDACTED:github-pat]" });
    expect(res.findings.map((f) => f.detectorId)).toEqual(["secret.github-pat"]);
  });

  it("records an event durably and returns its place in the chain", async () => {
    const { policy } = clients();
    const decision = await policy.authorize(ordinaryRead());
    const res = await policy.record({
      event: {
        kind: RecordEventKind.REQUEST,
        principal: ordinaryRead().principal,
        action: "llm.complete",
        decisionId: decision.decisionId,
        content: { kind: ContentKind.PROMPT, body: { case: "text", value: "hello" } },
      },
    });
    expect(res.recordId).toMatch(uuidV7);
    expect(res.sequence).toBe(decision.sequence + 1n);
    expect(res.chainHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("rejects a Record without an event kind", async () => {
    const error = await expectConnectError(
      clients().policy.record({ event: { principal: ordinaryRead().principal } }),
    );
    expect([error.code, error.rawMessage]).toEqual([
      Code.InvalidArgument,
      "event.kind: is required",
    ]);
  });

  it("records a session's events in order", async () => {
    const principal = ordinaryRead().principal;
    async function* events() {
      for (const kind of [RecordEventKind.COMMAND, RecordEventKind.OUTPUT, RecordEventKind.NOTE]) {
        yield { event: { kind, principal, sessionId: "session-1" } };
      }
    }
    const res = await clients().policy.recordStream(events());
    expect(res.eventsRecorded).toBe(3n);
    expect(res.lastSequence - res.firstSequence).toBe(2n);
    expect(res.recordIds).toHaveLength(3);
    expect(new Set(res.recordIds).size).toBe(3);
  });
});

describe("RedactStream, a bidirectional stream", () => {
  const token = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ".slice(0, 36)}`;
  async function* chunks() {
    // Over HTTP/1.1 the server refuses at the headers; sending the body only after that
    // answer has had time to arrive keeps the client from racing it into EPIPE under load.
    await new Promise((resolve) => setTimeout(resolve, 500));
    yield { frame: { case: "start" as const, value: { kind: ContentKind.COMPLETION } } };
    yield { frame: { case: "chunk" as const, value: `the key is ${token.slice(0, 20)}` } };
    yield { frame: { case: "chunk" as const, value: `${token.slice(20)}, done` } };
  }
  const drain = async (transportCase: (typeof transportCases)[number]) => {
    const policy = createClient(PolicyService, transportCase.create(vigil.baseUrl));
    const pieces: string[] = [];
    for await (const reply of policy.redactStream(chunks())) pieces.push(reply.chunk);
    return pieces;
  };

  it.each(transportCases.filter((c) => c.http2))(
    "masks a token split across chunks over $name",
    async (c) => {
      const pieces = await drain(c);
      expect(pieces.join("")).toBe("the key is [REDACTED:github-pat], done");
      expect(pieces.some((p) => p.includes(token.slice(0, 8)))).toBe(false);
    },
  );

  it.each(transportCases.filter((c) => !c.http2))(
    "is refused with HTTP 505 over $name",
    async (c) => {
      const error = await expectConnectError(drain(c));
      expect(error.rawMessage).toBe("HTTP 505");
    },
  );
});

describe("Redact's second look at what it found", () => {
  const pemBody = Array.from({ length: 8 }, (_, i) =>
    `MIIEvQIBADANBgkqhkiG9w0BAQEFAASC${String(i).repeat(4)}BKcwggSjAgEAAoIBAQC7`.slice(0, 64),
  ).join("\n");
  const privateKey = `-----BEGIN PRIVATE KEY-----\n${pemBody}\n-----END PRIVATE KEY-----`;
  const toModel = (id: string, value: string) => ({
    principal: ordinaryRead().principal,
    action: "llm.complete",
    resource: { kind: "llm", id },
    content: { kind: ContentKind.PROMPT, body: { case: "text" as const, value } },
  });
  const policy = () => createClient(PolicyService, createGrpcTransport({ baseUrl: vigil.baseUrl }));

  it("refuses a private key bound for an external model, naming the policy's reason", async () => {
    const error = await expectConnectError(
      policy().redact(toModel("openai:gpt-4o", `why does ssh reject this?\n${privateKey}`)),
    );
    expect([error.code, error.rawMessage]).toEqual([
      Code.PermissionDenied,
      "content refused by the redact plan: private_key_to_external_llm, redact_llm",
    ]);
  });

  it("masks the same key for a self-hosted model, which the policy allows", async () => {
    const res = await policy().redact(toModel("vllm:llama-3-70b", `key:\n${privateKey}`));
    expect(res.content?.body.value).toBe("key:\n[REDACTED:private-key]");
  });

  it("ends a stream bound for an external model when a private key shows up, emitting none of it", async () => {
    async function* frames() {
      yield {
        frame: {
          case: "start" as const,
          value: {
            kind: ContentKind.TOOL_RESULT,
            principal: ordinaryRead().principal,
            action: "llm.complete",
            resource: { kind: "llm", id: "openai:gpt-4o" },
          },
        },
      };
      yield { frame: { case: "chunk" as const, value: "$ cat ~/.ssh/id_rsa\n" } };
      yield { frame: { case: "chunk" as const, value: privateKey } };
      yield { frame: { case: "chunk" as const, value: "\n$ " } };
    }
    const pieces: string[] = [];
    const error = await expectConnectError(
      (async () => {
        for await (const reply of policy().redactStream(frames())) pieces.push(reply.chunk);
      })(),
    );
    expect(error.code).toBe(Code.PermissionDenied);
    expect(pieces.join("")).not.toContain("MIIEvQIBADAN");
  });
});
