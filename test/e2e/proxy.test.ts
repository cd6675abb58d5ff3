import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ApprovalService, Verdict } from "../../gen/vigil/v1/approval_pb.js";
import { AuditRecordKind } from "../../gen/vigil/v1/audit_pb.js";
import { RecordEventKind } from "../../gen/vigil/v1/policy_service_pb.js";
import { tokenHash } from "../../server/src/auth/api-tokens.js";
import { auditClient } from "../../server/src/cli/server-client.js";
import { projectRoot } from "../../server/src/main.js";
import { captureProcessLines } from "../support/process-logs.js";
import {
  freePort,
  removeDir,
  startVigil,
  tempDir,
  type VigilProcess,
} from "../support/vigil-process.js";

/** Format-valid, obviously synthetic credentials, built so no scanner flags this file. */
const githubToken = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ".slice(0, 36)}`;
const awsKeyId = `AKIA${"Q3VZ7XK2M5RTNW4P"}`;
/** The provider key only the proxy holds; no detector knows its format, only registration masks it. */
const upstreamKey = `upk_${"7f3a9c1e5b8d2f4a6c0e9b7d5f3a1c8e"}`;
const tokens = {
  agent: "vgl_test_proxy_agent_3f9a1c7e",
  offboarded: "vgl_test_proxy_offboarded_8b2d",
  proxy: "vgl_test_proxy_itself_5e6f7a8b",
  alice: "vgl_test_proxy_alice_1a2b3c4d",
};
const secretBody = githubToken.slice(4, 24);

/** One request the fake LLM upstream received. */
interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  model: string;
  streaming: boolean;
  aborted: boolean;
}

/** A fake LLM upstream: records every request and answers by model name. */
function startFakeUpstream() {
  const seen: Seen[] = [];
  const answer = `Here is the token: ${githubToken}, and the key id ${awsKeyId}. Done.`;
  const server = http.createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const json = JSON.parse(body);
    const entry: Seen = {
      path: req.url ?? "",
      headers: req.headers,
      body,
      model: json.model,
      streaming: false,
      aborted: false,
    };
    seen.push(entry);
    res.on("close", () => {
      if (!res.writableFinished) entry.aborted = true;
    });
    if (json.model === "hang") return;
    if (json.model === "garbage") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`<html>oops ${githubToken}</html>`);
      return;
    }
    if (!json.stream) {
      res.writeHead(200, { "content-type": "application/json", "x-request-id": "req_fake_1" });
      res.end(
        JSON.stringify({
          id: "chatcmpl-1",
          object: "chat.completion",
          model: json.model,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: `${answer} Your key is ${upstreamKey}.` },
              finish_reason: "stop",
            },
          ],
        }),
      );
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    entry.streaming = true;
    const delay = { "slow-stream": 20, "slow-secrets": 5 }[json.model as string] ?? 1;
    const text =
      json.model === "slow-stream"
        ? "tick ".repeat(400)
        : json.model === "slow-secrets"
          ? `${answer} `.repeat(30)
          : answer;
    const pieces = text.match(/.{1,3}/gs) ?? [];
    const events = req.url === "/v1/messages" ? anthropicEvents(pieces) : openAiEvents(pieces);
    if (json.model === "garbage-stream") events.splice(events.length - 3, 0, "data: <html>\n\n");
    for (const event of events) {
      if (res.destroyed) return;
      res.write(event);
      await new Promise((r) => setTimeout(r, delay));
    }
    res.end();
  });
  return { server, seen };
}

function openAiEvents(pieces: string[]): string[] {
  const chunk = (choice: unknown, extra = {}) =>
    `data: ${JSON.stringify({ id: "chatcmpl-2", object: "chat.completion.chunk", created: 1, model: "m", choices: [choice], ...extra })}\n\n`;
  return [
    chunk({ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }),
    ...pieces.map((p) => chunk({ index: 0, delta: { content: p }, finish_reason: null })),
    chunk({ index: 0, delta: {}, finish_reason: "stop" }),
    `data: ${JSON.stringify({ id: "chatcmpl-2", object: "chat.completion.chunk", choices: [], usage: { total_tokens: 9 } })}\n\n`,
    "data: [DONE]\n\n",
  ];
}

