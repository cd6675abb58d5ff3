import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, inject, it } from "vitest";
import { type AuditRecord, AuditService } from "../../gen/vigil/v1/audit_pb.js";
import { ContentKind, PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import {
  PolicyService,
  RecordEventKind,
  type RecordEventSchema,
} from "../../gen/vigil/v1/policy_service_pb.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "../support/vigil-process.js";

/** Concurrent Record loops, plus RecordStream loops of {@link streamLength} events each. */
const recordLoops = 32;
const streamLoops = 2;
const streamLength = 25;
/**
 * The child is killed once {@link killAfterAcks} records are acknowledged, or after
 * {@link loadMs} if at least {@link minAcks} are; a busy 2-core machine with a slow fsync may
 * need longer for those, up to {@link maxLoadMs}.
 */
const killAfterAcks = 1500;
const loadMs = 2000;
const minAcks = 200;
const maxLoadMs = 15_000;
/** Most problems listed per failed check; one bug tends to break thousands of records. */
const maxProblems = 20;

/** What a Record answer told the client about the record it appended. */
interface Ack {
  id: string;
  sequence: bigint;
  hash: string;
}

/** The ids of one acknowledged RecordStream, in stream order, and what its answer said. */
interface StreamAck {
  ids: string[];
  firstSequence: bigint;
  lastSequence: bigint;
  headHash: string;
}

/** Everything acknowledged so far, across every server generation on the data dir. */
interface Acknowledged {
  records: Ack[];
  streams: StreamAck[];
}

const started: VigilProcess[] = [];
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(started.map((v) => v.stop("SIGKILL")));
  await Promise.all(dirs.map(removeDir));
});

async function start(dataDir: string): Promise<VigilProcess> {
  const vigil = await startVigil({
    dataDir,
    policy: inject("defaultBundlePath"),
    env: { VIGIL_LOG_LEVEL: "info" },
  });
  started.push(vigil);
  return vigil;
}

function clients(vigil: VigilProcess): {
  policy: Client<typeof PolicyService>;
  audit: Client<typeof AuditService>;
} {
  const transport = createGrpcTransport({ baseUrl: vigil.baseUrl });
  return {
    policy: createClient(PolicyService, transport),
    audit: createClient(AuditService, transport),
  };
}

const filler = "step ok: compiled module, ran unit tests, uploaded artifact; ".repeat(17);

/** A ~1 KiB build-log event, spread over a few principals, with a request id to trace it. */
function recordRequest(
  loop: number,
  n: number,
  sessionId: string,
): { event: MessageInitShape<typeof RecordEventSchema> } {
  return {
    event: {
      kind: RecordEventKind.OUTPUT,
      sessionId,
      principal: { id: `crash-user-${loop % 8}@example.com`, kind: PrincipalKind.USER },
      action: "tool.call",
      resource: { kind: "shell", id: "build-runner" },
      requestId: `${sessionId}/${n}`,
      content: { kind: ContentKind.LOG, body: { case: "text", value: `#${n} ${filler}` } },
    },
  };
}

/** What one load run saw before and after its SIGKILL. */
interface LoadOutcome {
  records: Ack[];
  streams: StreamAck[];
  /** Calls still waiting for an answer when the signal was sent. */
  inFlightAtKill: number;
  /** Calls that failed before the kill: each one is a bug, not a crash effect. */
  unexpected: string[];
}

/**
 * Drives Record and RecordStream from concurrent loops, SIGKILLs the child mid-load and
 * waits for it to die. Calls that fail after the kill are expected; only answers count.
 */
