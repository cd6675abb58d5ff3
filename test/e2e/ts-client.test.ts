import { readFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createSupportAgent } from "../../clients/ts/examples/support-agent.js";
import {
  type Approval,
  ApprovalState,
  ApprovalTimeoutError,
  ContentKind,
  createVigilClient,
  type GuardSpec,
  noAnswerReason,
  PrincipalKind,
  RecordEventKind,
  type VigilClient,
  type VigilClientOptions,
  VigilDeniedError,
  VigilRecordError,
  VigilUnavailableError,
} from "../../clients/ts/src/index.js";
import { Verdict } from "../../gen/vigil/v1/approval_pb.js";
import {
  type AuditRecord,
  AuditRecordKind,
  AuditRecordSchema,
} from "../../gen/vigil/v1/audit_pb.js";
import type { RecordRequest } from "../../gen/vigil/v1/policy_service_pb.js";
import { auditClient } from "../../server/src/cli/server-client.js";
import { projectRoot } from "../../server/src/main.js";
import {
  clientsFor,
  type PeopleServer,
  people,
  startVigilForPeople,
} from "../support/approval-fixtures.js";
import { destructiveAgentCommand, offboardedCiJob, ordinaryRead } from "../support/requests.js";
import type { VigilProcess } from "../support/vigil-process.js";

/** Format-valid, obviously synthetic credentials, built so no scanner flags this file. */
const githubToken = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ".slice(0, 36)}`;
const awsKeyId = `AKIA${"Q3VZ7XK2M5RTNW4P"}`;
const modelApiKey = `sk-proj-${"q7Wm2Rt9Xv4Lp8Nz3Kc6Hd1Fb5"}`;

const protocols = ["grpc", "connect"] as const;

let fixture: PeopleServer;
let vigil: VigilProcess;
const openClients: { close(): void }[] = [];

beforeAll(async () => {
  fixture = await startVigilForPeople(inject("defaultBundlePath"));
  vigil = fixture.vigil;
});

afterAll(async () => {
  for (const client of openClients) client.close();
  await fixture?.stop();
});

function vigilClient(options: Partial<VigilClientOptions> = {}): VigilClient {
  const client = createVigilClient({ baseUrl: vigil.baseUrl, ...options });
  openClients.push(client);
  return client;
}

/** An action that counts its runs and remembers what it was given. */
function spyAction(answer: (content: string) => string = () => "done") {
  const seen: string[] = [];
  return {
    seen,
    run: async (content: string) => {
      seen.push(content);
      return answer(content);
    },
  };
}

/** The agent's destructive production command, which the default policy sends to approval. */
function destructiveSpec(onUpdate?: (approval: Approval) => void): GuardSpec {
  const { principal, action, resource } = destructiveAgentCommand();
  return {
    principal: principal ?? { id: "agent:deploy-bot", kind: PrincipalKind.AGENT },
    action,
    resource: resource ?? { kind: "k8s-cluster", id: "main" },
    content: { kind: ContentKind.COMMAND, text: "kubectl delete namespace payments" },
    approval: { timeoutMs: 10_000, ...(onUpdate ? { onUpdate } : {}) },
  };
}

/** Has alice (sre-oncall) decide the approval once guard() reports it pending. */
function reviewer(verdict: Verdict, protocol: (typeof protocols)[number]) {
  let decided: Promise<unknown> = Promise.resolve();
  const onUpdate = (approval: Approval) => {
    if (approval.state !== ApprovalState.PENDING) return;
    decided = clientsFor(vigil.baseUrl, people.alice.token, protocol).approvals.decideApproval({
      id: approval.id,
      verdict,
      comment: "checked with the on-call lead",
    });
  };
  return { onUpdate, decided: () => decided };
}

async function sessionRecords(sessionId: string): Promise<AuditRecord[]> {
  const audit = auditClient(vigil.baseUrl, people.auditor.token);
  return (await audit.queryRecords({ filter: { sessionId } })).records;
}

