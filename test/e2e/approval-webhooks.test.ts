import { writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Verdict } from "../../gen/vigil/v1/approval_pb.js";
import { verifyWebhookSignature } from "../../server/src/approvals/webhook-signature.js";
import {
  clientsFor,
  people,
  peopleAuthArgs,
  productionRead,
} from "../support/approval-fixtures.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "../support/vigil-process.js";

// A local receiver that is down for the first delivery (HTTP 503) and fine afterwards.
const secret = "whsec_test_4f1a9c2e7b3d8a6f";

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

let receiver: Server;
const received: Delivery[] = [];
let dir: string;
let vigil: VigilProcess;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const status = received.length === 0 ? 503 : 204;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString(), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const { port } = receiver.address() as AddressInfo;
  dir = await tempDir("vigil-webhooks-");
  const secretFile = join(dir, "webhook.secret");
  await writeFile(secretFile, `${secret}\n`);
  vigil = await startVigil({
    policy: inject("defaultBundlePath"),
    args: [
      ...(await peopleAuthArgs(dir)),
      "--approval-webhook-url",
      `http://127.0.0.1:${port}/hooks/vigil`,
      "--approval-webhook-secret-file",
      secretFile,
    ],
  });
});

afterAll(async () => {
  await vigil?.stop();
  if (vigil) await removeDir(vigil.dataDir);
  await new Promise((resolve) => receiver?.close(resolve));
  await removeDir(dir);
});

describe("approval webhooks", () => {
  it("delivers new and decided approvals, signed, retrying after the receiver failed", async () => {
    const res = await clientsFor(vigil.baseUrl).policy.authorize(productionRead());
    const id = res.approval?.id ?? "";
    await clientsFor(vigil.baseUrl, people.alice.token).approvals.decideApproval({
      id,
      verdict: Verdict.APPROVE,
    });
    await expect
      .poll(() => received.filter((d) => d.status === 204).length, {
        timeout: 15_000,
      })
      .toBe(2);

    const [failed, created, approved] = received;
    expect(received.map((d) => [d.headers["vigil-event"], d.status])).toEqual([
      ["approval.created", 503],
      ["approval.created", 204],
      ["approval.approved", 204],
    ]);
    // The retry is the same delivery, so a receiver can tell it from a new event.
    expect(created?.headers["vigil-delivery"]).toBe(failed?.headers["vigil-delivery"]);
    expect(approved?.headers["vigil-delivery"]).not.toBe(created?.headers["vigil-delivery"]);
    for (const delivery of received) {
      const header = delivery.headers["vigil-signature"];
      expect(verifyWebhookSignature(secret, header, delivery.body)).toBe(true);
      expect(verifyWebhookSignature("another-secret-entirely", header, delivery.body)).toBe(false);
    }
    const body = JSON.parse(approved?.body ?? "{}");
    expect(body).toMatchObject({
      type: "approval.approved",
      approval: { id, state: "APPROVAL_STATE_APPROVED", principal: { id: people.reporting.id } },
    });
    expect(body.approval.votes[0].reviewerId).toBe(people.alice.id);
  });
});
