import { create, toJsonString } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ApprovalState } from "../../gen/vigil/v1/approval_pb.js";
import { AuditRecordKind, AuditRecordSchema, AuditService } from "../../gen/vigil/v1/audit_pb.js";
import { ContentKind, Decision, PrincipalSchema } from "../../gen/vigil/v1/common_pb.js";
import {
  type AuthorizeBatchResponse,
  AuthorizeBatchResponseSchema,
  type AuthorizeRequest,
  type AuthorizeResponse,
  PolicyService,
} from "../../gen/vigil/v1/policy_service_pb.js";
import { expectConnectError } from "../support/connect-error.js";
import { destructiveAgentCommand, offboardedCiJob, ordinaryRead } from "../support/requests.js";
import { transportCases } from "../support/transports.js";
import { removeDir, startVigil, type VigilProcess } from "../support/vigil-process.js";

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Format-valid, obviously synthetic, built so no scanner flags this file. */
const githubToken = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ".slice(0, 36)}`;

/** A batch size limit of 8. */
let vigil: VigilProcess;
/** A rate limit of 1 call/s with a burst of 5. */
let rated: VigilProcess;
/** One audit write may wait for the disk at a time: any burst overflows the queue. */
let backlogged: VigilProcess;

beforeAll(async () => {
  const policy = inject("defaultBundlePath");
  [vigil, rated, backlogged] = await Promise.all([
    startVigil({ policy, args: ["--max-batch-size", "8"] }),
    startVigil({ policy, args: ["--rate-limit-per-caller", "1", "--rate-limit-burst", "5"] }),
    startVigil({ policy, args: ["--audit-max-pending", "1"] }),
  ]);
});

afterAll(async () => {
  for (const server of [vigil, rated, backlogged]) {
    if (!server) continue;
    expect(await server.stop()).toBe(0);
    await removeDir(server.dataDir);
  }
});

/** `requests` in session `sessionId`, each with its index as request id. */
function inSession(sessionId: string, requests: AuthorizeRequest[]): AuthorizeRequest[] {
  return requests.map((r, i) => ({ ...r, sessionId, requestId: `item-${i}` }));
}

/** The decisions of a batch, failing the test on a result that is an error. */
function decided(response: AuthorizeBatchResponse): AuthorizeResponse[] {
  return response.results.map((r, i) => {
    if (r.result.case !== "response") throw new Error(`result ${i} is ${r.result.case}`);
    return r.result.value;
  });
}

/** What must match between a batch item and the same request made alone. */
function comparable(res: AuthorizeResponse) {
  return {
    decision: res.decision,
    reasons: res.reasons,
    obligations: res.obligations,
    policy: res.policy,
    cacheTtl: res.cacheTtl,
    approval: res.approval && { state: res.approval.state, rules: res.approval.rules },
  };
}

async function metric(server: VigilProcess, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => pattern.test(line))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