function anthropicEvents(pieces: string[]): string[] {
  const event = (type: string, data: object) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  return [
    event("message_start", { message: { id: "msg_1", role: "assistant", content: [] } }),
    event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    event("ping", {}),
    ...pieces.map((p) =>
      event("content_block_delta", { index: 0, delta: { type: "text_delta", text: p } }),
    ),
    event("content_block_stop", { index: 0 }),
    event("message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: 9 } }),
    event("message_stop", {}),
  ];
}

/** A running `vigil proxy` child process. */
interface ProxyProcess {
  url: string;
  output: string[];
  child: ChildProcess;
  stop(): Promise<number | null>;
}

async function startProxy(args: string[]): Promise<ProxyProcess> {
  const child = spawn(
    process.execPath,
    ["bin/vigil.js", "proxy", "--listen", "127.0.0.1:0", ...args],
    {
      cwd: projectRoot,
      env: { ...process.env, VIGIL_TOKEN: tokens.proxy },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const output: string[] = [];
  const capture = captureProcessLines("proxy", child);
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`proxy did not start:\n${output.join("\n")}`)),
      30_000,
    );
    exited.then((code) => reject(new Error(`proxy exited with ${code}:\n${output.join("\n")}`)));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        output.push(line);
        capture(line);
        const entry = JSON.parse(line.startsWith("{") ? line : "{}");
        if (entry.msg === "listening") {
          clearTimeout(timer);
          resolve(entry.port);
        }
      });
    }
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

let dir: string;
let serverTokens: string;
let vigil: VigilProcess;
let upstream: ReturnType<typeof startFakeUpstream>;
let upstreamUrl: string;
/** The flags every proxy here shares: upstream, key file, callers. */
let common: string[];
const proxies: Record<"openai" | "anthropic" | "unreachable" | "production", ProxyProcess> =
  {} as never;

beforeAll(async () => {
  dir = await tempDir("vigil-proxy-e2e-");
  const entry = (id: string, token: string, groups: string[] = [], roles: string[] = []) =>
    `[[tokens]]\nid = "${id}"\nsha256 = "${tokenHash(token)}"\ngroups = ${JSON.stringify(groups)}\nroles = ${JSON.stringify(roles)}\n`;
  serverTokens = join(dir, "server-tokens.toml");
  await writeFile(
    serverTokens,
    [
      entry("proxy@example.com", tokens.proxy, [], ["client"]),
      entry("alice@example.com", tokens.alice, ["sre-oncall"], ["approver", "auditor"]),
    ].join("\n"),
  );
  const callers = join(dir, "callers.toml");
  await writeFile(
    callers,
    [entry("agent:release-bot", tokens.agent), entry("svc:contractor-etl", tokens.offboarded)].join(
      "\n",
    ),
  );
  const keyFile = join(dir, "upstream.key");
  await writeFile(keyFile, `${upstreamKey}\n`, { mode: 0o600 });
  upstream = startFakeUpstream();
  upstream.server.listen(0, "127.0.0.1");
  await once(upstream.server, "listening");
  upstreamUrl = `http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}`;
  const closedPort = await freePort();
  vigil = await startVigil({
    policy: inject("defaultBundlePath"),
    args: ["--auth-tokens", serverTokens],
  });
  common = ["--upstream", upstreamUrl, "--upstream-key-file", keyFile, "--callers", callers];
  const withServer = [...common, "--server", vigil.baseUrl, "--upstream-timeout", "2.5"];
  const [openai, anthropic, unreachable, production] = await Promise.all([
    startProxy([...withServer, "--api", "openai"]),
    startProxy([...withServer, "--api", "anthropic"]),
    startProxy([...common, "--api", "openai", "--server", `http://127.0.0.1:${closedPort}`]),
    startProxy([
      ...withServer,
      "--api",
      "openai",
      "--attr",
      "environment=production",
      "--approval-timeout",
      "30",
    ]),
  ]);
  Object.assign(proxies, { openai, anthropic, unreachable, production });
});