describe.each(protocols)("the TypeScript client over %s", (protocol) => {
  it("maps Vigil's allow and deny, with decision ids and reasons", async () => {
    const client = vigilClient({ protocol });
    const allow = await client.authorize(ordinaryRead());
    expect([allow.outcome, allow.allowed, allow.error]).toEqual(["allow", true, undefined]);
    expect(allow.decisionId).toMatch(/^[0-9a-f-]{36}$/);
    const deny = await client.authorize(offboardedCiJob());
    expect([deny.outcome, deny.allowed]).toEqual(["deny", false]);
    expect(deny.reasons.map((r) => r.code)).toEqual(["offboarded_identity"]);
  });

  it("authorizeBatch() answers each request in order, a refused one as a deny carrying its error", async () => {
    const client = vigilClient({ protocol });
    const noAction = { ...ordinaryRead(), action: "" };
    const decisions = await client.authorizeBatch([ordinaryRead(), noAction, offboardedCiJob()]);
    expect(decisions.map((d) => [d.outcome, d.allowed])).toEqual([
      ["allow", true],
      ["deny", false],
      ["deny", false],
    ]);
    expect(decisions[0]?.decisionId).toMatch(/^[0-9a-f-]{36}$/);
    expect([decisions[1]?.decisionId, decisions[1]?.error?.code]).toEqual([
      "",
      Code.InvalidArgument,
    ]);
    expect(decisions[1]?.error?.message).toContain("action: is required");
    expect(decisions[2]?.reasons.map((r) => r.code)).toEqual(["offboarded_identity"]);
    expect(await client.authorizeBatch([])).toEqual([]);
  });

  it("guard() gives the model only the masked prompt, masks its answer and records both", async () => {
    const client = vigilClient({ protocol });
    const model = spyAction(
      () => `Rotate ${awsKeyId} and stop using ${modelApiKey}; the GitHub token looks revoked.`,
    );
    const sessionId = `ts-llm-${protocol}`;
    const out = await client.guard(
      {
        principal: { id: "agent:support-bot", kind: PrincipalKind.AGENT },
        action: "llm.complete",
        resource: { kind: "llm", id: "openai:gpt-4o" },
        content: {
          kind: ContentKind.PROMPT,
          text: `Our deploy fails with GITHUB_TOKEN=${githubToken} set; why?`,
        },
        registeredSecrets: [
          { name: "OPENAI_API_KEY", value: { case: "text", value: modelApiKey } },
        ],
        sessionId,
      },
      model.run,
    );

    expect(model.seen).toEqual([
      "Our deploy fails with GITHUB_TOKEN=[REDACTED:github-pat] set; why?",
    ]);
    expect(out.result).not.toContain(awsKeyId);
    expect(out.result).not.toContain(modelApiKey);
    expect(out.result).toMatch(/^Rotate \[REDACTED:[^\]]+\] and stop using \[REDACTED:[^\]]+\];/);
    expect(out.findings.content.map((f) => f.detectorId)).toEqual(["secret.github-pat"]);
    expect(out.findings.result.map((f) => f.detectorId).sort()).toEqual(
      ["registered", "secret.aws-access-key-id"].sort(),
    );

    const records = await sessionRecords(sessionId);
    const events = records.filter((r) => r.kind === AuditRecordKind.EVENT);
    expect(events.map((e) => [e.eventKind, e.decisionId, e.id])).toEqual([
      [RecordEventKind.REQUEST, out.decisionId, out.recordIds.request],
      [RecordEventKind.RESPONSE, out.decisionId, out.recordIds.response],
    ]);
    expect(events.map((e) => e.contents[0]?.body.value)).toEqual([model.seen[0], out.result]);
    expect(records.map((r) => r.kind)).toEqual([
      AuditRecordKind.DECISION,
      AuditRecordKind.REDACTION,
      AuditRecordKind.EVENT,
      AuditRecordKind.REDACTION,
      AuditRecordKind.EVENT,
    ]);
    const stored = records.map((r) => toJsonString(AuditRecordSchema, r)).join("\n");
    for (const secret of [githubToken, awsKeyId, modelApiKey]) expect(stored).not.toContain(secret);
  });

  it("guard() never runs an action Vigil denies", async () => {
    const client = vigilClient({ protocol });
    const action = spyAction();
    const { principal, action: what, resource } = offboardedCiJob();
    const denied = await client
      .guard(
        {
          principal: principal ?? { id: "", kind: PrincipalKind.CI_JOB },
          action: what,
          resource: resource ?? { kind: "secret" },
          content: { kind: ContentKind.COMMAND, text: "./deploy.sh production" },
        },
        action.run,
      )
      .catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(VigilDeniedError);
    expect((denied as VigilDeniedError).decisionId).toMatch(/^[0-9a-f-]{36}$/);
    expect((denied as VigilDeniedError).reasons.map((r) => r.code)).toEqual([
      "offboarded_identity",
    ]);
    expect(action.seen).toEqual([]);
  });

  it("guard() waits for a reviewer's approval, then runs the action once", async () => {
    const client = vigilClient({ protocol });
    const alice = reviewer(Verdict.APPROVE, protocol);
    const kubectl = spyAction(() => 'namespace "payments" deleted');
    const out = await client.guard(destructiveSpec(alice.onUpdate), kubectl.run);
    await alice.decided();
    expect(kubectl.seen).toEqual(["kubectl delete namespace payments"]);
    expect(out.result).toBe('namespace "payments" deleted');
    expect(out.approvalId).toMatch(/^[0-9a-f-]{36}$/);
    const { approval } = await client.approvalService.getApproval({ id: out.approvalId });
    expect(approval?.state).toBe(ApprovalState.CONSUMED);
  });

  it("guard() refuses, without running the action, when the reviewer denies", async () => {
    const client = vigilClient({ protocol });
    const alice = reviewer(Verdict.DENY, protocol);
    const kubectl = spyAction();
    const denied = await client
      .guard(destructiveSpec(alice.onUpdate), kubectl.run)
      .catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(VigilDeniedError);
    expect((denied as VigilDeniedError).reasons.map((r) => [r.code, r.message])).toEqual([
      [
        "approval_denied",
        `approval ${(denied as VigilDeniedError).approval?.id} was denied by ${people.alice.id}`,
      ],
    ]);
    expect(kubectl.seen).toEqual([]);
  });
});

