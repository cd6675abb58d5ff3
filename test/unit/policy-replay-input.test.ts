import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  type AuditRecord,
  AuditRecordSchema,
  CallerSchema,
  RecordedContentSchema,
} from "../../gen/vigil/v1/audit_pb.js";
import { ContentKind, PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import {
  type AuthorizeRequest,
  AuthorizeRequestSchema,
} from "../../gen/vigil/v1/policy_service_pb.js";
import { replayInput } from "../../server/src/cli/policy-replay-input.js";
import type { PolicyDecision } from "../../server/src/policy/policy-decision.js";
import { buildAuthorizeInput } from "../../server/src/policy/policy-input.js";
import { decisionRecord } from "../../server/src/rpc/audit-records.js";

const decidedAt = new Date("2026-03-01T12:34:56.789Z");
const caller = create(CallerSchema, {
  id: "spiffe://acme/ci-gateway",
  method: "mtls",
  roles: ["authorizer"],
  peer: "10.0.0.7:51234",
});
const decision: PolicyDecision = {
  outcome: "require_approval",
  reasons: [{ code: "destructive_production_command", message: "needs a reviewer" }],
  obligations: [],
  approval: {
    rules: [{ group: "sre-oncall", required: 1 }],
    ttlSeconds: 900,
    grantTtlSeconds: 900,
    uses: 1,
    bypassGroups: [],
  },
  cacheTtlSeconds: 0,
  provenance: { revision: "src-abc", entrypoint: "vigil/authz/decision", digest: "d1" },
};

/** An agent's request with every field the input document has, content of both kinds included. */
function fullRequest(): AuthorizeRequest {
  return create(AuthorizeRequestSchema, {
    principal: {
      id: "agent:deploy-bot",
      kind: PrincipalKind.AGENT,
      groups: ["agents", "deployers"],
      attributes: { team: "platform", tier: 2, on_call: true },
    },
    action: "tool.call",
    resource: {
      kind: "k8s-cluster",
      id: "main",
      attributes: { environment: "production", regions: ["eu-west-1", "us-east-1"] },
    },
    secrets: [
      { name: "KUBECONFIG", store: "vault", labels: { owner: "sre", rotation: "30d" } },
      { name: "REGISTRY_TOKEN", store: "github-actions" },
    ],
    contents: [
      {
        kind: ContentKind.COMMAND,
        name: "argv",
        body: { case: "text", value: "kubectl delete ns payments" },
      },
      {
        kind: ContentKind.TOOL_CALL,
        name: "call",
        body: { case: "json", value: '{"tool": "kubectl", "args": ["delete"]}' },
      },
    ],
    context: { ticket: "CHG-1234", client_ip: "203.0.113.9", change_window: { open: true } },
    approvalId: "apr-7",
    sessionId: "run-42",
    requestId: "req-99",
  });
}

/** The record as the server stores it, after a trip over the wire as ExportRecords sends it. */
function exportedRecord(request: AuthorizeRequest): AuditRecord {
  const record = decisionRecord(
    request,
    decision,
    caller,
    "0190f0e0-0000-7000-8000-000000000001",
    decidedAt,
  );
  return fromBinary(AuditRecordSchema, toBinary(AuditRecordSchema, record));
}

describe("replayInput", () => {
  it("rebuilds the input buildAuthorizeInput made for the original request, contents without their bodies", () => {
    const request = fullRequest();
    const live = buildAuthorizeInput(request, caller, decidedAt);

    const { input } = replayInput(exportedRecord(request));

    expect(input).toEqual({
      ...live,
      contents: [
        { kind: "command", name: "argv" },
        { kind: "tool_call", name: "call" },
      ],
    });
    // The same document, key for key, as Rego would see it once serialised.
    expect(JSON.parse(JSON.stringify(input))).toEqual(
      JSON.parse(JSON.stringify({ ...live, contents: input.contents })),
    );
  });

  it("replays at the record's time, not the time of the replay", () => {
    const { input } = replayInput(exportedRecord(fullRequest()));
    expect(input.time).toEqual({
      unix_ms: decidedAt.getTime(),
      rfc3339: "2026-03-01T12:34:56.789Z",
    });
  });

  it("counts the content items the candidate cannot see", () => {
    expect(replayInput(exportedRecord(fullRequest())).contentNotRecorded).toBe(2);
  });

  it("shapes a minimal request's absent parts as {} and [], exactly as the server did", () => {
    const request = create(AuthorizeRequestSchema, {
      principal: { id: "alice@example.com", kind: PrincipalKind.USER },
      action: "secret.read",
      resource: { kind: "secret", id: "staging/db-password" },
    });
    const replayed = replayInput(exportedRecord(request));
    expect(replayed.input).toEqual(buildAuthorizeInput(request, caller, decidedAt));
    expect(replayed.input.context).toEqual({});
    expect(replayed.input.principal.attributes).toEqual({});
    expect(replayed.contentNotRecorded).toBe(0);
  });

  it("passes content a record did store, and counts only the content it did not", () => {
    const record = exportedRecord(fullRequest());
    record.contents = [
      create(RecordedContentSchema, {
        kind: ContentKind.LOG,
        name: "stdout",
        body: { case: "text", value: "[REDACTED:aws-access-key]" },
        stored: true,
      }),
      create(RecordedContentSchema, {
        kind: ContentKind.TOOL_RESULT,
        name: "result",
        body: { case: "json", value: '{"ok": true}' },
        stored: true,
      }),
      create(RecordedContentSchema, {
        kind: ContentKind.PROMPT,
        name: "messages[0]",
        stored: false,
      }),
    ];
    const replayed = replayInput(record);
    expect(replayed.input.contents).toEqual([
      { kind: "log", name: "stdout", text: "[REDACTED:aws-access-key]" },
      { kind: "tool_result", name: "result", json: { ok: true } },
      { kind: "prompt", name: "messages[0]" },
    ]);
    expect(replayed.contentNotRecorded).toBe(1);
  });

  it("still yields a full document for a record without caller or time", () => {
    const { input } = replayInput(create(AuditRecordSchema, { action: "secret.read" }));
    expect(input.caller).toEqual({ id: "", method: "", roles: [], groups: [], peer: "" });
    expect(input.time.unix_ms).toBe(0);
    expect(input.principal).toEqual({ id: "", kind: "unspecified", groups: [], attributes: {} });
  });
});