async function recordUntilKilled(vigil: VigilProcess, round: number): Promise<LoadOutcome> {
  const { policy } = clients(vigil);
  const outcome: LoadOutcome = { records: [], streams: [], inFlightAtKill: 0, unexpected: [] };
  let killed = false;
  let inFlight = 0;
  // A hung call must fail the test rather than hang it.
  const callOptions = { timeoutMs: 15_000 };
  const acked = () =>
    outcome.records.length + outcome.streams.reduce((n, s) => n + s.ids.length, 0);
  const failed = (error: unknown) => {
    if (!killed) outcome.unexpected.push(ConnectError.from(error).message);
    return undefined;
  };
  let armed = false;
  const kill = () => {
    if (killed) return;
    killed = true;
    outcome.inFlightAtKill = inFlight;
    vigil.child.kill("SIGKILL");
  };

  const recordLoop = async (loop: number) => {
    for (let n = 0; !killed; n++) {
      inFlight++;
      const answer = policy.record(recordRequest(loop, n, `crash-${round}-${loop}`), callOptions);
      const res = await answer.catch(failed).finally(() => inFlight--);
      if (!res) return;
      outcome.records.push({ id: res.recordId, sequence: res.sequence, hash: res.chainHash });
      if (armed) kill();
    }
  };

  const streamLoop = async (loop: number) => {
    for (let s = 0; !killed; s++) {
      const sessionId = `crash-stream-${round}-${loop}-${s}`;
      async function* events() {
        for (let n = 0; n < streamLength; n++) yield recordRequest(loop, n, sessionId);
      }
      inFlight++;
      const answer = policy.recordStream(events(), callOptions);
      const res = await answer.catch(failed).finally(() => inFlight--);
      if (!res) return;
      outcome.streams.push({
        ids: res.recordIds,
        firstSequence: res.firstSequence,
        lastSequence: res.lastSequence,
        headHash: res.headHash,
      });
    }
  };

  const loops = [
    ...Array.from({ length: recordLoops }, (_, i) => recordLoop(i)),
    ...Array.from({ length: streamLoops }, (_, i) => streamLoop(recordLoops + i)),
  ];
  const started = Date.now();
  const loadedEnough = () => {
    const elapsed = Date.now() - started;
    const count = acked();
    return (
      count >= killAfterAcks || (elapsed >= loadMs && count >= minAcks) || elapsed >= maxLoadMs
    );
  };
  while (!loadedEnough() && outcome.unexpected.length === 0) {
    await new Promise((r) => setTimeout(r, 5));
  }
  // Kill on the next Record answer: the store has just made a batch durable and is already
  // writing the one queued behind it, so the kill lands inside a transaction or its fsync
  // rather than in a quiet moment. The timer covers a load that stopped answering.
  armed = outcome.unexpected.length === 0;
  const fallback = setTimeout(kill, armed ? 1000 : 0);
  await Promise.all(loops);
  clearTimeout(fallback);
  await vigil.exited;
  return outcome;
}

/** Every record of the log in ascending order, following short pages to the end. */
async function allRecords(audit: Client<typeof AuditService>): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  let pageToken = "";
  do {
    const page = await audit.queryRecords({ filter: {}, pageSize: 1000, pageToken });
    records.push(...page.records);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return records;
}

