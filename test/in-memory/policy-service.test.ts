import { join } from "node:path";
import { create, type MessageInitShape, toJson, toJsonString } from "@bufbuild/protobuf";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ApprovalState } from "../../gen/vigil/v1/approval_pb.js";
import { AuditRecordKind, AuditRecordSchema } from "../../gen/vigil/v1/audit_pb.js";
import {
  ContentKind,
  ContentSchema,
  Decision,
  PrincipalKind,
  ResourceSchema,
} from "../../gen/vigil/v1/common_pb.js";
import { PolicyAdminService } from "../../gen/vigil/v1/policy_admin_pb.js";
import {
  type AuthorizeRequest,
  PolicyService,
  type RecordEvent,
  RecordEventKind,
  RecordEventSchema,
  RedactResponseSchema,
} from "../../gen/vigil/v1/policy_service_pb.js";
import { type ApprovalDesk, openApprovalDesk } from "../../server/src/approvals/approval-desk.js";
import { loadAuditSigner } from "../../server/src/audit/audit-signer.js";
import type { AuditStore } from "../../server/src/audit/audit-store.js";
import { genesisHash } from "../../server/src/audit/hash-chain.js";
import { openLmdbAuditStore } from "../../server/src/audit/lmdb-audit-store.js";
import { createHealthStatuses } from "../../server/src/health/health-statuses.js";
import type { PolicyBundle } from "../../server/src/policy/bundle-reader.js";
import { createPolicyEngine } from "../../server/src/policy/policy-engine.js";
import { createPolicyEvaluator } from "../../server/src/policy/policy-evaluator.js";
import { createContentRedactor } from "../../server/src/redact/content-redactor.js";
import { createErrorMappingInterceptor } from "../../server/src/rpc/error-mapping.js";
import { createRoutes } from "../../server/src/rpc/routes.js";
import { expectConnectError } from "../support/connect-error.js";
import { captureLogs } from "../support/log-capture.js";
import { defaultBundle } from "../support/policy-fixtures.js";
import { destructiveAgentCommand, offboardedCiJob, ordinaryRead } from "../support/requests.js";
import { removeDir, tempDir } from "../support/vigil-process.js";

let bundle: PolicyBundle;
const stores: AuditStore[] = [];
const desks: ApprovalDesk[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  bundle = await defaultBundle();
});

afterEach(async () => {
  await Promise.all(desks.splice(0).map((d) => d.close().catch(() => undefined)));
  await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
  await Promise.all(dirs.splice(0).map(removeDir));
});

/**
 * The real routes over an in-process transport: a real engine (with the default bundle unless
 * `withPolicy` is false), a real LMDB store in a temp dir, and the error-mapping interceptor.
 */
async function startService({ withPolicy = true } = {}) {
  const dir = await tempDir("vigil-inmem-");
  dirs.push(dir);
  const store = await openLmdbAuditStore({ path: dir });
  stores.push(store);
  const logs = captureLogs();
  const engine = createPolicyEngine({ logger: logs.logger, evaluator: createPolicyEvaluator() });
  if (withPolicy) await engine.load(bundle);
  const approvalDesk = await openApprovalDesk({
    path: join(dir, "approvals"),
    audit: store,
    logger: logs.logger,
    sweepIntervalMs: 60_000,
  });
  desks.push(approvalDesk);
  const routes = createRoutes({
    engine,
    redactor: createContentRedactor({ engine, fingerprintKey: Buffer.from("in-memory-test-key") }),
    approvals: approvalDesk.workflow,
    watchers: approvalDesk.watchers,
    store,
    signer: await loadAuditSigner(join(dir, "keys", "audit-signing.key")),
    health: createHealthStatuses(),
    logger: logs.logger,
  });
  const transport = createRouterTransport(routes, {
    router: { interceptors: [createErrorMappingInterceptor(logs.logger)] },
  });
  return {
    client: createClient(PolicyService, transport),
    admin: createClient(PolicyAdminService, transport),
    store,
    logs,
  };
}

function event(init: MessageInitShape<typeof RecordEventSchema> = {}): RecordEvent {
  return create(RecordEventSchema, {
    kind: RecordEventKind.COMMAND,
    principal: ordinaryRead().principal,
    sessionId: "session-1",
    ...init,
  });
}

function eventWithoutPrincipal(): RecordEvent {
  const withoutPrincipal = event();
  withoutPrincipal.principal = undefined;
  return withoutPrincipal;
}

