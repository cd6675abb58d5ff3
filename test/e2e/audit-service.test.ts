import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type MessageInitShape, toJson } from "@bufbuild/protobuf";
import {
  type Timestamp,
  timestampDate,
  timestampFromDate,
  timestampMs,
} from "@bufbuild/protobuf/wkt";
import { type Client, Code, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type AuditRecord,
  AuditRecordKind,
  AuditRecordSchema,
  AuditService,
  type Checkpoint,
  type QueryRecordsRequestSchema,
  type RecordFilterSchema,
} from "../../gen/vigil/v1/audit_pb.js";
import { ContentKind, Decision, PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import {
  type AuthorizeResponse,
  PolicyService,
  RecordEventKind,
  type RecordResponse,
  type RecordStreamResponse,
} from "../../gen/vigil/v1/policy_service_pb.js";
import { expectConnectError } from "../support/connect-error.js";
import { transportCases } from "../support/transports.js";
import { removeDir, startVigil, type VigilProcess } from "../support/vigil-process.js";

/** Format-valid, obviously synthetic credentials, built so no scanner flags this file. */
const awsKeyId = `AKIA${"Q3VZ7XK2M5RTNW4P"}`;
const githubToken = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ".slice(0, 36)}`;

/** Where the replayed session's events happened at the caller, relative to its start. */
const replayOffsetsMs = [0, 1500, 3000, 4500];

let vigil: VigilProcess;

beforeAll(async () => {
  vigil = await startVigil({
    policy: inject("defaultBundlePath"),
    args: ["--audit-checkpoint-every", "5"],
  });
});

afterAll(async () => {
  expect(await vigil.stop()).toBe(0);
  await removeDir(vigil.dataDir);
});

type Audit = Client<typeof AuditService>;
type Filter = MessageInitShape<typeof RecordFilterSchema>;

/** Every page of a query, following tokens; a page may be short (even empty) before the end. */
async function queryPages(
  audit: Audit,
  request: MessageInitShape<typeof QueryRecordsRequestSchema>,
): Promise<AuditRecord[][]> {
  const pages: AuditRecord[][] = [];
  let pageToken = "";
  do {
    const page = await audit.queryRecords({ ...request, pageToken });
    pages.push(page.records);
    pageToken = page.nextPageToken;
    if (pages.length > 200) throw new Error("paging did not end after 200 pages");
  } while (pageToken !== "");
  return pages;
}

/** Milliseconds since the epoch, NaN when absent (so a comparison with it fails). */
function ms(time: Timestamp | undefined): number {
  return time ? timestampMs(time) : Number.NaN;
}

async function queryIds(audit: Audit, filter: Filter, descending = false): Promise<string[]> {
  return (await queryPages(audit, { filter, descending })).flat().map((r) => r.id);
}

async function exportAll(audit: Audit, filter: Filter): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for await (const batch of audit.exportRecords({ filter })) records.push(...batch.records);
  return records;
}

async function listAllCheckpoints(audit: Audit, pageSize = 0): Promise<Checkpoint[]> {
  const checkpoints: Checkpoint[] = [];
  let pageToken = "";
  do {
    const page = await audit.listCheckpoints({ pageSize, pageToken });
    checkpoints.push(...page.checkpoints);
    pageToken = page.nextPageToken;
    if (checkpoints.length > 10_000) throw new Error("checkpoint paging did not end");
  } while (pageToken !== "");
  return checkpoints;
}

/** What one transport case wrote, so its queries can expect exact answers. */
interface Seeded {
  allow: AuthorizeResponse;
  deny: AuthorizeResponse;
  approval: AuthorizeResponse;
  note: RecordResponse;
  redactionId: string;
  replay: RecordStreamResponse;
  replayStart: Date;
  paged: RecordResponse[];
}

