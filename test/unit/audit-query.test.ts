import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AuditRecordKind,
  type RecordFilter,
  RecordFilterSchema,
} from "../../gen/vigil/v1/audit_pb.js";
import { Decision } from "../../gen/vigil/v1/common_pb.js";
import type { RecordQuery } from "../../server/src/audit/audit-store.js";
import { AuditOverloadedError } from "../../server/src/errors.js";
import { openTestTrail, testRecord } from "../support/audit-fixtures.js";

let trail: Awaited<ReturnType<typeof openTestTrail>>;
const t0 = Date.UTC(2026, 10, 1);

beforeEach(async () => {
  trail = await openTestTrail();
  // 60 records: principals p0..p2 in turn, sessions s0..s5, every fifth a deny, one per minute.
  await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      trail.store.append(
        testRecord(`r${i + 1}`, {
          principal: `p${i % 3}`,
          session: `s${i % 6}`,
          decision: i % 5 === 0 ? Decision.DENY : Decision.ALLOW,
          action: i % 2 === 0 ? "secret.read" : "llm.prompt",
          resource: { kind: "secret", id: `db-${i % 4}` },
          kind: i === 59 ? AuditRecordKind.EVENT : AuditRecordKind.DECISION,
          timeMs: t0 + i * 60_000,
        }),
      ),
    ),
  );
});

afterEach(() => trail.dispose());

function filter(fields: Parameters<typeof create<typeof RecordFilterSchema>>[1]): RecordFilter {
  return create(RecordFilterSchema, fields);
}

/** Follows pages to the end and returns every record id. */
async function all(query: Omit<RecordQuery, "after">): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let after: bigint | undefined;
  let pages = 0;
  do {
    const page = await trail.store.query({ ...query, after });
    ids.push(...page.records.map((r) => r.id));
    after = page.next;
    pages++;
  } while (after !== undefined);
  return { ids, pages };
}

const expectIds = (indexes: number[]) => indexes.map((i) => `r${i + 1}`);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("AuditStore.query", () => {
  it.each([
    ["principal", filter({ principalId: "p1" }), (i: number) => i % 3 === 1],
    ["session", filter({ sessionId: "s2" }), (i: number) => i % 6 === 2],
    ["decision", filter({ decision: Decision.DENY }), (i: number) => i % 5 === 0],
    ["action", filter({ action: "llm.prompt" }), (i: number) => i % 2 === 1],
    [
      "resource",
      filter({ resourceKind: "secret", resourceId: "db-3" }),
      (i: number) => i % 4 === 3,
    ],
    ["kind", filter({ kind: AuditRecordKind.EVENT }), (i: number) => i === 59],
    ["caller", filter({ callerId: "svc-proxy" }), () => true],
    [
      "principal and decision",
      filter({ principalId: "p0", decision: Decision.DENY }),
      (i: number) => i % 3 === 0 && i % 5 === 0,
    ],
  ])("finds exactly the records matching a %s filter", async (_name, f, match) => {
    const { ids } = await all({ filter: f, limit: 7, descending: false, scanLimit: 10_000 });
    expect(ids).toEqual(expectIds(range(60).filter(match)));
  });

  it("answers a time range from sequence bounds: start inclusive, end exclusive", async () => {
    const f = filter({
      startTime: timestampFromMs(t0 + 10 * 60_000),
      endTime: timestampFromMs(t0 + 20 * 60_000),
    });
    const { ids } = await all({ filter: f, limit: 100, descending: false, scanLimit: 10_000 });
    expect(ids).toEqual(expectIds(range(60).filter((i) => i >= 10 && i < 20)));
  });

  it("combines a time range with an index and pages newest first", async () => {
    const f = filter({ principalId: "p2", startTime: timestampFromMs(t0 + 30 * 60_000) });
    const { ids, pages } = await all({ filter: f, limit: 3, descending: true, scanLimit: 10_000 });
    expect(ids).toEqual(
      expectIds(
        range(60)
          .filter((i) => i >= 30 && i % 3 === 2)
          .reverse(),
      ),
    );
    expect(pages).toBe(4);
  });

  it("pages the whole log without gaps or repeats, both directions", async () => {
    const up = await all({ filter: filter({}), limit: 7, descending: false, scanLimit: 10_000 });
    const down = await all({ filter: filter({}), limit: 7, descending: true, scanLimit: 10_000 });
    expect(up.ids).toEqual(expectIds(range(60)));
    expect(down.ids).toEqual([...up.ids].reverse());
  });

  it("returns a short page with a continuation when the scan limit is reached", async () => {
    const f = filter({ principalId: "p0", decision: Decision.DENY });
    const first = await trail.store.query({
      filter: f,
      limit: 100,
      descending: false,
      scanLimit: 4,
    });
    // p0 is every third record: the first four candidates are r1, r4, r7, r10; only r1 is a
    // deny. The page continues just before the next candidate, r13.
    expect(first.records.map((r) => r.id)).toEqual(["r1"]);
    expect(first.next).toBe(12n);
    const { ids } = await all({ filter: f, limit: 100, descending: false, scanLimit: 4 });
    expect(ids).toEqual(expectIds(range(60).filter((i) => i % 15 === 0)));
  });

  it("ends without a continuation when nothing is left", async () => {
    const page = await trail.store.query({
      filter: filter({ sessionId: "none" }),
      limit: 10,
      descending: false,
      scanLimit: 10,
    });
    expect(page).toEqual({ records: [], next: undefined });
  });

  it("keeps times non-decreasing along the chain, so late-stamped records stay findable", async () => {
    const late = await trail.store.append(testRecord("late", { timeMs: t0 }));
    const stored = await trail.store.getBySequence(late.sequence);
    expect(Number(stored?.time?.seconds) * 1000).toBe(t0 + 59 * 60_000);
    expect(await trail.store.sequenceAtTime(t0 + 59 * 60_000)).toBe(60n);
  });
});

describe("AuditStore backpressure", () => {
  it("refuses appends beyond maxPending with AuditOverloadedError and writes the rest", async () => {
    const small = await openTestTrail({ maxPending: 5 });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => small.store.append(testRecord(`b${i}`))),
      );
      const refused = results.filter((r) => r.status === "rejected");
      expect(refused).toHaveLength(3);
      for (const r of refused)
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AuditOverloadedError);
      expect(small.store.head().sequence).toBe(5n);
      expect((await small.store.getBySequence(5n))?.id).toBe("b4");
    } finally {
      await small.dispose();
    }
  });
});
