import { appendFile, readFile, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, inject, it } from "vitest";
import { AuditService, type Checkpoint } from "../../gen/vigil/v1/audit_pb.js";
import { PolicyService } from "../../gen/vigil/v1/policy_service_pb.js";
import { cutStore, flipStoredByte, rewriteStore } from "../support/audit-tamper.js";
import { ordinaryRead } from "../support/requests.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "../support/vigil-process.js";

const started: VigilProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((v) => v.stop("SIGKILL")));
  await Promise.all(dirs.splice(0).map(removeDir));
});

async function start(dataDir: string) {
  const vigil = await startVigil({
    dataDir,
    policy: inject("defaultBundlePath"),
    args: ["--audit-checkpoint-every", "10"],
  });
  started.push(vigil);
  const transport = createGrpcTransport({ baseUrl: vigil.baseUrl });
  return {
    vigil,
    policy: createClient(PolicyService, transport),
    audit: createClient(AuditService, transport),
  };
}

/**
 * A data dir holding `count` Authorize decisions, with the server stopped cleanly, and the
 * checkpoints an auditor exported. With `final`, they are exported after the stop, so they
 * include the checkpoint of the head signed at shutdown.
 */
async function populated(count: number, { final = false } = {}) {
  const dataDir = await tempDir("vigil-tamper-");
  dirs.push(dataDir);
  const { vigil, policy, audit } = await start(dataDir);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await policy.authorize(ordinaryRead())).decisionId);
  let checkpoints = await allCheckpoints(audit);
  expect(await vigil.stop("SIGTERM")).toBe(0);
  if (final) {
    const again = await start(dataDir);
    checkpoints = await allCheckpoints(again.audit);
    expect(await again.vigil.stop("SIGTERM")).toBe(0);
  }
  return { dataDir, ids, checkpoints };
}

async function allCheckpoints(audit: Client<typeof AuditService>): Promise<Checkpoint[]> {
  const { checkpoints, nextPageToken } = await audit.listCheckpoints({ pageSize: 1000 });
  expect(nextPageToken).toBe("");
  return checkpoints;
}

describe("tamper evidence", () => {
  it("verifies an untouched log, checking every entry and every checkpoint", async () => {
    const { dataDir, checkpoints } = await populated(25, { final: true });
    const { audit } = await start(dataDir);
    // The clean stop signed a final checkpoint of the head.
    expect(checkpoints.map((c) => c.size)).toEqual([10n, 20n, 25n]);
    const result = await audit.verifyLog({ trustedCheckpoints: checkpoints });
    expect(result).toMatchObject({
      ok: true,
      entriesChecked: 25n,
      problem: "",
      firstBadSequence: 0n,
    });
    expect(result.checkpointsChecked).toBe(6n); // three stored, three trusted
  });

  it("names the entry whose byte was flipped through LMDB", async () => {
    const { dataDir, ids } = await populated(25);
    await flipStoredByte(join(dataDir, "audit"), 7);
    const { audit } = await start(dataDir);
    const result = await audit.verifyLog({});
    expect(result.ok).toBe(false);
    expect(result.firstBadSequence).toBe(7n);
    expect(result.firstBadRecordId).toBe(ids[6]);
    expect(result.problem).toMatch(/entry 7 was altered/);
  });

  it("names a flipped entry after the last checkpoint too (the chain, not only checkpoints)", async () => {
    const { dataDir } = await populated(25);
    await flipStoredByte(join(dataDir, "audit"), 23);
    const { audit } = await start(dataDir);
    const result = await audit.verifyLog({});
    expect([result.ok, result.firstBadSequence]).toEqual([false, 23n]);
  });

  it("detects a consistently rewritten store only against checkpoints exported before", async () => {
    const { dataDir, checkpoints } = await populated(25);
    const exported = checkpoints.filter((c) => c.size === 20n);
    await rewriteStore(join(dataDir, "audit"), 12, "secret.delete");
    const { audit } = await start(dataDir);
    // The rewritten chain is internally consistent: every link holds.
    expect(await audit.verifyLog({})).toMatchObject({ ok: true, entriesChecked: 25n });
    const result = await audit.verifyLog({ trustedCheckpoints: exported });
    expect(result.ok).toBe(false);
    expect(result.firstBadSequence).toBe(1n);
    expect(result.problem).toMatch(/rewritten between entries 1 and 20.*trusted checkpoint/);
  });

  it("detects entries cut from the end against an exported checkpoint", async () => {
    const { dataDir, checkpoints } = await populated(25, { final: true });
    await cutStore(join(dataDir, "audit"), 20);
    const { audit } = await start(dataDir);
    expect(await audit.verifyLog({})).toMatchObject({ ok: true, entriesChecked: 20n });
    const result = await audit.verifyLog({ trustedCheckpoints: checkpoints });
    expect(result.ok).toBe(false);
    expect(result.firstBadSequence).toBe(21n);
    expect(result.problem).toMatch(/ends at 20 but a checkpoint covers 25 entries/);
  });

  it("refuses a trusted checkpoint whose signature does not verify", async () => {
    const { dataDir, checkpoints } = await populated(12);
    const { audit } = await start(dataDir);
    const [first] = checkpoints;
    if (!first) throw new Error("expected a checkpoint");
    const forged = { ...first, headHash: "a".repeat(64) };
    const result = await audit.verifyLog({ trustedCheckpoints: [forged] });
    expect(result).toMatchObject({ ok: false, firstBadSequence: 10n });
    expect(result.problem).toMatch(/trusted checkpoint at size 10 has an invalid signature/);
  });
});

describe("a damaged store on start", () => {
  async function expectRefusal(dataDir: string, message: RegExp) {
    const child = startVigil({ dataDir, policy: inject("defaultBundlePath") });
    await expect(child).rejects.toThrow(message);
  }

  it("refuses a truncated data.mdb instead of crashing or starting empty", async () => {
    const { dataDir } = await populated(40);
    const file = join(dataDir, "audit", "data.mdb");
    await truncate(file, 8192);
    await expectRefusal(dataDir, /audit store .*data\.mdb is truncated/);
    expect((await readFile(file)).length).toBe(8192); // nothing was written over it
  });

  it("refuses a data.mdb that is not an LMDB file", async () => {
    const { dataDir } = await populated(3);
    await writeFile(join(dataDir, "audit", "data.mdb"), Buffer.alloc(100_000, 7));
    await expectRefusal(dataDir, /not an LMDB file/);
  });

  it("refuses a store whose data.mdb was deleted rather than starting a new empty log", async () => {
    const { dataDir } = await populated(3);
    const { rm } = await import("node:fs/promises");
    await rm(join(dataDir, "audit", "data.mdb"));
    await appendFile(join(dataDir, "audit", "lock.mdb"), "");
    await expectRefusal(dataDir, /no data\.mdb; refusing to start a new empty log/);
  });
});
