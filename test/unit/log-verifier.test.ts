import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { open } from "lmdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditRecordSchema, RetentionAnchorSchema } from "../../gen/vigil/v1/audit_pb.js";
import { createCheckpointer } from "../../server/src/audit/checkpointer.js";
import { verifyLog } from "../../server/src/audit/log-verifier.js";
import { createRetention } from "../../server/src/audit/retention.js";
import { openTestTrail, testRecord } from "../support/audit-fixtures.js";
import { cutStore, flipStoredByte } from "../support/audit-tamper.js";
import { captureLogs } from "../support/log-capture.js";

let trail: Awaited<ReturnType<typeof openTestTrail>>;
const logger = captureLogs().logger;

beforeEach(async () => {
  trail = await openTestTrail();
});
afterEach(() => trail.dispose());

async function fill(count: number, checkpointEvery = 10) {
  const checkpointer = await createCheckpointer({
    store: trail.store,
    signer: trail.signer,
    logger,
    everyEntries: Number.MAX_SAFE_INTEGER,
    intervalMs: 0,
  });
  for (let i = 1; i <= count; i++) {
    checkpointer.committed(
      await trail.store.append(testRecord(`r${i}`, { action: `action-${i}` })),
    );
    // What the store's commit event triggers every N entries, awaited so the test knows it landed.
    if (i % checkpointEvery === 0) await checkpointer.checkpoint();
  }
  return checkpointer;
}

/** Edits an entry's protobuf fields directly in LMDB (the store must be closed). */
async function editEntry(sequence: number, edit: (r: ReturnType<typeof testRecord>) => void) {
  await trail.store.close();
  const root = open({ path: `${trail.dir}/audit`, maxDbs: 8 });
  const log = root.openDB<Buffer, number>({ name: "log", encoding: "binary" });
  const record = fromBinary(AuditRecordSchema, log.get(sequence) ?? Buffer.alloc(0));
  edit(record);
  await log.put(sequence, Buffer.from(toBinary(AuditRecordSchema, record)));
  await root.close();
  return trail.reopen();
}

describe("verifyLog", () => {
  it("checks every entry and every stored checkpoint of an intact log", async () => {
    await fill(25);
    const result = await verifyLog(trail.store, trail.signer);
    expect(result).toMatchObject({
      ok: true,
      entriesChecked: 25n,
      checkpointsChecked: 2n,
      firstSequence: 1n,
    });
    expect(result.headHash).toBe(trail.store.head().hash);
  });

  it("names an entry whose content changed, even where a checkpoint covers it", async () => {
    await fill(25);
    await trail.store.close();
    await flipStoredByte(`${trail.dir}/audit`, 10);
    const store = await trail.reopen();
    const result = await verifyLog(store, trail.signer);
    expect(result).toMatchObject({ ok: false, firstBadSequence: 10n, firstBadRecordId: "r10" });
    expect(result.problem).toMatch(/entry 10 was altered/);
  });

  it("names the entry whose prev_hash was changed, not its intact predecessor", async () => {
    await fill(15);
    const store = await editEntry(5, (r) => {
      r.prevHash = "f".repeat(64);
    });
    const result = await verifyLog(store, trail.signer);
    expect(result).toMatchObject({ ok: false, firstBadSequence: 5n });
    expect(result.problem).toMatch(/entry 5 was altered: its hash and its prev_hash both fail/);
  });

  it("names an entry that claims another sequence", async () => {
    await fill(5, 100);
    const store = await editEntry(3, (r) => {
      r.sequence = 4n;
    });
    const result = await verifyLog(store, trail.signer);
    expect([result.ok, result.firstBadSequence]).toEqual([false, 3n]);
    expect(result.problem).toBe("entry 3 says it is 4");
  });

  it("reports a missing entry in the middle", async () => {
    await fill(8, 100);
    await trail.store.close();
    const root = open({ path: `${trail.dir}/audit`, maxDbs: 8 });
    await root.openDB<Buffer, number>({ name: "log", encoding: "binary" }).remove(4);
    await root.close();
    const result = await verifyLog(await trail.reopen(), trail.signer);
    expect(result).toMatchObject({
      ok: false,
      firstBadSequence: 4n,
      problem: "entry 4 is missing",
    });
  });

  it("detects a stored checkpoint beyond the end (entries cut) even without trusted ones", async () => {
    await fill(20);
    await trail.store.close();
    await cutStore(`${trail.dir}/audit`, 20);
    // cutStore keeps checkpoints up to 20; cut 5 more entries but leave the checkpoint at 20.
    const root = open({ path: `${trail.dir}/audit`, maxDbs: 8 });
    const log = root.openDB<Buffer, number>({ name: "log", encoding: "binary" });
    await root.transaction(() => {
      for (const key of log.getKeys({ start: 16 })) log.remove(key);
    });
    await root.close();
    const result = await verifyLog(await trail.reopen(), trail.signer);
    expect(result.ok).toBe(false);
    expect(result.problem).toMatch(/ends at 15 but a checkpoint covers 20 entries/);
  });

  it("verifies a sub-range, starting from the hash of the entry before it", async () => {
    await fill(30);
    const result = await verifyLog(trail.store, trail.signer, { from: 11n, to: 20n });
    expect(result).toMatchObject({ ok: true, entriesChecked: 10n, checkpointsChecked: 1n });
  });
});

