import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { open, type RootDatabase } from "lmdb";
import { Registry } from "prom-client";
import { version as uuidVersion } from "uuid";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Approval,
  ApprovalSchema,
  ApprovalState,
  Verdict,
} from "../../gen/vigil/v1/approval_pb.js";
import { PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import type {
  ApprovalEvent,
  ApprovalEventType,
} from "../../server/src/approvals/approval-events.js";
import { createLmdbWebhookOutbox } from "../../server/src/approvals/lmdb-webhook-outbox.js";
import {
  createWebhookNotifier,
  type WebhookNotifier,
  type WebhookNotifierOptions,
} from "../../server/src/approvals/webhook-notifier.js";
import type { WebhookOutbox } from "../../server/src/approvals/webhook-outbox.js";
import {
  signWebhook,
  verifyWebhookSignature,
} from "../../server/src/approvals/webhook-signature.js";
import { type CapturedLogs, captureLogs } from "../support/log-capture.js";
import { removeDir, tempDir } from "../support/vigil-process.js";

const secret = Buffer.from("whsec-test-3f9c1d7e5a2b4c6d8e0f1a2b3c4d5e6f");
/** Slack-style: the URL path is a credential and must never reach the log. */
const urlPath = "/services/T000/B000/urlpathcredential";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on 127.0.0.1 answering the given statuses in turn, then 200. */
interface Receiver {
  url: string;
  port: number;
  requests: Received[];
  /** Resolves with the `n`th request (1-based) once it has arrived. */
  nth(n: number): Promise<Received>;
  close(): Promise<void>;
}

const receivers: Receiver[] = [];

async function startReceiver(
  answers: { status: number; headers?: Record<string, string> }[] = [],
  port = 0,
): Promise<Receiver> {
  const requests: Received[] = [];
  let waiters: { n: number; resolve(r: Received): void }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const answer = answers[requests.length - 1] ?? { status: 200 };
      res.writeHead(answer.status, answer.headers).end("ok");
      waiters = waiters.filter((w) => {
        const r = requests[w.n - 1];
        if (r) w.resolve(r);
        return !r;
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${bound}${urlPath}`,
    port: bound,
    requests,
    nth: (n) =>
      new Promise((resolve) => {
        const r = requests[n - 1];
        if (r) resolve(r);
        else waiters.push({ n, resolve });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  receivers.push(receiver);
  return receiver;
}

/** A port nothing listens on (a receiver that is down). */
async function closedPort(): Promise<number> {
  const receiver = await startReceiver();
  await receiver.close();
  return receiver.port;
}

/** The global fetch, with a promise for the first attempt that failed to reach anyone. */
function watchedFetch() {
  let failed: () => void = () => undefined;
  const firstFailure = new Promise<void>((resolve) => {
    failed = resolve;
  });
  const wrapped: typeof fetch = async (input, init) => {
    try {
      return await fetch(input, init);
    } catch (error) {
      failed();
      throw error;
    }
  };
  return { fetch: wrapped, firstFailure };
}

/** The fields of an `Approval` as plain values, for `create`. */
type ApprovalInit = Exclude<MessageInitShape<typeof ApprovalSchema>, Approval>;

function approval(id = "apr-0001", init: ApprovalInit = {}): Approval {
  const defaults: ApprovalInit = {
    id,
    state: ApprovalState.PENDING,
    actionDigest: "ab".repeat(32),
    principal: { id: "alice@example.com", kind: PrincipalKind.USER, groups: ["dev"] },
    action: "secret.read",
    resource: { kind: "secret", id: "prod/deploy-key" },
    secrets: [{ name: "DEPLOY_KEY", store: "vault" }],
    contentPreview: "deploy with token [REDACTED:github-pat]",
    rules: [{ group: "sre-oncall", required: 1 }],
    reason: "production secrets need an on-call approval",
    decisionId: "dec-0001",
    policyRevision: "rev-42",
    createdAt: timestampFromDate(new Date("2030-01-02T03:04:05Z")),
    expiresAt: timestampFromDate(new Date("2030-01-02T03:19:05Z")),
  };
  return create(ApprovalSchema, { ...defaults, ...init });
}

function event(type: ApprovalEventType, a: Approval = approval()): ApprovalEvent {
  return { type, approval: a, time: new Date("2030-01-02T03:04:06.789Z") };
}

let dir: string;
let root: RootDatabase;
let outbox: WebhookOutbox;
let logs: CapturedLogs;
const notifiers: WebhookNotifier[] = [];

function notifier(options: Partial<WebhookNotifierOptions> & { url: string }): WebhookNotifier {
  const n = createWebhookNotifier({
    secret,
    outbox,
    logger: logs.logger,
    baseDelayMs: 20,
    maxDelayMs: 200,
    timeoutMs: 5_000,
    ...options,
  });
  notifiers.push(n);
  return n;
}

async function openOutbox() {
  root = open({ path: dir, maxDbs: 4 });
  outbox = createLmdbWebhookOutbox({ root });
}

beforeEach(async () => {
  dir = await tempDir("vigil-webhook-");
  await openOutbox();
  logs = captureLogs();
});

afterEach(async () => {
  for (const n of notifiers.splice(0)) await n.close();
  for (const r of receivers.splice(0)) await r.close().catch(() => undefined);
  await root.close();
  await removeDir(dir);
});

async function counted(registry: Registry, outcome: string): Promise<number> {
  const metric = await registry.getSingleMetric("vigil_webhook_deliveries_total")?.get();
  return metric?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
}

/** Nothing secret reached the log: not the signing secret, the URL's path, nor a body. */
function expectCleanLogs() {
  const text = logs.text();
  expect(text).not.toContain(secret.toString());
  expect(text).not.toContain("urlpathcredential");
  expect(text).not.toContain("REDACTED:github-pat");
}

describe("webhook notifier", () => {
  it("delivers a signed JSON notification with the documented headers", async () => {
    const receiver = await startReceiver();
    const metrics = new Registry();
    const n = notifier({
      url: receiver.url,
      consoleUrl: "https://vigil.example.com/console",
      metrics,
    });
    await n.start();
    n.publish(event("created"));
    await n.idle();

    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    if (!request) throw new Error("no request");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["user-agent"]).toBe("vigil");
    expect(request.headers["vigil-event"]).toBe("approval.created");
    expect(uuidVersion(String(request.headers["vigil-delivery"]))).toBe(7);
    expect(verifyWebhookSignature(secret, request.headers["vigil-signature"], request.body)).toBe(
      true,
    );
    const body = JSON.parse(request.body);
    expect(body).toMatchObject({
      type: "approval.created",
      time: "2030-01-02T03:04:06.789Z",
      approval: {
        id: "apr-0001",
        state: "APPROVAL_STATE_PENDING",
        action: "secret.read",
        expiresAt: "2030-01-02T03:19:05Z",
      },
      console_url: "https://vigil.example.com/console/approvals/apr-0001",
    });
    expect(await outbox.pending()).toEqual([]);
    expect(await counted(metrics, "delivered")).toBe(1);
    expectCleanLogs();
  });

  it("sends only the configured event types (by default not votes)", async () => {
    const receiver = await startReceiver();
    const n = notifier({ url: receiver.url });
    await n.start();
    n.publish(event("voted"));
    n.publish(event("consumed"));
    n.publish(event("denied"));
    await n.idle();
    expect(receiver.requests.map((r) => r.headers["vigil-event"])).toEqual(["approval.denied"]);
  });

  it("retries 5xx answers with the same delivery id until one is accepted", async () => {
    const receiver = await startReceiver([{ status: 500 }, { status: 503 }]);
    const metrics = new Registry();
    const n = notifier({ url: receiver.url, metrics });
    await n.start();
    n.publish(event("approved"));
    await n.idle();

    expect(receiver.requests).toHaveLength(3);
    const ids = new Set(receiver.requests.map((r) => r.headers["vigil-delivery"]));
    expect(ids.size).toBe(1);
    for (const r of receiver.requests) {
      expect(verifyWebhookSignature(secret, r.headers["vigil-signature"], r.body)).toBe(true);
    }
    expect(await outbox.pending()).toEqual([]);
    expect(await counted(metrics, "retried")).toBe(2);
    expect(await counted(metrics, "delivered")).toBe(1);
    expectCleanLogs();
  });

  it("keeps retrying while the receiver is down and delivers once it is up", async () => {
    const port = await closedPort();
    const watched = watchedFetch();
    const n = notifier({
      url: `http://127.0.0.1:${port}${urlPath}`,
      fetch: watched.fetch,
      maxAttempts: 50,
    });
    await n.start();
    n.publish(event("created"));
    await watched.firstFailure;

    const receiver = await startReceiver([], port);
    const request = await receiver.nth(1);
    expect(request.headers["vigil-event"]).toBe("approval.created");
    await n.idle();
    expect(await outbox.pending()).toEqual([]);
    const warnings = logs
      .entries()
      .filter((e) => e.msg === "approval webhook attempt failed; will retry");
    expect(warnings[0]).toMatchObject({
      attempt: 1,
      approval: "apr-0001",
      event: "approval.created",
    });
    expect(String(warnings[0]?.problem)).toMatch(/^network error/);
    expectCleanLogs();
  });

  it("drops a delivery the receiver refuses with a 4xx, without retrying", async () => {
    const receiver = await startReceiver([{ status: 400 }]);
    const metrics = new Registry();
    const n = notifier({ url: receiver.url, metrics });
    await n.start();
    n.publish(event("created"));
    await n.idle();

    expect(receiver.requests).toHaveLength(1);
    expect(await outbox.pending()).toEqual([]);
    expect(await counted(metrics, "failed")).toBe(1);
    const refused = logs.entries().find((e) => e.msg === "approval webhook refused; dropped");
    expect(refused).toMatchObject({ level: 50, status: 400, approval: "apr-0001", attempt: 1 });
    expectCleanLogs();
  });

  it("gives up after maxAttempts and removes the delivery", async () => {
    const receiver = await startReceiver([{ status: 500 }, { status: 500 }, { status: 500 }]);
    const metrics = new Registry();
    const n = notifier({ url: receiver.url, metrics, maxAttempts: 3 });
    await n.start();
    n.publish(event("created"));
    await n.idle();

    expect(receiver.requests).toHaveLength(3);
    expect(await outbox.pending()).toEqual([]);
    expect(await counted(metrics, "failed")).toBe(1);
    expect(logs.entries().some((e) => e.msg === "approval webhook failed 3 times; dropped")).toBe(
      true,
    );
  });

  it("delivers the events of one approval in order, even when the first is retried", async () => {
    const receiver = await startReceiver([{ status: 500 }]);
    const n = notifier({ url: receiver.url });
    await n.start();
    n.publish(event("created"));
    n.publish(event("approved", approval("apr-0001", { state: ApprovalState.APPROVED })));
    await n.idle();

    expect(receiver.requests.map((r) => r.headers["vigil-event"])).toEqual([
      "approval.created",
      "approval.created",
      "approval.approved",
    ]);
  });

  it("does not hold one approval's notifications back while another's is retried", async () => {
    // Retry-After makes the retry wait a full second, so the other approval's turn is certain.
    const receiver = await startReceiver([{ status: 503, headers: { "retry-after": "1" } }]);
    const n = notifier({ url: receiver.url, maxDelayMs: 2_000 });
    await n.start();
    n.publish(event("created", approval("apr-a")));
    n.publish(event("created", approval("apr-b")));
    await n.idle();

    const order = receiver.requests.map((r) => JSON.parse(r.body).approval.id);
    expect(order).toEqual(["apr-a", "apr-b", "apr-a"]);
  });

  it("keeps an undelivered notification across a restart and delivers it after", async () => {
    const watched = watchedFetch();
    const down = notifier({
      url: `http://127.0.0.1:${await closedPort()}${urlPath}`,
      fetch: watched.fetch,
      maxAttempts: 50,
    });
    await down.start();
    down.publish(event("created"));
    await watched.firstFailure;
    await down.close();
    await root.close();

    await openOutbox();
    const stored = await outbox.pending();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.attempts).toBeGreaterThanOrEqual(1);

    const receiver = await startReceiver();
    const up = notifier({ url: receiver.url });
    await up.start();
    const request = await receiver.nth(1);
    expect(request.headers["vigil-delivery"]).toBe(stored[0]?.id);
    expect(request.body).toBe(stored[0]?.body);
    expect(verifyWebhookSignature(secret, request.headers["vigil-signature"], request.body)).toBe(
      true,
    );
    await up.idle();
    expect(await outbox.pending()).toEqual([]);
  });

  it("formats a Slack message with a summary and no secret", async () => {
    const receiver = await startReceiver();
    const n = notifier({
      url: receiver.url,
      format: "slack",
      consoleUrl: "https://vigil.example.com/",
      events: ["approved"],
    });
    await n.start();
    const longPreview = `${"x".repeat(600)}TAIL-AFTER-500`;
    n.publish(
      event(
        "approved",
        approval("apr-0001", {
          state: ApprovalState.APPROVED,
          principal: { id: "mallory <!channel>", kind: PrincipalKind.AGENT },
          requesterId: "agent-proxy-7",
          contentPreview: `token [REDACTED:github-pat] \`\`\` ${longPreview}`,
          votes: [
            {
              reviewerId: "bob@example.com",
              verdict: Verdict.APPROVE,
              comment: "ok for the release",
              group: "sre-oncall",
              time: timestampFromDate(new Date("2030-01-02T03:10:00Z")),
            },
          ],
          decidedAt: timestampFromDate(new Date("2030-01-02T03:10:00Z")),
        }),
      ),
    );
    await n.idle();

    const [request] = receiver.requests;
    if (!request) throw new Error("no request");
    const body = JSON.parse(request.body);
    expect(typeof body.text).toBe("string");
    expect(body.text).toContain("secret.read");
    expect(Array.isArray(body.blocks)).toBe(true);
    const blocks = JSON.stringify(body.blocks);
    for (const expected of [
      "secret.read",
      "secret/prod/deploy-key",
      "via `agent-proxy-7`",
      "production secrets need an on-call approval",
      "approved",
      "bob@example.com",
      "ok for the release",
      "<!date^",
      "https://vigil.example.com/approvals/apr-0001",
      "[REDACTED:github-pat]",
    ]) {
      expect(blocks).toContain(expected);
    }
    // The requester's text cannot ping the channel, and the preview is cut short.
    expect(request.body).not.toContain("<!channel>");
    expect(request.body).toContain("&lt;!channel&gt;");
    expect(request.body).not.toContain("TAIL-AFTER-500");
    // No secret-looking value from anywhere: not the signing secret, nor the URL's credential.
    expect(request.body).not.toContain(secret.toString());
    expect(request.body).not.toContain(secret.toString("hex"));
    expect(request.body).not.toContain("urlpathcredential");
    expect(request.body).not.toMatch(/ghp_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|whsec-/);
    expect(verifyWebhookSignature(secret, request.headers["vigil-signature"], request.body)).toBe(
      true,
    );
    expectCleanLogs();
  });
});