describe("failing closed", () => {
  let closedPortUrl: string;
  let silent: Server;
  let silentUrl: string;
  const held: Socket[] = [];

  beforeAll(async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    closedPortUrl = `http://127.0.0.1:${port}`;
    // Accepts connections and never says a word.
    silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
  });

  const llmSpec: GuardSpec = {
    principal: { id: "agent:support-bot", kind: PrincipalKind.AGENT },
    action: "llm.complete",
    resource: { kind: "llm", id: "openai:gpt-4o" },
    content: { kind: ContentKind.PROMPT, text: `token ${githubToken}` },
  };

  it.each(protocols)(
    "denies when Vigil is unreachable over %s, and guard() runs nothing",
    async (protocol) => {
      const client = vigilClient({ baseUrl: closedPortUrl, protocol });
      const decision = await client.authorize(ordinaryRead());
      expect([decision.outcome, decision.allowed, decision.failedOpen]).toEqual([
        "deny",
        false,
        false,
      ]);
      expect(decision.reasons.map((r) => r.code)).toEqual([noAnswerReason]);
      expect(decision.error).toBeInstanceOf(VigilUnavailableError);
      expect(decision.error?.code).toBe(Code.Unavailable);

      const action = spyAction();
      const error = await client.guard(llmSpec, action.run).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VigilUnavailableError);
      expect((error as Error).message).not.toContain(githubToken);
      expect(action.seen).toEqual([]);
    },
  );

  it.each(protocols)(
    "denies every request of a batch when Vigil is unreachable over %s",
    async (protocol) => {
      const client = vigilClient({ baseUrl: closedPortUrl, protocol });
      const decisions = await client.authorizeBatch([ordinaryRead(), ordinaryRead()]);
      expect(decisions.map((d) => [d.outcome, d.allowed, d.failedOpen, d.error?.code])).toEqual([
        ["deny", false, false, Code.Unavailable],
        ["deny", false, false, Code.Unavailable],
      ]);
      expect(decisions[0]?.reasons.map((r) => r.code)).toEqual([noAnswerReason]);
    },
  );

  it("allows an unreachable Vigil only with failOpen, noting the error; guard() still refuses", async () => {
    const client = vigilClient({ baseUrl: closedPortUrl, failOpen: true, retries: 0 });
    const decision = await client.authorize(ordinaryRead());
    expect([decision.outcome, decision.allowed, decision.failedOpen]).toEqual([
      "allow",
      true,
      true,
    ]);
    expect(decision.error?.unreachable).toBe(true);
    expect(decision.reasons[0]?.message).toMatch(/^allowed without an answer \(fail-open\)/);

    const action = spyAction();
    await expect(client.guard(llmSpec, action.run)).rejects.toBeInstanceOf(VigilUnavailableError);
    expect(action.seen).toEqual([]);
  });

  it.each(protocols)(
    "gives up on a server that never answers within the timeout over %s",
    async (protocol) => {
      const client = vigilClient({ baseUrl: silentUrl, protocol, timeoutMs: 400, failOpen: false });
      const started = Date.now();
      const decision = await client.authorize(ordinaryRead());
      expect(Date.now() - started).toBeLessThan(1400);
      expect([decision.outcome, decision.error?.code]).toEqual(["deny", Code.DeadlineExceeded]);

      const action = spyAction();
      await expect(client.guard(llmSpec, action.run)).rejects.toBeInstanceOf(VigilUnavailableError);
      expect(action.seen).toEqual([]);
    },
  );

  it("stops waiting for an approval nobody decides, without running the action", async () => {
    const client = vigilClient();
    const action = spyAction();
    const spec = destructiveSpec();
    const error = await client
      .guard({ ...spec, approval: { timeoutMs: 600 } }, action.run)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApprovalTimeoutError);
    expect((error as ApprovalTimeoutError).approval?.state).toBe(ApprovalState.PENDING);
    expect(action.seen).toEqual([]);
  });

  it("surfaces a Record failure: before the action nothing runs, after it the masked result comes with the error", async () => {
    let failing: RecordEventKind | undefined;
    const auditDown: Interceptor = (next) => async (request) => {
      const event = (request.message as Partial<RecordRequest>).event;
      if (request.method.name === "Record" && event?.kind === failing) {
        throw new ConnectError("injected: the audit trail is unreachable", Code.Unavailable);
      }
      return next(request);
    };
    const transport = createGrpcTransport({ baseUrl: vigil.baseUrl, interceptors: [auditDown] });
    const client = vigilClient({ transport });
    const model = spyAction(() => `use ${githubToken}`);

    failing = RecordEventKind.REQUEST;
    await expect(client.guard(llmSpec, model.run)).rejects.toBeInstanceOf(VigilUnavailableError);
    expect(model.seen).toEqual([]);

    failing = RecordEventKind.RESPONSE;
    const error = await client.guard(llmSpec, model.run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VigilRecordError);
    expect((error as VigilRecordError).cause).toBeInstanceOf(VigilUnavailableError);
    expect((error as VigilRecordError).result?.result).toBe("use [REDACTED:github-pat]");
    expect((error as VigilRecordError).result?.recordIds.response).toBe("");
    expect(model.seen).toEqual(["token [REDACTED:github-pat]"]);
  });
});

describe("clients/ts/README.md", () => {
  it("shows the example file as it is", async () => {
    const dir = join(projectRoot, "clients/ts");
    const readme = await readFile(join(dir, "README.md"), "utf8");
    const example = await readFile(join(dir, "examples/support-agent.ts"), "utf8");
    const shown = /<!-- example: examples\/support-agent\.ts -->\s*```ts\n([\s\S]*?)```/.exec(
      readme,
    );
    expect(shown?.[1]).toBe(example);
  });

  it.each(protocols)("runs the example's support agent over %s", async (protocol) => {
    const prompts: string[] = [];
    const agent = createSupportAgent({ baseUrl: vigil.baseUrl, protocol }, async (prompt) => {
      prompts.push(prompt);
      return `I saw: ${prompt}`;
    });
    try {
      const answer = await agent.ask(
        `my key ${githubToken} stopped working`,
        `ts-readme-${protocol}`,
      );
      expect(prompts).toEqual(["my key [REDACTED:github-pat] stopped working"]);
      expect(answer).toBe("I saw: my key [REDACTED:github-pat] stopped working");
    } finally {
      agent.close();
    }
  });
});
