import { writeFile } from "node:fs/promises";
import { connect } from "node:http2";
import * as net from "node:net";
import { join } from "node:path";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { type CallOptions, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../gen/grpc/health/v1/health_pb.js";
import { ContentKind, PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import { PolicyService, RecordEventKind } from "../../gen/vigil/v1/policy_service_pb.js";
import { tokenHash } from "../../server/src/auth/api-tokens.js";
import { expectConnectError } from "../support/connect-error.js";
import { ordinaryRead } from "../support/requests.js";
import { transportCases } from "../support/transports.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "../support/vigil-process.js";

// Two API tokens with the client role: two callers, each with its own budget.
const alpha = "vgl_test_limits_alpha_4d2f9c";
const beta = "vgl_test_limits_beta_8e1a7b";
const bearer = (token: string | undefined): CallOptions =>
  token ? { headers: { authorization: `Bearer ${token}` } } : {};

/** The two HTTP/2 protocols that carry the client streams these tests hold open. */
const streamingTransports = [
  { name: "gRPC", create: (baseUrl: string) => createGrpcTransport({ baseUrl }) },
  {
    name: "Connect",
    create: (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: "2" }),
  },
];

let dir: string;
/** Small per-caller and server limits, callers authenticated by token. */
let callers: VigilProcess;
/** A rate limit of 1 call/s with a burst of 3. */
let rated: VigilProcess;
/** A 150 ms request deadline. */
let deadlined: VigilProcess;

beforeAll(async () => {
  dir = await tempDir("vigil-limits-");
  const tokens = join(dir, "tokens.toml");
  await writeFile(
    tokens,
    [alpha, beta]
      .map(
        (token, i) =>
          `[[tokens]]\nid = "svc-${i}"\nsha256 = "${tokenHash(token)}"\nroles = ["client"]\n`,
      )
      .join("\n"),
  );
  const policy = inject("defaultBundlePath");
  const auth = ["--auth-tokens", tokens, "--auth-anonymous-roles", "client"];
  [callers, rated, deadlined] = await Promise.all([
    startVigil({
      policy,
      args: [
        ...auth,
        "--max-concurrent-per-caller",
        "2",
        "--max-in-flight",
        "5",
        "--max-json-depth",
        "8",
        "--max-streams-per-connection",
        "64",
        "--http1-headers-timeout-ms",
        "500",
      ],
    }),
    startVigil({
      policy,
      args: [...auth, "--rate-limit-per-caller", "1", "--rate-limit-burst", "3"],
    }),
    startVigil({ policy, args: ["--request-timeout-ms", "150", "--redact-timeout-ms", "60000"] }),
  ]);
});

afterAll(async () => {
  for (const vigil of [callers, rated, deadlined]) {
    await vigil?.stop();
    if (vigil) await removeDir(vigil.dataDir);
  }
  if (dir) await removeDir(dir);
});

const smallRedact = {
  content: { kind: ContentKind.LOG, body: { case: "text" as const, value: "hello" } },
};

/** A RecordStream held open after its first event until `end()` or `cancel()`. */
function holdRecordStream(
  policy: ReturnType<typeof createClient<typeof PolicyService>>,
  options: CallOptions,
) {
  let end = () => {};
  const ended = new Promise<void>((resolve) => {
    end = resolve;
  });
  const abort = new AbortController();
  const cancelled = new Promise<void>((resolve) =>
    abort.signal.addEventListener("abort", () => resolve()),
  );
  async function* events() {
    yield {
      event: { kind: RecordEventKind.NOTE, principal: { id: "ci", kind: PrincipalKind.CI_JOB } },
    };
    await Promise.race([ended, cancelled]);
  }
  const answer = policy
    .recordStream(events(), { ...options, signal: abort.signal })
    .catch((error: unknown) => ConnectError.from(error));
  return { end, cancel: () => abort.abort(), answer };
}

/**
 * Opens `slots + 1` held streams: whichever reaches the server last is refused. Returns its
 * answer and the streams that stay open, each holding a slot until ended.
 */
async function holdMoreThan(slots: number, hold: () => ReturnType<typeof holdRecordStream>) {
  const held = Array.from({ length: slots + 1 }, hold);
  const first = await Promise.race(held.map((stream, i) => stream.answer.then(() => i)));
  return { shed: await held[first]?.answer, open: held.filter((_, i) => i !== first) };
}

/**
 * Calls until the server refuses with ResourceExhausted and returns that error. A held stream
 * takes its slot when the server has read its headers, so calls go through until then.
 */
async function refusal(call: () => Promise<unknown>): Promise<ConnectError> {
  let error: ConnectError | undefined;
  await vi.waitFor(
    async () => {
      error = await call().then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(error?.code).toBe(Code.ResourceExhausted);
    },
    { timeout: 15_000, interval: 50 },
  );
  return error as ConnectError;
}

/** Calls until the call succeeds: slots come back once the server has seen the streams end. */
async function servedAgain(call: () => Promise<unknown>): Promise<void> {
  await vi.waitFor(() => call(), { timeout: 15_000, interval: 50 });
}

/** The value of `vigil_limit_refusals_total{limit}` in a server's /metrics. */
async function refusals(vigil: VigilProcess, limit: string): Promise<number> {
  const text = await (await fetch(`${vigil.baseUrl}/metrics`)).text();
  const match = new RegExp(`^vigil_limit_refusals_total\\{limit="${limit}"\\} (\\d+)$`, "m").exec(
    text,
  );
  return Number(match?.[1] ?? 0);
}

describe.each(streamingTransports)("per-caller concurrency over $name", (transport) => {
  const policy = () => createClient(PolicyService, transport.create(callers.baseUrl));

  it("refuses a caller over --max-concurrent-per-caller, serves another caller, and serves it again once its streams end", async () => {
    const client = policy();
    const { shed, open } = await holdMoreThan(2, () => holdRecordStream(client, bearer(alpha)));
    const message =
      "this call is over the per-caller concurrency limit of 2 calls in flight (server flag --max-concurrent-per-caller); retry when earlier calls or streams have ended";
    expect(shed).toMatchObject({ code: Code.ResourceExhausted, rawMessage: message });
    const error = await expectConnectError(client.redact(smallRedact, bearer(alpha)));
    expect([error.code, error.rawMessage]).toEqual([Code.ResourceExhausted, message]);
    expect((await client.redact(smallRedact, bearer(beta))).content?.body.value).toBe("hello");
    for (const stream of open) stream.end();
    for (const stream of open) expect(await stream.answer).toMatchObject({ eventsRecorded: 1n });
    await servedAgain(() => client.redact(smallRedact, bearer(alpha)));
  });

  it("gives the slots of cancelled streams back", async () => {
    const client = policy();
    const { open } = await holdMoreThan(2, () => holdRecordStream(client, bearer(alpha)));
    for (const stream of open) stream.cancel();
    for (const stream of open) expect(await stream.answer).toMatchObject({ code: Code.Canceled });
    await servedAgain(() => client.redact(smallRedact, bearer(alpha)));
  });
});

describe("load shedding", () => {
  it("sheds calls over --max-in-flight from every caller, still answers health checks, and recovers", async () => {
    const grpc = createClient(PolicyService, createGrpcTransport({ baseUrl: callers.baseUrl }));
    const connect11 = createClient(
      PolicyService,
      createConnectTransport({ baseUrl: callers.baseUrl, httpVersion: "1.1" }),
    );
    // Six streams for five slots: whichever arrives last is shed, and the five stay in flight.
    const held = [alpha, alpha, beta, beta, undefined, undefined].map((token) =>
      holdRecordStream(grpc, bearer(token)),
    );
    const shed = await Promise.race(held.map((stream) => stream.answer));
    expect(shed).toMatchObject({
      code: Code.ResourceExhausted,
      rawMessage:
        "this call is over the server's in-flight limit of 5 calls (server flag --max-in-flight); the server is shedding load, retry later",
    });
    for (const token of [undefined, beta]) {
      const error = await expectConnectError(connect11.redact(smallRedact, bearer(token)));
      expect([error.code, error.rawMessage]).toEqual([
        Code.ResourceExhausted,
        (shed as ConnectError).rawMessage,
      ]);
    }
    const health = createClient(Health, createGrpcTransport({ baseUrl: callers.baseUrl }));
    expect((await health.check({})).status).toBe(ServingStatus.SERVING);
    for (const stream of held) stream.end();
    await Promise.all(held.map((stream) => stream.answer));
    await servedAgain(() => connect11.redact(smallRedact));
  });
});

/** `{"a":{"a":…1…}}` with `levels` objects. */
function nested(levels: number): JsonObject {
  let value: JsonValue = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value as JsonObject;
}

/** An ordinary Authorize whose resource attributes nest `levels` deep. */
function deepRequest(levels: number) {
  const request = ordinaryRead();
  if (request.resource) request.resource.attributes = nested(levels);
  return request;
}

describe.each(transportCases)("JSON depth over $name", (transport) => {
  it("refuses attributes nested deeper than --max-json-depth, naming the field and the flag", async () => {
    const client = createClient(PolicyService, transport.create(callers.baseUrl));
    expect((await client.authorize(deepRequest(8))).decisionId).not.toBe("");
    const error = await expectConnectError(client.authorize(deepRequest(9)));
    expect([error.code, error.rawMessage]).toEqual([
      Code.ResourceExhausted,
      "resource.attributes is over the JSON depth limit of 8 levels (server flag --max-json-depth); flatten the document",
    ]);
  });
});

describe("JSON depth in a stream", () => {
  it("refuses the streamed event that nests too deep", async () => {
    const client = createClient(PolicyService, createGrpcTransport({ baseUrl: callers.baseUrl }));
    const principal = { id: "ci", kind: PrincipalKind.CI_JOB };
    async function* events() {
      yield { event: { kind: RecordEventKind.NOTE, principal, attributes: nested(3) } };
      yield { event: { kind: RecordEventKind.NOTE, principal, attributes: nested(30) } };
    }
    const error = await expectConnectError(client.recordStream(events()));
    expect([error.code, error.rawMessage]).toEqual([
      Code.ResourceExhausted,
      "event.attributes is over the JSON depth limit of 8 levels (server flag --max-json-depth); flatten the document",
    ]);
  });
});

describe("transport limits", () => {
  it("advertises --max-streams-per-connection in its HTTP/2 settings", async () => {
    const session = connect(callers.baseUrl);
    try {
      const settings = await new Promise<{ maxConcurrentStreams?: number }>((resolve, reject) => {
        session.once("remoteSettings", resolve);
        session.once("error", reject);
      });
      expect(settings.maxConcurrentStreams).toBe(64);
    } finally {
      session.close();
    }
  });

  it("answers 408 and closes an HTTP/1.1 connection whose headers do not arrive within --http1-headers-timeout-ms", async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(callers.port, "127.0.0.1", () =>
        socket.write("POST /vigil.v1.PolicyService/Redact HTTP/1.1\r\nHost: vigil\r\n"),
      );
      let received = "";
      socket.on("data", (chunk) => {
        received += chunk;
      });
      socket.on("close", () => resolve(received));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe("refusal metrics", () => {
  it("counts the refusals above by limit", async () => {
    expect(await refusals(callers, "concurrency_per_caller")).toBeGreaterThanOrEqual(4);
    expect(await refusals(callers, "max_in_flight")).toBeGreaterThanOrEqual(2);
    expect(await refusals(callers, "json_depth")).toBeGreaterThanOrEqual(5);
  });
});

describe.each([
  { name: "gRPC", create: (baseUrl: string) => createGrpcTransport({ baseUrl }) },
  {
    name: "Connect (HTTP/1.1)",
    create: (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: "1.1" }),
  },
])("per-caller rate limit over $name", (transport) => {
  it("refuses a caller over --rate-limit-per-caller, serves another caller, and serves it again after a pause", async () => {
    const client = createClient(PolicyService, transport.create(rated.baseUrl));
    const error = await refusal(() => client.redact(smallRedact, bearer(alpha)));
    expect(error.rawMessage).toMatch(
      /^this call is over the per-caller rate limit of 1 calls\/s with a burst of 3 \(--rate-limit-burst\) \(server flag --rate-limit-per-caller\); retry in \d+ ms$/,
    );
    expect((await client.redact(smallRedact, bearer(beta))).content?.body.value).toBe("hello");
    await servedAgain(() => client.redact(smallRedact, bearer(alpha)));
    expect(await refusals(rated, "rate_per_caller")).toBeGreaterThanOrEqual(1);
  });
});

describe.each([
  { name: "gRPC", create: (baseUrl: string) => createGrpcTransport({ baseUrl }) },
  {
    name: "Connect (h2c)",
    create: (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: "2" }),
  },
])("request deadline over $name", (transport) => {
  const client = () => createClient(PolicyService, transport.create(deadlined.baseUrl));

  it("ends a slow Redact at --request-timeout-ms with DeadlineExceeded, even when the client allows longer", async () => {
    // Masking 3 MiB on a worker takes far longer than 150 ms.
    const big = "lorem ipsum dolor sit amet token=abc\n".repeat(90_000);
    const before = await refusals(deadlined, "request_timeout");
    const error = await expectConnectError(
      client().redact(
        { content: { kind: ContentKind.LOG, body: { case: "text", value: big } } },
        { timeoutMs: 120_000 },
      ),
    );
    expect([error.code, error.rawMessage]).toEqual([
      Code.DeadlineExceeded,
      "the call did not finish within the server's request deadline of 150 ms (server flag --request-timeout-ms)",
    ]);
    expect(await refusals(deadlined, "request_timeout")).toBe(before + 1);
  });

  it("does not cut a stream that lasts longer than --request-timeout-ms", async () => {
    async function* frames() {
      yield { frame: { case: "start" as const, value: { kind: ContentKind.COMPLETION } } };
      for (const word of ["one ", "two ", "three"]) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        yield { frame: { case: "chunk" as const, value: word } };
      }
    }
    let text = "";
    for await (const response of client().redactStream(frames())) text += response.chunk;
    expect(text).toBe("one two three");
  });
});