afterAll(async () => {
  await Promise.all(Object.values(proxies).map((p) => p.stop()));
  upstream?.server.closeAllConnections();
  upstream?.server.close();
  await vigil?.stop();
  if (vigil) await removeDir(vigil.dataDir);
  await removeDir(dir);
});

/** POSTs a body to a proxy; resolves with the status, headers and raw body bytes as text. */
async function post(
  url: string,
  body: object,
  headers: Record<string, string> = { authorization: `Bearer ${tokens.agent}` },
) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const chat = (model: string, extra: object = {}) => ({
  model,
  messages: [
    { role: "system", content: "You are a release assistant." },
    { role: "user", content: `Deploy with ${githubToken} and key id ${awsKeyId}, please.` },
  ],
  ...extra,
});

/** The upstream requests for one model name (each test uses its own). */
const forwarded = (model: string) => upstream.seen.filter((s) => s.model === model);

/** The text of an OpenAI event stream, and its parsed events. */
function openAiStream(text: string) {
  const events = text.split("\n\n").filter((e) => e.startsWith("data: "));
  const data = events.map((e) => e.slice(6));
  const chunks = data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d));
  const content = chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("");
  return { data, chunks, content };
}

async function recordedEvents(sessionId: string) {
  const audit = auditClient(vigil.baseUrl, tokens.alice);
  let events: Awaited<ReturnType<typeof audit.queryRecords>>["records"] = [];
  await expect
    .poll(async () => {
      const res = await audit.queryRecords({ filter: { sessionId, kind: AuditRecordKind.EVENT } });
      events = res.records;
      return events.length;
    })
    .toBe(2);
  return events;
}

/** JSON of a message (its uint64 fields are bigints). */
const stringify = (value: unknown) =>
  JSON.stringify(value, (_, v) => (typeof v === "bigint" ? String(v) : v));

function expectNoRawSecret(text: string) {
  expect(text).not.toContain(githubToken);
  expect(text).not.toContain(secretBody);
  expect(text).not.toContain(awsKeyId);
  expect(text).not.toContain(upstreamKey);
}