async function* stream<T>(items: T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}

describe("Authorize", () => {
  it("allows an ordinary read, with a reason and the bundle's provenance", async () => {
    const { client } = await startService();
    const res = await client.authorize(ordinaryRead());
    expect(res.decision).toBe(Decision.ALLOW);
    expect(res.reasons.map((r) => r.code)).toEqual(["allowed"]);
    expect(res.reasons[0]?.message).toBe("secret.read on secret staging/db-password is allowed");
    expect(res.policy).toMatchObject({
      bundleRevision: bundle.revision,
      entrypoint: "vigil/authz/decision",
      bundleDigest: bundle.digest,
    });
    expect(res.sequence).toBe(1n);
    expect(res.approval).toBeUndefined();
  });

  it("denies a CI job whose identity is offboarded", async () => {
    const { client } = await startService();
    const res = await client.authorize(offboardedCiJob());
    expect(res.decision).toBe(Decision.DENY);
    expect(res.reasons.map((r) => r.code)).toEqual(["offboarded_identity"]);
    expect(res.policy?.bundleRevision).toBe(bundle.revision);
  });

  it("requires approval for an agent's destructive production command", async () => {
    const { client } = await startService();
    const res = await client.authorize(destructiveAgentCommand());
    expect(res.decision).toBe(Decision.REQUIRE_APPROVAL);
    expect(res.reasons.map((r) => r.code)).toEqual(["destructive_production_command"]);
    expect(res.approval).toMatchObject({
      state: ApprovalState.PENDING,
      decisionId: res.decisionId,
      policyRevision: bundle.revision,
      rules: [expect.objectContaining({ group: "sre-oncall", required: 1 })],
    });
    expect(res.obligations.map((o) => o.kind.case)).toEqual(["record"]);
  });

  it("carries the redact obligation the policy attaches to LLM prompts and completions", async () => {
    const { client } = await startService();
    const request = ordinaryRead();
    request.action = "llm.complete";
    request.resource = create(ResourceSchema, { kind: "llm", id: "openai:gpt-4o" });
    const res = await client.authorize(request);
    expect(res.obligations.map((o) => o.kind)).toEqual([
      {
        case: "redact",
        value: expect.objectContaining({
          profile: "default",
          kinds: [ContentKind.PROMPT, ContentKind.COMPLETION],
        }),
      },
    ]);
  });

  it("stores the decision under the same id and sequence, as a DECISION record", async () => {
    const { client, store } = await startService();
    const res = await client.authorize(offboardedCiJob());
    const record = await store.get(res.decisionId);
    expect(record).toMatchObject({
      id: res.decisionId,
      sequence: res.sequence,
      kind: AuditRecordKind.DECISION,
      decision: Decision.DENY,
      action: "secret.read",
      prevHash: genesisHash,
      hash: store.head().hash,
    });
    expect(record?.principal?.id).toBe("repo:acme/legacy-billing:ref:refs/heads/main");
    expect(record?.reasons.map((r) => r.code)).toEqual(["offboarded_identity"]);
    expect(record?.policy?.bundleDigest).toBe(bundle.digest);
    expect(record?.caller?.id).toBe("anonymous");
  });

  it("gives consecutive decisions consecutive sequences", async () => {
    const { client } = await startService();
    const first = await client.authorize(ordinaryRead());
    const second = await client.authorize(ordinaryRead());
    expect([first.sequence, second.sequence]).toEqual([1n, 2n]);
    expect(second.decisionId).not.toBe(first.decisionId);
  });

  it("stores content as metadata only, never the text", async () => {
    const { client, store, logs } = await startService();
    const secret = "sk-live-4f9a8b7c6d5e";
    const json = JSON.stringify({ token: secret, note: "é" });
    const request = ordinaryRead();
    request.contents.push(
      create(ContentSchema, {
        kind: ContentKind.PROMPT,
        name: "prompt",
        body: { case: "text", value: `use ${secret}` },
      }),
      create(ContentSchema, { kind: ContentKind.TOOL_CALL, body: { case: "json", value: json } }),
    );
    const res = await client.authorize(request);
    const record = await store.get(res.decisionId);
    expect(record?.contents).toEqual([
      expect.objectContaining({
        kind: ContentKind.PROMPT,
        name: "prompt",
        stored: false,
        originalLength: BigInt(`use ${secret}`.length),
        body: { case: undefined },
      }),
      expect.objectContaining({
        kind: ContentKind.TOOL_CALL,
        stored: false,
        originalLength: BigInt(Buffer.byteLength(json)),
        body: { case: undefined },
      }),
    ]);
    expect(toJsonString(AuditRecordSchema, record ?? create(AuditRecordSchema))).not.toContain(
      secret,
    );
    expect(logs.text()).not.toContain(secret);
  });

  it("denies with no_policy, and still audits it, when no bundle is loaded", async () => {
    const { client, store } = await startService({ withPolicy: false });
    const res = await client.authorize(ordinaryRead());
    expect(res.decision).toBe(Decision.DENY);
    expect(res.reasons.map((r) => r.code)).toEqual(["no_policy"]);
    expect(res.policy?.bundleRevision).toBe("");
    expect((await store.get(res.decisionId))?.decision).toBe(Decision.DENY);
  });

  it("fails with Unavailable and returns no decision when the audit store cannot write", async () => {
    const { client, store } = await startService();
    await store.close();
    const error = await expectConnectError(client.authorize(ordinaryRead()));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(/^audit write failed: /);
  });

  // Each case breaks one field of an otherwise valid request (ordinaryRead has every part).
  const invalid: [string, (r: AuthorizeRequest) => void][] = [
    [
      "principal: is required",
      (r) => {
        r.principal = undefined;
      },
    ],
    [
      "principal.id: is required",
      (r) => {
        if (r.principal) r.principal.id = "  ";
      },
    ],
    [
      "principal.kind: is required (user, service, ci_job or agent)",
      (r) => {
        if (r.principal) r.principal.kind = PrincipalKind.UNSPECIFIED;
      },
    ],
    [
      "principal.kind: unknown value 42",
      (r) => {
        if (r.principal) r.principal.kind = 42 as PrincipalKind;
      },
    ],
    [
      "action: is required",
      (r) => {
        r.action = "";
      },
    ],
    [
      "resource: is required",
      (r) => {
        r.resource = undefined;
      },
    ],
    [
      "resource.kind: is required",
      (r) => {
        if (r.resource) r.resource.kind = "";
      },
    ],
    [
      "secrets[0].name: is required",
      (r) => {
        if (r.secrets[0]) r.secrets[0].name = "";
      },
    ],
    [
      "contents[0].json: is not valid JSON",
      (r) => {
        r.contents.push(create(ContentSchema, { body: { case: "json", value: "{" } }));
      },
    ],
    [
      "contents[0]: one of text or json is required",
      (r) => {
        r.contents.push(create(ContentSchema));
      },
    ],
  ];

  it.each(invalid)("answers InvalidArgument %j and records nothing", async (message, breakIt) => {
    const { client, store } = await startService();
    const request = ordinaryRead();
    breakIt(request);
    const error = await expectConnectError(client.authorize(request));
    expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
    expect(store.head().sequence).toBe(0n);
  });
});

