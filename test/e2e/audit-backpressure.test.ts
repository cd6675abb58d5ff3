import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AuditService } from "../../gen/vigil/v1/audit_pb.js";
import { ContentKind, PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import { PolicyService, RecordEventKind } from "../../gen/vigil/v1/policy_service_pb.js";
import { removeDir, startVigil, type VigilProcess } from "../support/vigil-process.js";

let vigil: VigilProcess;

beforeAll(async () => {
  // One write may wait for the disk at a time: any burst overflows the queue.
  vigil = await startVigil({
    policy: inject("defaultBundlePath"),
    args: ["--audit-max-pending", "1"],
  });
});

afterAll(async () => {
  await vigil.stop();
  await removeDir(vigil.dataDir);
});

describe("audit backpressure", () => {
  it("refuses Records it cannot queue with ResourceExhausted, counts them, and keeps every accepted one", async () => {
    const transport = createGrpcTransport({ baseUrl: vigil.baseUrl });
    const policy = createClient(PolicyService, transport);
    const audit = createClient(AuditService, transport);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 64 }, (_, i) =>
        policy.record({
          event: {
            kind: RecordEventKind.OUTPUT,
            principal: { id: "burst@example.com", kind: PrincipalKind.SERVICE },
            sessionId: "burst",
            content: { kind: ContentKind.LOG, body: { case: "text", value: `line ${i}` } },
          },
        }),
      ),
    );
    const accepted = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    const refused = outcomes.flatMap((o) =>
      o.status === "rejected" ? [ConnectError.from(o.reason)] : [],
    );
    expect(refused.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    for (const error of refused) {
      expect(error.code).toBe(Code.ResourceExhausted);
      expect(error.rawMessage).toMatch(
        /audit store is behind: .* \(limit 1\); nothing was recorded, retry later/,
      );
    }
    // Nothing silently dropped: every answer is in the log, and only those.
    const { records } = await audit.queryRecords({ filter: { sessionId: "burst" }, pageSize: 100 });
    expect(records.map((r) => r.id).sort()).toEqual(accepted.map((a) => a.recordId).sort());
    const metrics = await (await fetch(`${vigil.baseUrl}/metrics`)).text();
    expect(metrics).toContain(
      `vigil_audit_appends_rejected_total{reason="overloaded"} ${refused.length}`,
    );
    expect((await audit.verifyLog({})).ok).toBe(true);
  });
});