describe("vigil proxy, OpenAI style", () => {
  it("injects the key, masks the prompt and the answer, and records both", async () => {
    const res = await post(`${proxies.openai.url}/v1/chat/completions`, chat("gpt-plain"), {
      authorization: `Bearer ${tokens.agent}`,
      "x-vigil-session": "proxy-e2e-plain",
      cookie: "session=abc",
    });
    expect(res.status).toBe(200);
    const [sent] = forwarded("gpt-plain");
    expect(sent?.headers.authorization).toBe(`Bearer ${upstreamKey}`);
    expect(JSON.stringify(sent?.headers)).not.toContain(tokens.agent);
    expect(sent?.headers.cookie).toBeUndefined();
    expect(sent?.headers["x-vigil-session"]).toBeUndefined();
    expectNoRawSecret(sent?.body ?? "");
    expect(sent?.body).toContain("[REDACTED:github-pat]");
    expect(JSON.parse(sent?.body ?? "").messages[0].content).toBe("You are a release assistant.");
    expectNoRawSecret(res.text);
    const answer = JSON.parse(res.text).choices[0].message.content;
    expect(answer).toContain("[REDACTED:github-pat]");
    expect(answer).toContain("Your key is [REDACTED:registered].");
    expect(res.headers.get("x-request-id")).toBe("req_fake_1");
    const decisionId = res.headers.get("x-vigil-decision-id");
    const events = await recordedEvents("proxy-e2e-plain");
    expect(events.map((e) => e.eventKind)).toEqual([
      RecordEventKind.REQUEST,
      RecordEventKind.RESPONSE,
    ]);
    for (const event of events) {
      expect(event.decisionId).toBe(decisionId);
      expect(event.principal?.id).toBe("agent:release-bot");
      expect(event.resource?.id).toBe("openai:gpt-plain");
      expectNoRawSecret(stringify(event.contents));
    }
  });

  it("masks a secret split over many streamed deltas, keeping the event structure", async () => {
    const res = await post(
      `${proxies.openai.url}/v1/chat/completions`,
      chat("gpt-stream", { stream: true }),
      { authorization: `Bearer ${tokens.agent}`, "x-vigil-session": "proxy-e2e-stream" },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expectNoRawSecret(res.text);
    expectNoRawSecret(forwarded("gpt-stream")[0]?.body ?? "");
    const stream = openAiStream(res.text);
    expect(stream.content).toBe(
      "Here is the token: [REDACTED:github-pat], and the key id [REDACTED:aws-access-key-id]. Done.",
    );
    expect(stream.chunks[0].choices[0].delta.role).toBe("assistant");
    const finish = stream.chunks.findIndex((c) => c.choices[0]?.finish_reason === "stop");
    expect(finish).toBe(stream.chunks.length - 2);
    expect(stream.chunks.at(-1).usage).toEqual({ total_tokens: 9 });
    expect(stream.data.at(-1)).toBe("[DONE]");
    const events = await recordedEvents("proxy-e2e-stream");
    const response = events.find((e) => e.eventKind === RecordEventKind.RESPONSE);
    expect(response?.contents[0]?.body).toEqual({ case: "text", value: stream.content });
  });

  it("refuses an unknown caller token with 401 and forwards nothing", async () => {
    const res = await post(`${proxies.openai.url}/v1/chat/completions`, chat("gpt-unknown"), {
      authorization: "Bearer vgl_not_a_caller_token",
    });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text).error.code).toBe("invalid_api_key");
    const missing = await post(
      `${proxies.openai.url}/v1/chat/completions`,
      chat("gpt-unknown"),
      {},
    );
    expect(missing.status).toBe(401);
    expect(forwarded("gpt-unknown")).toEqual([]);
  });

  it("answers 403 with the policy's reasons for a denied principal and forwards nothing", async () => {
    const res = await post(`${proxies.openai.url}/v1/chat/completions`, chat("gpt-denied"), {
      authorization: `Bearer ${tokens.offboarded}`,
    });
    expect(res.status).toBe(403);
    const error = JSON.parse(res.text).error;
    expect(error.type).toBe("permission_error");
    expect(error.message).toContain("offboarded_identity");
    expectNoRawSecret(res.text);
    expect(forwarded("gpt-denied")).toEqual([]);
  });

  it("answers 400 for a body that is not JSON, 404 for another path", async () => {
    const bad = await fetch(`${proxies.openai.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.agent}` },
      body: `{"model": "gpt-bad", ${githubToken}`,
    });
    expect(bad.status).toBe(400);
    expectNoRawSecret(await bad.text());
    const other = await post(`${proxies.openai.url}/v1/embeddings`, chat("gpt-bad"));
    expect(other.status).toBe(404);
    expect(forwarded("gpt-bad")).toEqual([]);
  });

  it("fails closed with 503 when Vigil cannot be reached", async () => {
    const res = await post(`${proxies.unreachable.url}/v1/chat/completions`, chat("gpt-no-vigil"));
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text).error.code).toBe("vigil_unavailable");
    expect(forwarded("gpt-no-vigil")).toEqual([]);
  });

  it("answers 504 when the upstream hangs, within the timeout", async () => {
    const started = Date.now();
    const res = await post(`${proxies.openai.url}/v1/chat/completions`, chat("hang"));
    expect(res.status).toBe(504);
    expect(JSON.parse(res.text).error.code).toBe("upstream_timeout");
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it("answers 502 for garbage from the upstream and drops it", async () => {
    const res = await post(`${proxies.openai.url}/v1/chat/completions`, chat("garbage"));
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text).error.code).toBe("upstream_error");
    expectNoRawSecret(res.text);
  });

  it("ends a stream with an error event when the upstream sends garbage mid-stream", async () => {
    const res = await post(
      `${proxies.openai.url}/v1/chat/completions`,
      chat("garbage-stream", { stream: true }),
    );
    expect(res.status).toBe(200);
    expectNoRawSecret(res.text);
    const stream = openAiStream(res.text);
    expect(stream.chunks.at(-1).error.code).toBe("upstream_error");
    expect(stream.chunks.some((c) => c.choices?.[0]?.finish_reason)).toBe(false);
    expect(stream.data).not.toContain("[DONE]");
  });

  it("aborts the upstream request when the caller disconnects mid-stream", async () => {
    const req = http.request(`${proxies.openai.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.agent}`, "content-type": "application/json" },
    });
    req.on("error", () => {});
    req.end(JSON.stringify(chat("slow-stream", { stream: true })));
    await expect.poll(() => forwarded("slow-stream")[0]?.streaming).toBe(true);
    req.destroy();
    await expect.poll(() => forwarded("slow-stream")[0]?.aborted, { timeout: 5_000 }).toBe(true);
  });

  it("waits for a reviewer when the policy requires approval, then forwards", async () => {
    const pending = post(`${proxies.production.url}/v1/chat/completions`, chat("gpt-prod"));
    const id = await pendingApproval("openai:gpt-prod");
    expect(forwarded("gpt-prod")).toEqual([]);
    await reviewer().decideApproval({ id, verdict: Verdict.APPROVE, comment: "release window" });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(forwarded("gpt-prod")).toHaveLength(1);
  });

  it("answers 403 naming the approval when the reviewer denies, and forwards nothing", async () => {
    const pending = post(`${proxies.production.url}/v1/chat/completions`, chat("gpt-prod-no"));
    const id = await pendingApproval("openai:gpt-prod-no");
    await reviewer().decideApproval({ id, verdict: Verdict.DENY, comment: "not now" });
    const res = await pending;
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text).error.message).toBe(`approval ${id} is denied; denied`);
    expect(forwarded("gpt-prod-no")).toEqual([]);
  });
});