describe.each(transportCases)("AuditService over $name", (transportCase) => {
  // Distinct principals and sessions per transport, so every query below has an exact answer.
  const tag = transportCase.name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  const user = { id: `user:${tag}`, kind: PrincipalKind.USER, groups: ["dev"] };
  const service = { id: `svc:${tag}`, kind: PrincipalKind.SERVICE };
  const agent = { id: `agent:${tag}`, kind: PrincipalKind.AGENT };
  const session = `${tag}-s1`;
  const replaySession = `${tag}-replay`;
  let audit: Audit;
  let seeded: Seeded;

  beforeAll(async () => {
    const transport = transportCase.create(vigil.baseUrl);
    audit = createClient(AuditService, transport);
    const policy = createClient(PolicyService, transport);
    // A few milliseconds between writes give each record its own time, for the range queries.
    const pause = () => sleep(5);
    const allow = await policy.authorize({
      principal: user,
      action: "secret.read",
      resource: { kind: "secret", id: `staging/${tag}-db`, attributes: { environment: "staging" } },
      sessionId: session,
    });
    await pause();
    const deny = await policy.authorize({
      principal: user,
      action: `forbidden.${tag}`,
      resource: { kind: "secret", id: `staging/${tag}-other` },
    });
    await pause();
    const approval = await policy.authorize({
      principal: service,
      action: "secret.read",
      resource: {
        kind: "secret",
        id: `prod/${tag}-key`,
        attributes: { environment: "production" },
      },
    });
    await pause();
    const note = await policy.record({
      event: {
        kind: RecordEventKind.NOTE,
        principal: user,
        action: "llm.complete",
        resource: { kind: "llm", id: "openai:gpt-4o" },
        sessionId: session,
        content: { kind: ContentKind.PROMPT, body: { case: "text", value: "hello" } },
      },
    });
    await pause();
    const redaction = await policy.redact({
      principal: { id: `redactor:${tag}`, kind: PrincipalKind.USER },
      content: { kind: ContentKind.LOG, body: { case: "text", value: `push ${githubToken}` } },
    });
    const replayStart = new Date(Date.now() - 60_000);
    const contents = [
      [ContentKind.PROMPT, `deploy the api; the key id is ${awsKeyId}`],
      [ContentKind.COMPLETION, "I will run the deploy script."],
      [ContentKind.COMMAND, `GITHUB_TOKEN=${githubToken} ./deploy.sh api`],
      [ContentKind.TOOL_RESULT, "deployed api to production"],
    ] as const;
    const kinds = [
      RecordEventKind.REQUEST,
      RecordEventKind.RESPONSE,
      RecordEventKind.COMMAND,
      RecordEventKind.OUTPUT,
    ];
    async function* events() {
      for (const [i, kind] of kinds.entries()) {
        const [contentKind, text] = contents[i] ?? [ContentKind.LOG, ""];
        yield {
          event: {
            kind,
            principal: agent,
            action: "tool.call",
            sessionId: replaySession,
            occurredAt: timestampFromDate(
              new Date(replayStart.getTime() + (replayOffsetsMs[i] ?? 0)),
            ),
            content: { kind: contentKind, body: { case: "text" as const, value: text } },
          },
        };
      }
    }
    const replay = await policy.recordStream(events());
    const paged: RecordResponse[] = [];
    for (let i = 0; i < 5; i++) {
      paged.push(
        await policy.record({
          event: { kind: RecordEventKind.NOTE, principal: { ...user, id: `pager:${tag}` } },
        }),
      );
    }
    seeded = {
      allow,
      deny,
      approval,
      note,
      redactionId: redaction.redactionId,
      replay,
      replayStart,
      paged,
    };
  });

  it("writes a decision, a redaction and events with the outcomes the queries expect", () => {
    expect([seeded.allow.decision, seeded.deny.decision, seeded.approval.decision]).toEqual([
      Decision.ALLOW,
      Decision.DENY,
      Decision.REQUIRE_APPROVAL,
    ]);
    expect(seeded.replay.recordIds).toHaveLength(4);
  });

  it("finds a principal's records, oldest first, and nobody else's", async () => {
    const records = (await queryPages(audit, { filter: { principalId: user.id } })).flat();
    expect(records.map((r) => r.id)).toEqual([
      seeded.allow.decisionId,
      seeded.deny.decisionId,
      seeded.note.recordId,
    ]);
    expect(records.map((r) => r.sequence)).toEqual([
      seeded.allow.sequence,
      seeded.deny.sequence,
      seeded.note.sequence,
    ]);
    for (const r of records) expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("finds a session's decisions and events", async () => {
    expect(await queryIds(audit, { sessionId: session })).toEqual([
      seeded.allow.decisionId,
      seeded.note.recordId,
    ]);
  });

  it("filters by decision, alone and with a principal", async () => {
    expect(await queryIds(audit, { decision: Decision.ALLOW, principalId: user.id })).toEqual([
      seeded.allow.decisionId,
    ]);
    expect(await queryIds(audit, { decision: Decision.REQUIRE_APPROVAL })).toContain(
      seeded.approval.decisionId,
    );
    const denied = (await queryPages(audit, { filter: { decision: Decision.DENY } })).flat();
    expect(denied.map((r) => r.id)).toContain(seeded.deny.decisionId);
    expect(denied.every((r) => r.decision === Decision.DENY)).toBe(true);
  });

  it("filters by action and by caller", async () => {
    expect(await queryIds(audit, { action: `forbidden.${tag}` })).toEqual([seeded.deny.decisionId]);
    expect(await queryIds(audit, { action: "secret.read", principalId: user.id })).toEqual([
      seeded.allow.decisionId,
    ]);
    expect(await queryIds(audit, { callerId: "anonymous", principalId: user.id })).toHaveLength(3);
    expect(await queryIds(audit, { callerId: "someone-else", principalId: user.id })).toEqual([]);
  });

  it("filters by resource kind and id, matched exactly", async () => {
    // The request needing approval also left the approval's own `created` record.
    const forResource = (
      await queryPages(audit, {
        filter: { resourceKind: "secret", resourceId: `prod/${tag}-key` },
      })
    ).flat();
    expect(
      forResource.map((r) => [r.kind, r.kind === AuditRecordKind.DECISION ? r.id : ""]),
    ).toEqual([
      [AuditRecordKind.APPROVAL, ""],
      [AuditRecordKind.DECISION, seeded.approval.decisionId],
    ]);
    expect(await queryIds(audit, { resourceKind: "secret", principalId: user.id })).toEqual([
      seeded.allow.decisionId,
      seeded.deny.decisionId,
    ]);
    expect(await queryIds(audit, { resourceKind: "secret", resourceId: "prod" })).toEqual([]);
  });

  it("filters by record kind", async () => {
    expect(await queryIds(audit, { kind: AuditRecordKind.EVENT, principalId: user.id })).toEqual([
      seeded.note.recordId,
    ]);
    expect(await queryIds(audit, { kind: AuditRecordKind.DECISION, principalId: user.id })).toEqual(
      [seeded.allow.decisionId, seeded.deny.decisionId],
    );
    expect(
      await queryIds(audit, { kind: AuditRecordKind.REDACTION, principalId: `redactor:${tag}` }),
    ).toEqual([seeded.redactionId]);
  });

  it("filters by a time range, start inclusive and end exclusive", async () => {
    const [allow, deny, note] = (
      await queryPages(audit, { filter: { principalId: user.id } })
    ).flat();
    expect(ms(allow?.time)).toBeLessThan(ms(deny?.time));
    expect(ms(deny?.time)).toBeLessThan(ms(note?.time));
    const within = (startTime: Timestamp | undefined, endTime: Timestamp | undefined) =>
      queryIds(audit, {
        principalId: user.id,
        ...(startTime ? { startTime } : {}),
        ...(endTime ? { endTime } : {}),
      });
    expect(await within(allow?.time, note?.time)).toEqual([allow?.id, deny?.id]);
    expect(await within(deny?.time, undefined)).toEqual([deny?.id, note?.id]);
    expect(await within(undefined, allow?.time)).toEqual([]);
  });

  it("pages through five records two at a time, both ways, without duplicates", async () => {
    const filter = { principalId: `pager:${tag}` };
    const ids = seeded.paged.map((r) => r.recordId);
    for (const descending of [false, true]) {
      const pages = await queryPages(audit, { filter, pageSize: 2, descending });
      for (const page of pages) expect(page.length).toBeLessThanOrEqual(2);
      expect(pages.length).toBeGreaterThanOrEqual(3);
      const seen = pages.flat().map((r) => r.id);
      expect(seen).toEqual(descending ? [...ids].reverse() : ids);
    }
  });

  it("rejects a malformed page token, and one reused with another query", async () => {
    const bogus = await expectConnectError(audit.queryRecords({ pageToken: "not-a-token" }));
    expect(bogus.code).toBe(Code.InvalidArgument);
    const first = await audit.queryRecords({
      filter: { principalId: `pager:${tag}` },
      pageSize: 2,
    });
    expect(first.nextPageToken).not.toBe("");
    const otherFilter = await expectConnectError(
      audit.queryRecords({
        filter: { principalId: user.id },
        pageSize: 2,
        pageToken: first.nextPageToken,
      }),
    );
    expect(otherFilter.code).toBe(Code.InvalidArgument);
    const otherDirection = await expectConnectError(
      audit.queryRecords({
        filter: { principalId: `pager:${tag}` },
        pageSize: 2,
        pageToken: first.nextPageToken,
        descending: true,
      }),
    );
    expect(otherDirection.code).toBe(Code.InvalidArgument);
  });

  it("rejects a page size over 1000", async () => {
    const error = await expectConnectError(audit.queryRecords({ pageSize: 5000 }));
    expect(error.code).toBe(Code.InvalidArgument);
    await expect(audit.queryRecords({ pageSize: 1000 })).resolves.toBeDefined();
  });

  it("gets a record by id, with the hash Record answered", async () => {
    const { record } = await audit.getRecord({ id: seeded.note.recordId });
    expect(record?.id).toBe(seeded.note.recordId);
    expect(record?.sequence).toBe(seeded.note.sequence);
    expect(record?.hash).toBe(seeded.note.chainHash);
    expect(record?.kind).toBe(AuditRecordKind.EVENT);
    expect(record?.eventKind).toBe(RecordEventKind.NOTE);
    expect(record?.principal?.id).toBe(user.id);
    const decision = await audit.getRecord({ id: seeded.deny.decisionId });
    expect(decision.record?.decision).toBe(Decision.DENY);
    expect(decision.record?.sequence).toBe(seeded.deny.sequence);
  });

  it("answers NotFound for an unknown id and InvalidArgument for an empty one", async () => {
    const missing = await expectConnectError(
      audit.getRecord({ id: "01890000-0000-7000-8000-000000000000" }),
    );
    expect(missing.code).toBe(Code.NotFound);
    const empty = await expectConnectError(audit.getRecord({ id: "" }));
    expect(empty.code).toBe(Code.InvalidArgument);
  });

  it("exports exactly the matching records in ascending sequence", async () => {
    const records = await exportAll(audit, { principalId: user.id });
    expect(records.map((r) => r.id)).toEqual([
      seeded.allow.decisionId,
      seeded.deny.decisionId,
      seeded.note.recordId,
    ]);
    const replayed = await exportAll(audit, { sessionId: replaySession });
    expect(replayed.map((r) => r.id)).toEqual(seeded.replay.recordIds);
  });

  it("exports the whole log as sequences 1 to the head, without gaps", async () => {
    const records = await exportAll(audit, {});
    expect(records.map((r) => r.sequence)).toEqual(records.map((_, i) => BigInt(i + 1)));
    expect(records.at(-1)?.sequence).toBeGreaterThanOrEqual(seeded.paged.at(-1)?.sequence ?? 1n);
    for (const [i, r] of records.entries()) {
      if (i > 0) expect(r.prevHash).toBe(records[i - 1]?.hash);
    }
  });

  it("replays a recorded session in order, with its timing and masked content", async () => {
    const records = (await queryPages(audit, { filter: { sessionId: replaySession } })).flat();
    expect(records.map((r) => r.id)).toEqual(seeded.replay.recordIds);
    expect(records.map((r) => r.eventKind)).toEqual([
      RecordEventKind.REQUEST,
      RecordEventKind.RESPONSE,
      RecordEventKind.COMMAND,
      RecordEventKind.OUTPUT,
    ]);
    expect(records.map((r) => ms(r.occurredAt) - seeded.replayStart.getTime())).toEqual(
      replayOffsetsMs,
    );
    const texts = records.map((r) => String(r.contents[0]?.body.value ?? ""));
    expect(records.every((r) => r.contents[0]?.stored === true)).toBe(true);
    expect(texts[0]).toMatch(/^deploy the api; the key id is \[REDACTED:[a-z-]+\]$/);
    expect(texts[1]).toBe("I will run the deploy script.");
    expect(texts[2]).toBe("GITHUB_TOKEN=[REDACTED:github-pat] ./deploy.sh api");
    expect(texts[3]).toBe("deployed api to production");
    // Nothing of the record, findings included, may carry the value.
    const stored = JSON.stringify(records.map((r) => toJson(AuditRecordSchema, r)));
    expect(stored).not.toContain(awsKeyId);
    expect(stored).not.toContain(githubToken);
  });

  it("verifies the whole chain and reports its head", async () => {
    const all = await exportAll(audit, {});
    const res = await audit.verifyLog({});
    expect(res.problem).toBe("");
    expect(res.ok).toBe(true);
    expect(res.entriesChecked).toBe(BigInt(all.length));
    expect(res.entriesChecked).toBeGreaterThanOrEqual(seeded.paged.at(-1)?.sequence ?? 1n);
    expect(res.firstSequence).toBe(1n);
    expect(res.firstBadSequence).toBe(0n);
    expect(res.headHash).toBe(all.at(-1)?.hash);
    expect(res.checkpointsChecked).toBeGreaterThanOrEqual(1n);
    const range = await audit.verifyLog({ fromSequence: 2n, toSequence: 4n });
    expect(range.ok).toBe(true);
  });

  it("lists signed checkpoints of the log's size and head hash, page by page", async () => {
    const checkpoints = await listAllCheckpoints(audit);
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    const byPage = await listAllCheckpoints(audit, 1);
    expect(byPage.map((c) => c.size)).toEqual(checkpoints.map((c) => c.size));
    const all = await exportAll(audit, {});
    for (const [i, c] of checkpoints.entries()) {
      if (i > 0) expect(c.size).toBeGreaterThan(checkpoints[i - 1]?.size ?? 0n);
      expect(c.headHash).toMatch(/^[0-9a-f]{64}$/);
      expect(c.headHash).toBe(all[Number(c.size) - 1]?.hash);
      expect(c.signature).toHaveLength(64);
      expect(c.publicKey).toHaveLength(32);
      const keyDigest = createHash("sha256").update(c.publicKey).digest("hex");
      expect(c.keyId).toBe(keyDigest.slice(0, 16));
      expect(c.time ? timestampDate(c.time).getTime() : 0).toBeGreaterThan(0);
    }
    const tooMany = await expectConnectError(audit.listCheckpoints({ pageSize: 5000 }));
    expect(tooMany.code).toBe(Code.InvalidArgument);
  });

  it("accepts trusted checkpoints that match and reports one that does not", async () => {
    const checkpoints = await listAllCheckpoints(audit);
    const trusted = await audit.verifyLog({ trustedCheckpoints: checkpoints });
    expect([trusted.ok, trusted.problem]).toEqual([true, ""]);
    expect(trusted.checkpointsChecked).toBeGreaterThanOrEqual(BigInt(checkpoints.length));
    const [first] = checkpoints;
    if (first === undefined) throw new Error("no checkpoint to forge");
    const forged = { ...first, headHash: "0".repeat(64) };
    const res = await audit.verifyLog({ trustedCheckpoints: [forged] });
    expect(res.ok).toBe(false);
    expect(res.problem).not.toBe("");
  });
});