describe("retention", () => {
  it("prunes a prefix by size, keeps a signed anchor, and the kept chain still verifies", async () => {
    await fill(50);
    const before = trail.store.keptBytes();
    const pruned: { from: bigint; to: bigint }[] = [];
    const retention = createRetention({
      store: trail.store,
      signer: trail.signer,
      logger,
      maxBytes: Math.floor(before / 2),
      batchEntries: 7,
      onPruned: async (range) => {
        pruned.push(range);
      },
    });
    const removed = await retention.run();
    await retention.close();
    expect(removed).toBeGreaterThanOrEqual(24);
    expect(trail.store.keptBytes()).toBeLessThanOrEqual(Math.floor(before / 2));
    expect(pruned).toEqual([{ from: 1n, to: BigInt(removed) }]);
    expect(trail.store.first()).toBe(BigInt(removed) + 1n);
    expect(await trail.store.getBySequence(1n)).toBeUndefined();
    const result = await verifyLog(trail.store, trail.signer);
    expect(result).toMatchObject({
      ok: true,
      firstSequence: BigInt(removed) + 1n,
      entriesChecked: 50n - BigInt(removed),
    });
    expect(result.anchor?.firstSequence).toBe(BigInt(removed) + 1n);

    // The anchor survives a reopen, and appends continue the chain.
    const store = await trail.reopen();
    await store.append(testRecord("after"));
    expect(await verifyLog(store, trail.signer)).toMatchObject({
      ok: true,
      entriesChecked: 51n - BigInt(removed),
    });
  });

  it("prunes by age and never removes the head", async () => {
    for (let i = 1; i <= 5; i++)
      await trail.store.append(testRecord(`old${i}`, { timeMs: Date.UTC(2020, 0, i) }));
    const retention = createRetention({
      store: trail.store,
      signer: trail.signer,
      logger,
      maxAgeMs: 86_400_000,
    });
    expect(await retention.run()).toBe(4);
    await retention.close();
    expect(trail.store.first()).toBe(5n);
    expect((await verifyLog(trail.store, trail.signer)).ok).toBe(true);
  });

  it("fails verification when the anchor is forged", async () => {
    await fill(10, 100);
    const retention = createRetention({
      store: trail.store,
      signer: trail.signer,
      logger,
      maxBytes: 1,
    });
    await retention.run();
    await retention.close();
    const anchor = trail.store.anchor();
    if (!anchor) throw new Error("expected an anchor");
    await trail.store.close();
    const root = open({ path: `${trail.dir}/audit`, maxDbs: 8 });
    const meta = root.openDB<Buffer, string>({ name: "meta", encoding: "msgpack" });
    const forged = { ...anchor, firstSequence: 3n };
    await meta.put("anchor", Buffer.from(toBinary(RetentionAnchorSchema, forged)));
    await root.close();
    const result = await verifyLog(await trail.reopen(), trail.signer);
    expect(result.ok).toBe(false);
    expect(result.problem).toMatch(/retention anchor's signature does not verify/);
  });
});