describe("Redact", () => {
  /** Format-valid, obviously synthetic. */
  const token = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ".slice(0, 36)}`;

  it("masks a credential in a prompt with the policy's plan and reports it without the value", async () => {
    const { client } = await startService();
    const res = await client.redact({
      content: {
        kind: ContentKind.PROMPT,
        body: { case: "text", value: `use ${token} to push` },
      },
      principal: { id: "alice@example.com", kind: PrincipalKind.USER },
      action: "llm.complete",
    });
    expect(res.content?.body).toEqual({ case: "text", value: "use [REDACTED:github-pat] to push" });
    expect(res.modified).toBe(true);
    expect(res.findings.map((f) => [f.detectorId, f.location?.utf16Start])).toEqual([
      ["secret.github-pat", 4n],
    ]);
    expect(res.findings[0]?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(res.policy?.entrypoint).toBe("vigil/redact/plan");
    expect(JSON.stringify(toJson(RedactResponseSchema, res))).not.toContain(token);
  });

  it("records each redaction durably: who, what was found, never the content", async () => {
    const { client, store } = await startService();
    const res = await client.redact({
      content: {
        kind: ContentKind.LOG,
        name: "build.log",
        body: { case: "text", value: `t=${token}` },
      },
      principal: { id: "ci-job-9", kind: PrincipalKind.CI_JOB },
      action: "log.ship",
      sessionId: "run-42",
    });
    const record = await store.get(res.redactionId);
    expect(record).toMatchObject({
      kind: AuditRecordKind.REDACTION,
      action: "log.ship",
      sessionId: "run-42",
      decision: Decision.ALLOW,
      principal: { id: "ci-job-9" },
      policy: { entrypoint: "vigil/redact/plan" },
    });
    expect(record?.contents).toEqual([
      expect.objectContaining({
        name: "build.log",
        originalLength: 42n,
        stored: false,
        body: { case: undefined },
      }),
    ]);
    expect(record?.findings).toEqual(res.findings);
    expect(store.head().sequence).toBe(1n);
  });

  it("records a refusal with the plan's reasons, and a stream once, with all its findings", async () => {
    const { client, store } = await startService();
    const pem = [
      "-----BEGIN PRIVATE KEY-----",
      ...Array.from(
        { length: 4 },
        () => "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7abcdefghijkl",
      ),
      "-----END PRIVATE KEY-----",
    ].join("\n");
    const toModel = {
      principal: { id: "agent-7", kind: PrincipalKind.AGENT },
      action: "llm.complete",
      resource: { kind: "llm", id: "openai:gpt-4o" },
    };
    const error = await expectConnectError(
      client.redact({
        ...toModel,
        content: { kind: ContentKind.PROMPT, body: { case: "text", value: pem } },
      }),
    );
    expect(error.code).toBe(Code.PermissionDenied);
    const refused = await store.getBySequence(1n);
    expect(refused).toMatchObject({ kind: AuditRecordKind.REDACTION, decision: Decision.DENY });
    expect(refused?.reasons.map((r) => r.code)).toEqual([
      "private_key_to_external_llm",
      "redact_llm",
    ]);

    const replies = client.redactStream(
      stream([
        { frame: { case: "start" as const, value: { ...toModel, kind: ContentKind.COMPLETION } } },
        { frame: { case: "chunk" as const, value: `first ${token} ` } },
        { frame: { case: "chunk" as const, value: `then ${token}` } },
      ]),
    );
    const chunks: string[] = [];
    for await (const reply of replies) chunks.push(reply.chunk);
    expect(chunks.join("")).toBe("first [REDACTED:github-pat] then [REDACTED:github-pat]");
    const streamed = await store.getBySequence(2n);
    expect(streamed).toMatchObject({ kind: AuditRecordKind.REDACTION, decision: Decision.ALLOW });
    expect(streamed?.findings.map((f) => f.detectorId)).toEqual([
      "secret.github-pat",
      "secret.github-pat",
    ]);
    expect(streamed?.contents[0]?.originalLength).toBe(
      BigInt(`first ${token} then ${token}`.length),
    );
    expect(store.head().sequence).toBe(2n);
  });

  it("keeps JSON content valid JSON and masks registered values in their encodings", async () => {
    const { client } = await startService();
    const password = "s3rv1ce-Acc0unt-P4ss!";
    const body = JSON.stringify({
      headers: { "x-debug": Buffer.from(`svc:${password}`).toString("base64") },
    });
    const res = await client.redact({
      content: { kind: ContentKind.HTTP_BODY, body: { case: "json", value: body } },
      registeredSecrets: [{ name: "SVC_PASSWORD", value: { case: "text", value: password } }],
    });
    expect(res.content?.body.case).toBe("json");
    const masked = JSON.parse(String(res.content?.body.value));
    expect(masked.headers["x-debug"]).toMatch(/^\[REDACTED:registered\]$/);
    expect(res.findings[0]?.location?.jsonPointer).toBe("/headers/x-debug");
  });

  it.each([
    [{}, "content: is required"],
    [{ content: { kind: ContentKind.PROMPT } }, "content: one of text or json is required"],
    [
      { content: { kind: ContentKind.HTTP_BODY, body: { case: "json" as const, value: "{nope" } } },
      "content.json: is not valid JSON",
    ],
    [
      {
        content: { body: { case: "text" as const, value: "x" } },
        registeredSecrets: [{ name: "PIN", value: { case: "text" as const, value: "1234" } }],
      },
      "registered_secrets[0].text: is shorter than 8 characters; registering it would mask every occurrence of a short string",
    ],
  ])("refuses %j with InvalidArgument naming the field", async (request, message) => {
    const { client } = await startService();
    const error = await expectConnectError(client.redact(request));
    expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
    expect(error.rawMessage).not.toContain("1234");
  });

  it("refuses a stream whose first message is not start", async () => {
    const { client } = await startService();
    const replies = client.redactStream(
      stream([{ frame: { case: "chunk" as const, value: "x" } }]),
    );
    const error = await expectConnectError(
      (async () => {
        for await (const _ of replies) {
          // No replies are expected; the stream must fail.
        }
      })(),
    );
    expect([error.code, error.rawMessage]).toEqual([
      Code.InvalidArgument,
      "start: must be the first message of the stream",
    ]);
  });

  it("masks a token split across chunks and emits no part of it", async () => {
    const { client } = await startService();
    const text = `streamed output with ${token} inside`;
    const cut = text.indexOf(token) + 10;
    const replies = client.redactStream(
      stream([
        { frame: { case: "start" as const, value: { kind: ContentKind.COMPLETION } } },
        { frame: { case: "chunk" as const, value: text.slice(0, cut) } },
        { frame: { case: "chunk" as const, value: text.slice(cut) } },
      ]),
    );
    const pieces: string[] = [];
    const detectors: string[] = [];
    for await (const reply of replies) {
      pieces.push(reply.chunk);
      detectors.push(...reply.findings.map((f) => f.detectorId));
    }
    expect(pieces.join("")).toBe("streamed output with [REDACTED:github-pat] inside");
    expect(pieces.some((p) => p.includes(token.slice(0, 6)))).toBe(false);
    expect(detectors).toEqual(["secret.github-pat"]);
  });
});

describe("Record", () => {
  it("stores an EVENT record with its event kind and decision id", async () => {
    const { client, store } = await startService();
    const decision = await client.authorize(ordinaryRead());
    const res = await client.record({
      event: event({ kind: RecordEventKind.REQUEST, decisionId: decision.decisionId }),
    });
    expect(res.sequence).toBe(decision.sequence + 1n);
    expect(res.chainHash).toBe(store.head().hash);
    expect(await store.get(res.recordId)).toMatchObject({
      kind: AuditRecordKind.EVENT,
      eventKind: RecordEventKind.REQUEST,
      decisionId: decision.decisionId,
      sessionId: "session-1",
      sequence: res.sequence,
      prevHash: (await store.get(decision.decisionId))?.hash,
    });
  });

  it("stores event content masked with the audit plan and answers with the findings", async () => {
    const { client, store } = await startService();
    const res = await client.record({
      event: event({
        kind: RecordEventKind.OUTPUT,
        content: create(ContentSchema, {
          kind: ContentKind.LOG,
          body: { case: "text", value: "password=Xk2#pQ9$vL4!mR7w sent to jane.doe@example.org" },
        }),
      }),
    });
    expect(res.findings.map((f) => f.detectorId)).toEqual([
      "secret.generic-assignment",
      "pii.email",
    ]);
    const [stored] = (await store.get(res.recordId))?.contents ?? [];
    expect(stored).toMatchObject({ stored: true, originalLength: 54n });
    // The audit plan replaces secrets and fingerprints personal data.
    expect(stored?.body).toEqual({
      case: "text",
      value: expect.stringMatching(
        /^password=\[REDACTED:generic-assignment\] sent to \[HMAC:[0-9a-f]{16}\]$/,
      ),
    });
    expect((await store.get(res.recordId))?.findings).toEqual(res.findings);
  });

  it("scrubs registered values, also in base64, and refuses short ones", async () => {
    const { client, store } = await startService();
    const secret = "svc-Passw0rd-7Qx!";
    const res = await client.record({
      event: event({
        content: create(ContentSchema, {
          kind: ContentKind.COMMAND,
          body: {
            case: "text",
            value: `curl -u ${Buffer.from(`svc:${secret}`).toString("base64")}`,
          },
        }),
      }),
      registeredSecrets: [{ name: "svc", value: { case: "text", value: secret } }],
    });
    expect(res.findings.map((f) => f.detectorId)).toEqual(["registered"]);
    expect(
      JSON.stringify((await store.get(res.recordId))?.contents, (_, v) =>
        typeof v === "bigint" ? 0 : v,
      ),
    ).not.toContain(Buffer.from(`svc:${secret}`).toString("base64"));
    const error = await expectConnectError(
      client.record({
        event: event(),
        registeredSecrets: [{ name: "pin", value: { case: "text", value: "1234" } }],
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(
      /^registered_secrets\[0\]\.text: is shorter than 8 characters/,
    );
  });

  it.each([
    ["event: is required", undefined],
    ["event.kind: is required", event({ kind: RecordEventKind.UNSPECIFIED })],
    ["event.principal: is required", eventWithoutPrincipal()],
    ["event.principal.id: is required", event({ principal: { id: "", kind: PrincipalKind.USER } })],
  ])("answers InvalidArgument %j and records nothing", async (message, invalidEvent) => {
    const { client, store } = await startService();
    const error = await expectConnectError(client.record({ event: invalidEvent }));
    expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
    expect(store.head().sequence).toBe(0n);
  });
});

describe("RecordStream", () => {
  it("masks each event, keeping values registered earlier in the stream in force", async () => {
    const { client, store } = await startService();
    const secret = "ssh-deploy-Passphrase-42";
    const output = (value: string) =>
      event({
        kind: RecordEventKind.OUTPUT,
        content: create(ContentSchema, { kind: ContentKind.LOG, body: { case: "text", value } }),
      });
    const res = await client.recordStream(
      stream([
        {
          event: output("starting session"),
          registeredSecrets: [{ name: "deploy", value: { case: "text" as const, value: secret } }],
        },
        { event: output(`echo ${secret}`) },
        { event: output(`token ${"ghp_Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ"}`) },
      ]),
    );
    const bodies = (await Promise.all(res.recordIds.map((id) => store.get(id)))).map(
      (r) => r?.contents[0]?.body.value,
    );
    expect(bodies).toEqual([
      "starting session",
      "echo [REDACTED:registered]",
      "token [REDACTED:github-pat]",
    ]);
    expect(res.lastSequence - res.firstSequence).toBe(2n);
  });

  it("records N events under N consecutive sequences, in stream order", async () => {
    const { client, store } = await startService();
    const kinds = [
      RecordEventKind.COMMAND,
      RecordEventKind.OUTPUT,
      RecordEventKind.COMMAND,
      RecordEventKind.OUTPUT,
      RecordEventKind.NOTE,
    ];
    const res = await client.recordStream(
      stream(kinds.map((kind) => ({ event: event({ kind }) }))),
    );
    expect(res.eventsRecorded).toBe(5n);
    expect([res.firstSequence, res.lastSequence]).toEqual([1n, 5n]);
    expect(res.headHash).toBe(store.head().hash);
    const records = await Promise.all(res.recordIds.map((id) => store.get(id)));
    expect(records.map((r) => r?.sequence)).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(records.map((r) => r?.eventKind)).toEqual(kinds);
    for (const [i, r] of records.entries()) {
      expect(r?.prevHash).toBe(i === 0 ? genesisHash : records[i - 1]?.hash);
    }
  });

  it("answers an empty stream with zero events", async () => {
    const { client } = await startService();
    const res = await client.recordStream(stream([]));
    expect(res.eventsRecorded).toBe(0n);
    expect(res.recordIds).toEqual([]);
  });

  it("rejects an invalid event, naming its position and the events already recorded", async () => {
    const { client, store } = await startService();
    const error = await expectConnectError(
      client.recordStream(
        stream([{ event: event() }, { event: event({ kind: RecordEventKind.UNSPECIFIED }) }]),
      ),
    );
    expect([error.code, error.rawMessage]).toEqual([
      Code.InvalidArgument,
      "events[1].event.kind: is required (the 1 event(s) before it were recorded, sequences 1-1)",
    ]);
    expect((await store.getBySequence(1n))?.eventKind).toBe(RecordEventKind.COMMAND);
    expect(store.head().sequence).toBe(1n);
  });

  it("names no recorded events when the first one is invalid", async () => {
    const { client, store } = await startService();
    const error = await expectConnectError(
      client.recordStream(stream([{ event: event({ kind: RecordEventKind.UNSPECIFIED }) }])),
    );
    expect(error.rawMessage).toBe("events[0].event.kind: is required");
    expect(store.head().sequence).toBe(0n);
  });
});

describe("PolicyAdminService", () => {
  it("reports the active bundle and the successful load", async () => {
    const { admin } = await startService();
    const status = await admin.getPolicyStatus({});
    expect(status.active).toMatchObject({ revision: bundle.revision, digest: bundle.digest });
    expect(status.lastAttempt?.ok).toBe(true);
  });
});