/** An ApprovalService client for Alice, an sre-oncall reviewer. */
function reviewer() {
  return createClient(
    ApprovalService,
    createGrpcTransport({
      baseUrl: vigil.baseUrl,
      interceptors: [
        (next) => (r) => {
          r.header.set("authorization", `Bearer ${tokens.alice}`);
          return next(r);
        },
      ],
    }),
  );
}

/** Waits until an approval for the resource is pending; its id. */
async function pendingApproval(resourceId: string): Promise<string> {
  let id = "";
  await expect
    .poll(async () => {
      const inbox = await reviewer().listApprovals({});
      id = inbox.approvals.find((a) => a.resource?.id === resourceId)?.id ?? "";
      return id;
    })
    .not.toBe("");
  return id;
}

describe("vigil proxy when Vigil dies mid-stream", () => {
  it("ends the stream with an error event, sends nothing unmasked, and aborts the upstream", async () => {
    const doomed = await startVigil({
      policy: inject("defaultBundlePath"),
      args: ["--auth-tokens", serverTokens],
    });
    const proxy = await startProxy([...common, "--api", "openai", "--server", doomed.baseUrl]);
    try {
      const res = await fetch(`${proxy.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens.agent}`, "content-type": "application/json" },
        body: JSON.stringify(chat("slow-secrets", { stream: true })),
      });
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let received = "";
      // Masked text flows once the stream is past the carry window; then Vigil dies.
      while (!received.includes("[REDACTED:github-pat]")) {
        const next = await reader.read();
        if (next.done) break;
        received += decoder.decode(next.value, { stream: true });
      }
      await doomed.stop("SIGKILL");
      for (let next = await reader.read(); !next.done; next = await reader.read()) {
        received += decoder.decode(next.value, { stream: true });
      }
      expectNoRawSecret(received);
      const stream = openAiStream(received);
      expect(stream.content).toContain("[REDACTED:github-pat]");
      expect(stream.chunks.at(-1).error.code).toBe("vigil_unavailable");
      expect(stream.data).not.toContain("[DONE]");
      await expect.poll(() => forwarded("slow-secrets")[0]?.aborted).toBe(true);
    } finally {
      await proxy.stop();
      await removeDir(doomed.dataDir);
    }
  });
});