describe.each(transportCases)("AuthorizeBatch over $name", (transportCase) => {
  const clients = (server = vigil) => {
    const transport = transportCase.create(server.baseUrl);
    return {
      policy: createClient(PolicyService, transport),
      audit: createClient(AuditService, transport),
    };
  };
  const session = (what: string) => `batch-${what}-${transportCase.name.replace(/\W+/g, "-")}`;
  const sessionRecords = async (sessionId: string) =>
    (await clients().audit.queryRecords({ filter: { sessionId }, pageSize: 100 })).records;

  it("decides a mixed batch in request order, each exactly as Authorize does", async () => {
    const { policy } = clients();
    const requests = inSession(session("mixed"), [
      ordinaryRead(),
      offboardedCiJob(),
      destructiveAgentCommand(),
      ordinaryRead(),
    ]);
    const batch = decided(await policy.authorizeBatch({ requests }));
    expect(batch.map((r) => r.decision)).toEqual([
      Decision.ALLOW,
      Decision.DENY,
      Decision.REQUIRE_APPROVAL,
      Decision.ALLOW,
    ]);
    const alone = await Promise.all(requests.map((r) => policy.authorize(r)));
    expect(batch.map(comparable)).toEqual(alone.map(comparable));
    // Each item is its own decision: own id, own approval, own place in the log.
    for (const res of batch) expect(res.decisionId).toMatch(uuidV7);
    expect(new Set(batch.map((r) => r.decisionId)).size).toBe(4);
    expect(new Set(batch.map((r) => r.sequence)).size).toBe(4);
    expect(batch[2]?.approval?.state).toBe(ApprovalState.PENDING);
    expect(batch[2]?.approval?.decisionId).toBe(batch[2]?.decisionId);
  });

  it("writes one durable audit record per decision, with its id and sequence", async () => {
    const sessionId = session("audit");
    const requests = inSession(sessionId, [ordinaryRead(), offboardedCiJob(), ordinaryRead()]);
    const batch = decided(await clients().policy.authorizeBatch({ requests }));
    const records = await sessionRecords(sessionId);
    expect(records.map((r) => r.kind)).toEqual(Array(3).fill(AuditRecordKind.DECISION));
    const byId = new Map(records.map((r) => [r.id, r]));
    for (const [i, res] of batch.entries()) {
      const record = byId.get(res.decisionId);
      expect(record, `record of item ${i}`).toBeDefined();
      expect([record?.sequence, record?.decision, record?.requestId]).toEqual([
        res.sequence,
        res.decision,
        `item-${i}`,
      ]);
    }
  });

  it("answers a refused request with Authorize's code and message, and still decides the others", async () => {
    const { policy } = clients();
    const sessionId = session("partial");
    const noKind = ordinaryRead();
    noKind.principal = create(PrincipalSchema, { id: "alice@example.com" });
    const badJson = ordinaryRead();
    badJson.contents.push({
      $typeName: "vigil.v1.Content",
      kind: ContentKind.HTTP_BODY,
      name: "",
      body: { case: "json", value: `{"token": "${githubToken}"` },
    });
    const withSecret = ordinaryRead();
    withSecret.contents.push({
      $typeName: "vigil.v1.Content",
      kind: ContentKind.PROMPT,
      name: "",
      body: { case: "text", value: `use ${githubToken}` },
    });
    const requests = inSession(sessionId, [withSecret, noKind, badJson, offboardedCiJob()]);
    const response = await policy.authorizeBatch({ requests });
    expect(response.results.map((r) => r.result.case)).toEqual([
      "response",
      "error",
      "error",
      "response",
    ]);
    for (const i of [1, 2]) {
      const alone = await expectConnectError(policy.authorize(requests[i] as AuthorizeRequest));
      expect(response.results[i]?.result.value).toEqual(
        expect.objectContaining({ code: codeToString(alone.code), message: alone.rawMessage }),
      );
    }
    expect(response.results[1]?.result.value).toEqual(
      expect.objectContaining({
        code: "invalid_argument",
        message: "principal.kind: is required (user, service, ci_job or agent)",
      }),
    );
    expect(response.results[2]?.result.value).toEqual(
      expect.objectContaining({
        code: "invalid_argument",
        message: "contents[0].json: is not valid JSON",
      }),
    );
    // Refused requests get no record; decided ones one each; the secret is in neither.
    const records = await sessionRecords(sessionId);
    expect(records.map((r) => r.requestId).sort()).toEqual(["item-0", "item-3"]);
    expect(toJsonString(AuthorizeBatchResponseSchema, response)).not.toContain(githubToken);
    for (const record of records) {
      expect(toJsonString(AuditRecordSchema, record)).not.toContain(githubToken);
    }
  });

  it("refuses an empty batch with InvalidArgument", async () => {
    const error = await expectConnectError(clients().policy.authorizeBatch({}));
    expect([error.code, error.rawMessage]).toEqual([
      Code.InvalidArgument,
      "requests: is empty; send at least one request",
    ]);
  });

  it("refuses a batch over --max-batch-size whole, deciding none of it", async () => {
    const sessionId = session("oversize");
    const requests = inSession(
      sessionId,
      Array.from({ length: 9 }, () => ordinaryRead()),
    );
    const error = await expectConnectError(clients().policy.authorizeBatch({ requests }));
    expect([error.code, error.rawMessage]).toEqual([
      Code.ResourceExhausted,
      "this batch of 9 requests is over the batch size limit of 8 requests (server flag --max-batch-size); split the batch",
    ]);
    expect(await sessionRecords(sessionId)).toEqual([]);
  });
});

describe("AuthorizeBatch accounting", () => {
  const grpc = (server: VigilProcess) =>
    createClient(PolicyService, createGrpcTransport({ baseUrl: server.baseUrl }));

  it("counts each request in the decision metrics, as single calls would be", async () => {
    const decisions = /^vigil_policy_evaluations_total\{.*entrypoint="vigil\/authz\/decision"/;
    const before = await metric(vigil, decisions);
    const requests = [ordinaryRead(), offboardedCiJob(), ordinaryRead()];
    await grpc(vigil).authorizeBatch({ requests });
    expect((await metric(vigil, decisions)) - before).toBe(3);
  });

  it("charges the rate limit a token per request: a batch cannot outrun single calls", async () => {
    const policy = grpc(rated);
    const batch = (size: number) => ({
      requests: Array.from({ length: size }, () => ordinaryRead()),
    });
    const tooBig = await expectConnectError(policy.authorizeBatch(batch(6)));
    expect([tooBig.code, tooBig.rawMessage]).toEqual([
      Code.ResourceExhausted,
      "this batch of 6 requests is over the per-caller rate limit of 1 calls/s with a burst of 5 (--rate-limit-burst) (server flag --rate-limit-per-caller); split it into batches of at most 5",
    ]);
    // The refused batch spent nothing: the whole burst is still there.
    expect(decided(await policy.authorizeBatch(batch(5)))).toHaveLength(5);
    const spent = await expectConnectError(policy.authorizeBatch(batch(2)));
    expect(spent.code).toBe(Code.ResourceExhausted);
    expect(spent.rawMessage).toMatch(/^this batch of 2 requests is over .*; retry in \d+ ms$/);
    expect(await metric(rated, /^vigil_limit_refusals_total\{limit="rate_per_caller"\}/)).toBe(2);
  });

  it("fails the whole batch when the audit store cannot take its records, returning no decision", async () => {
    const policy = grpc(backlogged);
    const requests = inSession(
      "batch-backlog",
      Array.from({ length: 64 }, () => ordinaryRead()),
    );
    const error = await expectConnectError(policy.authorizeBatch({ requests }));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(
      /^audit store is behind: .* \(limit 1\); nothing was recorded, retry later$/,
    );
    // The store itself is fine: a batch it can take is decided and recorded.
    const [one] = decided(await policy.authorizeBatch({ requests: [ordinaryRead()] }));
    expect(one?.decision).toBe(Decision.ALLOW);
  });
});