/** GetRecord for every id, 32 calls at a time; a missing record maps to undefined. */
async function getRecords(
  audit: Client<typeof AuditService>,
  ids: string[],
): Promise<Map<string, AuditRecord | undefined>> {
  const found = new Map<string, AuditRecord | undefined>();
  let next = 0;
  const worker = async () => {
    for (let id = ids[next++]; id !== undefined; id = ids[next++]) {
      try {
        found.set(id, (await audit.getRecord({ id })).record);
      } catch (error) {
        if (ConnectError.from(error).code !== Code.NotFound) throw error;
        found.set(id, undefined);
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return found;
}

/**
 * Reads the restarted log back and lists everything wrong with it: acknowledged records
 * missing or changed, a stream's records out of order, gaps, broken links, or VerifyLog
 * disagreeing. Returns the head and the problems (empty when the log is intact).
 */
async function checkLog(
  audit: Client<typeof AuditService>,
  acked: Acknowledged,
): Promise<{ head: bigint; headHash: string; problems: string[] }> {
  const problems: string[] = [];
  let unlisted = 0;
  const report = (problem: string) => {
    if (problems.length < maxProblems) problems.push(problem);
    else unlisted++;
  };

  const records = await allRecords(audit);
  const last = records.at(-1);
  const head = last?.sequence ?? 0n;
  for (const [i, record] of records.entries()) {
    if (record.sequence !== BigInt(i + 1)) {
      report(`query position ${i + 1} holds sequence ${record.sequence} (a gap or duplicate)`);
    }
    const previous = records[i - 1];
    if (previous && record.prevHash !== previous.hash) {
      report(`sequence ${record.sequence} prev_hash does not match ${previous.sequence}'s hash`);
    }
  }

  const verify = await audit.verifyLog({});
  if (!verify.ok) {
    report(
      `VerifyLog not ok at ${verify.firstBadSequence} (${verify.firstBadRecordId}): ${verify.problem}`,
    );
  }
  if (verify.entriesChecked !== head) {
    report(`VerifyLog checked ${verify.entriesChecked} entries; the head is ${head}`);
  }
  if (verify.headHash !== (last?.hash ?? "")) {
    report(`VerifyLog head_hash ${verify.headHash} differs from the last record's ${last?.hash}`);
  }

  const ackedIds = [...acked.records.map((a) => a.id), ...acked.streams.flatMap((s) => s.ids)];
  if (verify.entriesChecked < BigInt(ackedIds.length)) {
    report(`VerifyLog checked ${verify.entriesChecked} entries; ${ackedIds.length} were acked`);
  }
  const found = await getRecords(audit, ackedIds);
  for (const ack of acked.records) {
    const record = found.get(ack.id);
    if (!record) {
      report(`acknowledged record ${ack.id} (sequence ${ack.sequence}) is missing`);
    } else if (record.sequence !== ack.sequence || record.hash !== ack.hash) {
      report(
        `record ${ack.id} was acked at ${ack.sequence} ${ack.hash}, ` +
          `found at ${record.sequence} ${record.hash}`,
      );
    }
  }
  for (const stream of acked.streams) {
    const sequences = stream.ids.map((id) => found.get(id)?.sequence);
    const missing = stream.ids.filter((id) => !found.get(id));
    if (missing.length > 0) {
      report(`acknowledged stream ${stream.firstSequence}-${stream.lastSequence} lost ${missing}`);
      continue;
    }
    const inOrder = sequences.every((s, i) => i === 0 || (s ?? 0n) > (sequences[i - 1] ?? 0n));
    const lastRecord = found.get(stream.ids.at(-1) ?? "");
    if (
      !inOrder ||
      sequences[0] !== stream.firstSequence ||
      sequences.at(-1) !== stream.lastSequence ||
      lastRecord?.hash !== stream.headHash
    ) {
      report(
        `stream acked as ${stream.firstSequence}-${stream.lastSequence} ${stream.headHash}, ` +
          `found at ${sequences.join(",")} ending ${lastRecord?.hash}`,
      );
    }
  }
  if (unlisted > 0) problems.push(`... and ${unlisted} more`);
  return { head, headHash: last?.hash ?? "", problems };
}

// A process kill loses what the server had not yet handed to LMDB (a record acknowledged
// before its transaction committed, a torn batch, a head recovered wrongly); the kernel's page
// cache survives it, so a missing fsync needs a power cut to show and is not tested here.
describe("audit log after SIGKILL under load", () => {
  it("keeps every acknowledged record and a verifiable chain across two kills in a row", async () => {
    const dataDir = await tempDir("vigil-crash-");
    dirs.push(dataDir);
    const acked: Acknowledged = { records: [], streams: [] };
    let vigil = await start(dataDir);

    for (const round of [1, 2]) {
      const outcome = await recordUntilKilled(vigil, round);
      expect(outcome.unexpected).toEqual([]);
      expect(vigil.child.signalCode).toBe("SIGKILL");
      // The kill must land on calls whose writes were not yet acknowledged.
      expect(outcome.inFlightAtKill).toBeGreaterThan(0);
      const streamed = outcome.streams.reduce((n, s) => n + s.ids.length, 0);
      expect(outcome.records.length + streamed).toBeGreaterThanOrEqual(minAcks);
      acked.records.push(...outcome.records);
      acked.streams.push(...outcome.streams);

      vigil = await start(dataDir);
      const { policy, audit } = clients(vigil);
      const { head, headHash, problems } = await checkLog(audit, acked);
      expect(problems).toEqual([]);

      // The restarted server continues the chain right after the recovered head.
      const next = await policy.record(recordRequest(0, 0, `after-crash-${round}`));
      expect(next.sequence).toBe(head + 1n);
      const record = (await audit.getRecord({ id: next.recordId })).record;
      expect(record?.prevHash).toBe(headHash);
      acked.records.push({ id: next.recordId, sequence: next.sequence, hash: next.chainHash });
      const verify = await audit.verifyLog({});
      expect(verify).toMatchObject({
        ok: true,
        entriesChecked: head + 1n,
        headHash: next.chainHash,
      });
    }

    expect(await vigil.stop("SIGTERM")).toBe(0);
  }, 90_000);
});
