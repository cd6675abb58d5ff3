import { clone, create, toBinary } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AuditRecord,
  AuditRecordKind,
  AuditRecordSchema,
} from "../../gen/vigil/v1/audit_pb.js";
import { Decision } from "../../gen/vigil/v1/common_pb.js";
import type { AuditStore } from "../../server/src/audit/audit-store.js";
import { entryHash, genesisHash } from "../../server/src/audit/hash-chain.js";
import { openLmdbAuditStore } from "../../server/src/audit/lmdb-audit-store.js";
import { StoreUnavailableError } from "../../server/src/errors.js";
import { removeDir, tempDir } from "../support/vigil-process.js";

let dir: string;
let store: AuditStore;

beforeEach(async () => {
  dir = await tempDir("vigil-lmdb-");
  store = await openLmdbAuditStore({ path: dir });
});

afterEach(async () => {
  await store.close().catch(() => undefined);
  await removeDir(dir);
});

function record(id: string): AuditRecord {
  return create(AuditRecordSchema, {
    id,
    kind: AuditRecordKind.DECISION,
    action: "secret.read",
    decision: Decision.ALLOW,
  });
}

/** Every stored record from sequence 1 to the head, in order. */
async function allRecords(s: AuditStore): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for (let seq = 1n; seq <= s.head().sequence; seq++) {
    const r = await s.getBySequence(seq);
    if (!r) throw new Error(`sequence ${seq} is missing`);
    records.push(r);
  }
  return records;
}

/** The record as the store hashed it: serialised with `hash` empty. */
function hashOfStoredForm(r: AuditRecord): string {
  const stored = clone(AuditRecordSchema, r);
  stored.hash = "";
  return entryHash(toBinary(AuditRecordSchema, stored));
}

/** Re-derives each record's hash from its stored form and checks every link. */
function expectChainVerifies(records: AuditRecord[]) {
  let prev = genesisHash;
  for (const r of records) {
    expect(r.prevHash).toBe(prev);
    expect(hashOfStoredForm(r)).toBe(r.hash);
    prev = r.hash;
  }
}

describe("openLmdbAuditStore", () => {
  it("reports sequence 0 and the genesis hash when empty", () => {
    expect(store.head()).toEqual({ sequence: 0n, hash: genesisHash });
  });

  it("gives the first record sequence 1 and the genesis hash as prev_hash", async () => {
    const receipt = await store.append(record("r1"));
    expect(receipt.sequence).toBe(1n);
    const stored = await store.get("r1");
    expect(stored?.sequence).toBe(1n);
    expect(stored?.prevHash).toBe(genesisHash);
    expect(stored?.hash).toBe(receipt.hash);
  });

  it("links each record to the hash of the one before", async () => {
    const receipts = [];
    for (const id of ["a", "b", "c"]) receipts.push(await store.append(record(id)));
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((id) => store.get(id)));
    expect(b?.prevHash).toBe(a?.hash);
    expect(c?.prevHash).toBe(b?.hash);
    expect(receipts.map((r) => r.hash)).toEqual([a?.hash, b?.hash, c?.hash]);
  });

  it("returns the same record by id and by sequence, with hash filled in", async () => {
    const { sequence, hash } = await store.append(record("by-both"));
    const byId = await store.get("by-both");
    expect(byId?.hash).toBe(hash);
    expect(byId?.action).toBe("secret.read");
    expect(await store.getBySequence(sequence)).toEqual(byId);
  });

  it("returns undefined for an unknown id or sequence", async () => {
    await store.append(record("only"));
    expect(await store.get("missing")).toBeUndefined();
    expect(await store.getBySequence(2n)).toBeUndefined();
    expect(await store.getBySequence(0n)).toBeUndefined();
  });

  it("assigns its own sequence and prev_hash, ignoring what the caller set", async () => {
    const forged = create(AuditRecordSchema, {
      id: "forged",
      sequence: 99n,
      prevHash: "e".repeat(64),
      hash: "d".repeat(64),
    });
    const receipt = await store.append(forged);
    const stored = await store.get("forged");
    expect([stored?.sequence, stored?.prevHash, stored?.hash]).toEqual([
      1n,
      genesisHash,
      receipt.hash,
    ]);
    // The store takes the record (AuditStore.append) and sets the chain fields on it.
    expect([forged.sequence, forged.prevHash]).toEqual([1n, genesisHash]);
  });

  it("hashes exactly the stored bytes, so head().hash matches the last record", async () => {
    await store.append(record("x"));
    await store.append(record("y"));
    const last = await store.getBySequence(2n);
    expect(last && hashOfStoredForm(last)).toBe(store.head().hash);
  });

  it("gives 200 concurrent appends sequences 1..200 with a verifiable chain", async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `concurrent-${i}`);
    const receipts = await Promise.all(ids.map((id) => store.append(record(id))));
    expect(receipts.map((r) => r.sequence)).toEqual(ids.map((_, i) => BigInt(i + 1)));
    expect(store.head().sequence).toBe(200n);
    const records = await allRecords(store);
    expect(records.map((r) => r.id)).toEqual(ids);
    expectChainVerifies(records);
  });

  it("keeps its head across close and reopen and continues the sequence", async () => {
    await store.append(record("before-1"));
    await store.append(record("before-2"));
    const head = store.head();
    await store.close();

    store = await openLmdbAuditStore({ path: dir });
    expect(store.head()).toEqual(head);
    const next = await store.append(record("after"));
    expect(next.sequence).toBe(3n);
    expect((await store.get("after"))?.prevHash).toBe(head.hash);
    expectChainVerifies(await allRecords(store));
  });

  it("rejects appends with StoreUnavailableError once closed", async () => {
    await store.close();
    await expect(store.append(record("late"))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it("keeps refusing appends after a failed write, so the chain never gets a gap", async () => {
    await store.append(record("ok"));
    await store.close();
    await expect(store.append(record("lost"))).rejects.toThrow(StoreUnavailableError);
    await expect(store.append(record("also-lost"))).rejects.toThrow(/audit store is unavailable/);
    store = await openLmdbAuditStore({ path: dir });
    expect(store.head().sequence).toBe(1n);
  });
});