describe("verifyWebhookSignature", () => {
  const body = JSON.stringify({ type: "approval.created" });
  const signedAt = new Date("2030-01-02T03:04:05Z");
  const header = signWebhook(secret, body, signedAt);
  const now = new Date(signedAt.getTime() + 10_000);

  it("accepts the signature of the body as sent", () => {
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, header, body, { now })).toBe(true);
    expect(verifyWebhookSignature(secret, header, Buffer.from(body), { now })).toBe(true);
  });

  it("rejects a wrong secret", () => {
    expect(verifyWebhookSignature(Buffer.from("another secret"), header, body, { now })).toBe(
      false,
    );
  });

  it("rejects a changed body", () => {
    expect(
      verifyWebhookSignature(secret, header, body.replace("created", "approved"), { now }),
    ).toBe(false);
  });

  it("rejects a stale or future timestamp", () => {
    const later = new Date(signedAt.getTime() + 301_000);
    const earlier = new Date(signedAt.getTime() - 301_000);
    expect(verifyWebhookSignature(secret, header, body, { now: later })).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, { now: earlier })).toBe(false);
    expect(
      verifyWebhookSignature(secret, header, body, { now: later, toleranceSeconds: 600 }),
    ).toBe(true);
  });

  it("rejects a re-timed signature and malformed headers", () => {
    const v1 = header.split(",v1=")[1];
    const retimed = `t=${Math.floor(now.getTime() / 1000)},v1=${v1}`;
    expect(verifyWebhookSignature(secret, retimed, body, { now })).toBe(false);
    for (const bad of [undefined, null, "", "v1=abc", "t=1", [header, header]]) {
      expect(verifyWebhookSignature(secret, bad, body, { now })).toBe(false);
    }
  });
});