describe("vigil proxy, Anthropic style", () => {
  it("injects x-api-key and masks a secret split over streamed text deltas", async () => {
    const res = await post(
      `${proxies.anthropic.url}/v1/messages`,
      {
        model: "claude-stream",
        max_tokens: 100,
        stream: true,
        system: [{ type: "text", text: `Use ${awsKeyId} when asked.` }],
        messages: [{ role: "user", content: [{ type: "text", text: `Push with ${githubToken}` }] }],
      },
      {
        "x-api-key": tokens.agent,
        "anthropic-version": "2023-06-01",
        "x-vigil-session": "proxy-e2e-claude",
      },
    );
    expect(res.status).toBe(200);
    const [sent] = forwarded("claude-stream");
    expect(sent?.headers["x-api-key"]).toBe(upstreamKey);
    expect(sent?.headers.authorization).toBeUndefined();
    expect(sent?.headers["anthropic-version"]).toBe("2023-06-01");
    expectNoRawSecret(sent?.body ?? "");
    expectNoRawSecret(res.text);
    const events = res.text
      .split("\n\n")
      .filter(Boolean)
      .map((e) => JSON.parse(e.split("\n")[1]?.slice(6) ?? "{}"));
    const text = events
      .filter((e) => e.type === "content_block_delta")
      .map((e) => e.delta.text)
      .join("");
    expect(text).toBe(
      "Here is the token: [REDACTED:github-pat], and the key id [REDACTED:aws-access-key-id]. Done.",
    );
    expect(events.map((e) => e.type).slice(-3)).toEqual([
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const recorded = await recordedEvents("proxy-e2e-claude");
    for (const event of recorded) expectNoRawSecret(stringify(event.contents));
  });

  it("answers an unknown caller in Anthropic's error shape", async () => {
    const res = await post(
      `${proxies.anthropic.url}/v1/messages`,
      { model: "claude-unknown", max_tokens: 1, messages: [] },
      { "x-api-key": "vgl_not_a_caller_token" },
    );
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text)).toMatchObject({
      type: "error",
      error: { type: "authentication_error" },
    });
    expect(forwarded("claude-unknown")).toEqual([]);
  });
});

describe("vigil proxy process", () => {
  it("logs one line per exchange, without prompts, secrets or tokens", () => {
    const lines = proxies.openai.output.map((l) => JSON.parse(l));
    const exchanges = lines.filter((l) => l.msg === "exchange");
    expect(exchanges.length).toBeGreaterThanOrEqual(8);
    expect(exchanges.find((l) => l.model === "hang")).toMatchObject({
      status: 504,
      outcome: "upstream_timeout",
    });
    const all = proxies.openai.output.join("\n");
    expectNoRawSecret(all);
    expect(all).not.toContain(tokens.agent);
    expect(all).not.toContain("Deploy with");
  });

  it("stops cleanly on SIGTERM", async () => {
    expect(await proxies.unreachable.stop()).toBe(0);
    expect(proxies.unreachable.output.join("\n")).not.toContain(upstreamKey);
  });
});
