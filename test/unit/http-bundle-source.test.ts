import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { BundleFetchError, ConfigError } from "../../server/src/errors.js";
import { redactUrl } from "../../server/src/policy/bundle-download.js";
import type { BundleOrigin, BundleSource } from "../../server/src/policy/bundle-source.js";
import {
  createHttpBundleSource,
  type HttpBundleSourceOptions,
} from "../../server/src/policy/http-bundle-source.js";
import { type CapturedLogs, captureLogs } from "../support/log-capture.js";
import { removeDir, tempDir } from "../support/vigil-process.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface RecordedRequest {
  /** `performance.now()` when the request arrived. */
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  /** The status the server answered with, once it has. */
  status?: number;
}

/** A real HTTP server on 127.0.0.1 that records every request it gets. */
interface BundleServer {
  origin: string;
  requests: RecordedRequest[];
  handle: Handler;
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

type SourceEvent =
  | { kind: "deliver"; archive: Buffer; origin: BundleOrigin }
  | { kind: "fail"; error: unknown };

const servers: BundleServer[] = [];
const sources: BundleSource[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(dirs.splice(0).map(removeDir));
});

async function startServer(handle: Handler): Promise<BundleServer> {
  const requests: RecordedRequest[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    const recorded: RecordedRequest = {
      at: performance.now(),
      path: req.url ?? "",
      headers: req.headers,
    };
    res.on("finish", () => {
      recorded.status = res.statusCode;
    });
    requests.push(recorded);
    for (const wake of waiters.splice(0)) wake();
    bundleServer.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const bundleServer: BundleServer = {
    origin: `http://127.0.0.1:${port}`,
    requests,
    handle,
    async waitForRequests(count) {
      while (requests.length < count) await new Promise<void>((wake) => waiters.push(wake));
      return requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  servers.push(bundleServer);
  return bundleServer;
}

/** Serves `state.body` with `state.etag`, answering 304 to a matching `If-None-Match`. */
function serveBundle(state: { body: Buffer; etag?: string }): Handler {
  return (req, res) => {
    if (state.etag !== undefined && req.headers["if-none-match"] === state.etag) {
      res.writeHead(304).end();
      return;
    }
    const etag = state.etag === undefined ? {} : { etag: state.etag };
    res.writeHead(200, { "content-type": "application/gzip", ...etag }).end(state.body);
  };
}

/** A port nothing listens on: the kernel picked it for a server that is closed again. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Records deliveries and failures in order; `accept` decides what `deliver` resolves. */
function recordEvents(accept: (origin: BundleOrigin) => boolean = () => true) {
  const events: SourceEvent[] = [];
  const waiters: (() => void)[] = [];
  const push = (event: SourceEvent) => {
    events.push(event);
    for (const wake of waiters.splice(0)) wake();
  };
  return {
    events,
    deliveries: () => events.filter((e) => e.kind === "deliver"),
    failures: () => events.flatMap((e) => (e.kind === "fail" ? [e.error] : [])),
    deliver: async (archive: Buffer, origin: BundleOrigin) => {
      push({ kind: "deliver", archive, origin });
      return accept(origin);
    },
    fail: (error: unknown) => push({ kind: "fail", error }),
    async waitFor(count: number): Promise<SourceEvent[]> {
      while (events.length < count) await new Promise<void>((wake) => waiters.push(wake));
      return events;
    },
  };
}

async function newPersistDir(): Promise<string> {
  const dir = await tempDir("vigil-http-source-");
  dirs.push(dir);
  return join(dir, "bundles");
}

function makeSource(
  logs: CapturedLogs,
  options: Partial<HttpBundleSourceOptions> & Pick<HttpBundleSourceOptions, "url" | "persistDir">,
): BundleSource {
  const source = createHttpBundleSource({
    pollIntervalMs: 50,
    minBackoffMs: 20,
    maxBackoffMs: 200,
    requestTimeoutMs: 5_000,
    logger: logs.logger,
    ...options,
  });
  sources.push(source);
  return source;
}

function fetchError(error: unknown): BundleFetchError {
  expect(error).toBeInstanceOf(BundleFetchError);
  return error as BundleFetchError;
}

/** Runs one source to its first accepted download so that `persistDir` holds a copy. */
async function persistOnce(url: string, persistDir: string, body: Buffer, etag: string) {
  const server = await startServer(serveBundle({ body, etag }));
  const source = makeSource(captureLogs(), { url: `${server.origin}${url}`, persistDir });
  await source.start(recordEvents().deliver, () => undefined);
  await source.close();
  return server;
}

const bundleA = Buffer.from("bundle A: opaque bytes for the loader");
const bundleB = Buffer.from("bundle B: other opaque bytes");

describe("polling with ETags", () => {
  it("delivers the first download with its ETag, then sends If-None-Match and delivers nothing on 304", async () => {
    const server = await startServer(serveBundle({ body: bundleA, etag: '"v1"' }));
    const events = recordEvents();
    const source = makeSource(captureLogs(), {
      url: `${server.origin}/bundle.tar.gz`,
      persistDir: await newPersistDir(),
    });
    await source.start(events.deliver, events.fail);
    expect(events.events).toEqual([
      {
        kind: "deliver",
        archive: bundleA,
        origin: { location: `${server.origin}/bundle.tar.gz`, etag: '"v1"' },
      },
    ]);
    // Polls are sequential: the 4th request arriving means the 2nd and 3rd answers were handled.
    const requests = await server.waitForRequests(4);
    expect(requests[0]?.headers["if-none-match"]).toBeUndefined();
    expect(requests[0]?.headers.accept).toBe("application/gzip, application/octet-stream, */*");
    expect(requests.slice(1, 3).map((r) => [r.headers["if-none-match"], r.status])).toEqual([
      ['"v1"', 304],
      ['"v1"', 304],
    ]);
    expect(events.events).toHaveLength(1);
  });

  it("delivers again when the ETag changes", async () => {
    const state = { body: bundleA, etag: '"v1"' };
    const server = await startServer(serveBundle(state));
    const events = recordEvents();
    const source = makeSource(captureLogs(), {
      url: `${server.origin}/bundle.tar.gz`,
      persistDir: await newPersistDir(),
    });
    await source.start(events.deliver, events.fail);
    Object.assign(state, { body: bundleB, etag: '"v2"' });
    const [, second] = await events.waitFor(2);
    expect(second).toMatchObject({ kind: "deliver", archive: bundleB, origin: { etag: '"v2"' } });
  });

  it("does not deliver the same bytes twice when the server sends no ETag", async () => {
    const server = await startServer(serveBundle({ body: bundleA }));
    const events = recordEvents();
    const source = makeSource(captureLogs(), {
      url: `${server.origin}/bundle.tar.gz`,
      persistDir: await newPersistDir(),
    });
    await source.start(events.deliver, events.fail);
    const requests = await server.waitForRequests(4);
    expect(requests.every((r) => r.headers["if-none-match"] === undefined)).toBe(true);
    expect(events.events).toHaveLength(1);
  });

  it("does not persist a rejected bundle and sends its ETag, so it is not downloaded again", async () => {
    const state = { body: bundleA, etag: '"bad"' };
    const server = await startServer(serveBundle(state));
    const persistDir = await newPersistDir();
    const events = recordEvents(() => state.etag !== '"bad"');
    const source = makeSource(captureLogs(), { url: `${server.origin}/b.tar.gz`, persistDir });
    await source.start(events.deliver, events.fail);
    const requests = await server.waitForRequests(4);
    expect(requests.slice(1, 3).map((r) => [r.headers["if-none-match"], r.status])).toEqual([
      ['"bad"', 304],
      ['"bad"', 304],
    ]);
    expect(events.events).toHaveLength(1);
    expect(await readdir(persistDir)).toEqual([]);

    Object.assign(state, { body: bundleB, etag: '"good"' });
    await events.waitFor(2);
    await source.close();
    expect(await readdir(persistDir)).toContain("bundle.json");
  });
});

describe("failures", () => {
  it("reports an HTTP 500 naming the status, without the URL's credentials or query", async () => {
    const server = await startServer((_req, res) => res.writeHead(500).end("boom"));
    const events = recordEvents();
    const source = makeSource(captureLogs(), {
      url: `http://user-secret:pass-secret@${server.origin.slice(7)}/b.tar.gz?token=query-secret`,
      persistDir: await newPersistDir(),
    });
    await source.start(events.deliver, events.fail);
    const error = fetchError(events.failures()[0]);
    expect(error.message).toBe(`fetching bundle from ${server.origin}/b.tar.gz failed: HTTP 500`);
    expect(error.status).toBe(500);
    expect(source.location).toBe(`${server.origin}/b.tar.gz`);
    // The credentials still reach the server, as Basic auth: fetch refuses them in the URL.
    const [request] = server.requests;
    expect(request?.path).toBe("/b.tar.gz?token=query-secret");
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from("user-secret:pass-secret").toString("base64")}`,
    );
  });

  it("reports a refused connection", async () => {
    const events = recordEvents();
    const source = makeSource(captureLogs(), {
      url: `http://127.0.0.1:${await deadPort()}/b.tar.gz?token=query-secret`,
      persistDir: await newPersistDir(),
    });
    await source.start(events.deliver, events.fail);
    const error = fetchError(events.failures()[0]);
    expect(error.message).toMatch(/failed: network error: .*ECONNREFUSED/);
    expect(error.message).not.toContain("query-secret");
  });

  it("gives up on a server that never answers after requestTimeoutMs, without hanging startup", async () => {
    const server = await startServer(() => undefined);
    const events = recordEvents();
    const source = makeSource(captureLogs(), {
      url: `${server.origin}/b.tar.gz?token=query-secret`,
      persistDir: await newPersistDir(),
      requestTimeoutMs: 300,
    });
    const started = performance.now();
    await source.start(events.deliver, events.fail);
    expect(performance.now() - started).toBeLessThan(5_000);
    const error = fetchError(events.failures()[0]);
    expect(error.message).toMatch(/failed: no complete response within 300 ms$/);
    expect(error.message).not.toContain("query-secret");
  });

  it("gives up on a body that stalls after the headers", async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { etag: '"v1"' });
      res.write(bundleA);
    });
    const events = recordEvents();
    const source = makeSource(captureLogs(), {
      url: `${server.origin}/b.tar.gz`,
      persistDir: await newPersistDir(),
      requestTimeoutMs: 300,
    });
    await source.start(events.deliver, events.fail);
    expect(events.deliveries()).toEqual([]);
    expect(fetchError(events.failures()[0]).message).toMatch(/no complete response within 300 ms/);
  });

  it("rejects an oversized body while it streams, before the response ends", async () => {
    // The response never ends: only a check made while streaming can produce this error.
    const server = await startServer((_req, res) => {
      res.writeHead(200);
      res.write(randomBytes(2048));
    });
    const events = recordEvents();
    const source = makeSource(captureLogs(), {
      url: `${server.origin}/b.tar.gz`,
      persistDir: await newPersistDir(),
      maxBytes: 1024,
      requestTimeoutMs: 20_000,
    });
    await source.start(events.deliver, events.fail);
    expect(fetchError(events.failures()[0]).message).toMatch(/failed: body exceeds 1024 bytes$/);
  });

  it("rejects a declared Content-Length above maxBytes without reading the body", async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { "content-length": 4096 }).end(randomBytes(4096));
    });
    const events = recordEvents();
    const source = makeSource(captureLogs(), {
      url: `${server.origin}/b.tar.gz`,
      persistDir: await newPersistDir(),
      maxBytes: 1024,
    });
    await source.start(events.deliver, events.fail);
    expect(fetchError(events.failures()[0]).message).toMatch(/body exceeds 1024 bytes$/);
  });

  it("backs off exponentially across consecutive failures and resets after a success", async () => {
    // Requests 1-4 fail, 5 succeeds, 6 and 7 fail again.
    const statuses = [500, 500, 500, 500, 200, 500, 500];
    const server = await startServer((_req, res) => {
      const status = statuses[server.requests.length - 1] ?? 500;
      res.writeHead(status).end(status === 200 ? bundleA : "");
    });
    const events = recordEvents();
    const source = makeSource(captureLogs(), {
      url: `${server.origin}/b.tar.gz`,
      persistDir: await newPersistDir(),
      pollIntervalMs: 50,
      minBackoffMs: 100,
      maxBackoffMs: 10_000,
      // The midpoint: no jitter, so the delays are exactly 100, 200, 400, 800, then 50 and 100.
      random: () => 0.5,
    });
    await source.start(events.deliver, events.fail);
    const at = (await server.waitForRequests(7)).map((r) => r.at);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    const [afterOne, afterTwo, afterThree, afterFour, afterSuccess, afterReset] = gaps as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    expect(afterOne).toBeGreaterThanOrEqual(90);
    expect(afterTwo).toBeGreaterThan(afterOne * 1.4);
    expect(afterThree).toBeGreaterThan(afterTwo * 1.4);
    expect(afterFour).toBeGreaterThan(afterThree * 1.4);
    expect(afterSuccess).toBeLessThan(afterFour / 2);
    expect(afterReset).toBeLessThan(afterFour / 2);
    expect(events.failures().slice(0, 4)).toHaveLength(4);
    expect(events.deliveries()).toHaveLength(1);
  });
});

describe("the persisted copy", () => {
  it("is delivered first after a restart while the bundle server is down", async () => {
    const persistDir = await newPersistDir();
    const server = await persistOnce("/b.tar.gz?token=query-secret", persistDir, bundleA, '"v1"');
    await server.close();
    const events = recordEvents();
    const source = makeSource(captureLogs(), {
      url: `${server.origin}/b.tar.gz?token=query-secret`,
      persistDir,
    });
    await source.start(events.deliver, events.fail);
    expect(events.events[0]).toEqual({
      kind: "deliver",
      archive: bundleA,
      origin: { location: `${server.origin}/b.tar.gz`, etag: '"v1"', persisted: true },
    });
    expect(events.events[1]?.kind).toBe("fail");
    expect(fetchError(events.failures()[0]).message).toMatch(/ECONNREFUSED/);
    const metadata = await readFile(join(persistDir, "bundle.json"), "utf8");
    expect(metadata).not.toContain("query-secret");
  });

  it("sends its ETag on the first poll after a restart, so an unchanged bundle is not downloaded", async () => {
    const persistDir = await newPersistDir();
    const server = await persistOnce("/b.tar.gz", persistDir, bundleA, '"v1"');
    const events = recordEvents();
    const source = makeSource(captureLogs(), { url: `${server.origin}/b.tar.gz`, persistDir });
    await source.start(events.deliver, events.fail);
    const requests = await server.waitForRequests(3);
    expect(requests[1]).toMatchObject({ headers: { "if-none-match": '"v1"' }, status: 304 });
    expect(events.events).toEqual([
      expect.objectContaining({
        kind: "deliver",
        origin: expect.objectContaining({ persisted: true }),
      }),
    ]);
  });

  it("is discarded when the loader rejects it, and its ETag is not sent", async () => {
    const persistDir = await newPersistDir();
    const server = await persistOnce("/b.tar.gz", persistDir, bundleA, '"v1"');
    const events = recordEvents((origin) => origin.persisted !== true);
    const source = makeSource(captureLogs(), { url: `${server.origin}/b.tar.gz`, persistDir });
    await source.start(events.deliver, events.fail);
    expect(server.requests[1]?.headers["if-none-match"]).toBeUndefined();
    expect(events.events.map((e) => e.kind === "deliver" && e.origin.persisted === true)).toEqual([
      true,
      false,
    ]);
  });

  it("is ignored when it was saved for a different URL", async () => {
    const persistDir = await newPersistDir();
    const server = await persistOnce("/a.tar.gz", persistDir, bundleA, '"v1"');
    await server.close();
    const logs = captureLogs();
    const events = recordEvents();
    const source = makeSource(logs, { url: `${server.origin}/b.tar.gz`, persistDir });
    await source.start(events.deliver, events.fail);
    expect(events.deliveries()).toEqual([]);
    expect(logs.text()).toContain("saved for a different source");
  });

  const damages: [string, (dir: string) => Promise<void>, RegExp][] = [
    ["its metadata is missing", (dir) => rm(join(dir, "bundle.json")), /has no metadata/],
    [
      "its metadata is not JSON",
      (dir) => writeFile(join(dir, "bundle.json"), '{"version":1,"sourc'),
      /metadata is corrupt/,
    ],
    [
      "its archive is shorter than recorded",
      async (dir) => truncate(join(dir, await archiveName(dir)), 5),
      /does not match its recorded size and digest/,
    ],
    [
      "its archive has other bytes of the recorded length",
      async (dir) => writeFile(join(dir, await archiveName(dir)), Buffer.alloc(bundleA.length)),
      /does not match its recorded size and digest/,
    ],
    [
      "its archive is missing",
      async (dir) => rm(join(dir, await archiveName(dir))),
      /archive is unreadable/,
    ],
  ];

  it.each(damages)("is ignored with a warning when %s", async (_name, damage, warning) => {
    const persistDir = await newPersistDir();
    const server = await persistOnce("/b.tar.gz", persistDir, bundleA, '"v1"');
    await server.close();
    await damage(persistDir);
    const logs = captureLogs();
    const events = recordEvents();
    const source = makeSource(logs, { url: `${server.origin}/b.tar.gz`, persistDir });
    await source.start(events.deliver, events.fail);
    expect(events.deliveries()).toEqual([]);
    expect(events.failures()).toHaveLength(1);
    const warnings = logs.entries().filter((e) => e.level === 40 && warning.test(String(e.msg)));
    expect(warnings).toHaveLength(1);
  });

  it("keeps exactly one archive, replaced atomically, when a newer bundle arrives", async () => {
    const state = { body: bundleA, etag: '"v1"' };
    const server = await startServer(serveBundle(state));
    const persistDir = await newPersistDir();
    const events = recordEvents();
    const source = makeSource(captureLogs(), { url: `${server.origin}/b.tar.gz`, persistDir });
    await source.start(events.deliver, events.fail);
    Object.assign(state, { body: bundleB, etag: '"v2"' });
    await events.waitFor(2);
    await source.close();
    const names = (await readdir(persistDir)).sort();
    expect(names).toEqual([expect.stringMatching(/^bundle-[0-9a-f]{64}\.tar\.gz$/), "bundle.json"]);
    const metadata = JSON.parse(await readFile(join(persistDir, "bundle.json"), "utf8"));
    expect(metadata).toMatchObject({ etag: '"v2"', size: bundleB.length, file: names[0] });
    expect(await readFile(join(persistDir, names[0] ?? ""))).toEqual(bundleB);
  });
});

async function archiveName(dir: string): Promise<string> {
  const name = (await readdir(dir)).find((n) => n.endsWith(".tar.gz"));
  if (!name) throw new Error(`no archive in ${dir}`);
  return name;
}

describe("lifecycle", () => {
  it("stops polling on close", async () => {
    const server = await startServer(serveBundle({ body: bundleA, etag: '"v1"' }));
    const source = makeSource(captureLogs(), {
      url: `${server.origin}/b.tar.gz`,
      persistDir: await newPersistDir(),
      pollIntervalMs: 20,
    });
    await source.start(recordEvents().deliver, () => undefined);
    await server.waitForRequests(3);
    await source.close();
    const count = server.requests.length;
    // Absence can only be observed over time: ten poll intervals.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.requests).toHaveLength(count);
  });

  it("close aborts an in-flight request without reporting a failure", async () => {
    const server = await startServer(() => undefined);
    const events = recordEvents();
    const source = makeSource(captureLogs(), {
      url: `${server.origin}/b.tar.gz`,
      persistDir: await newPersistDir(),
      requestTimeoutMs: 60_000,
    });
    const starting = source.start(events.deliver, events.fail);
    await server.waitForRequests(1);
    const closing = performance.now();
    await source.close();
    await starting;
    expect(performance.now() - closing).toBeLessThan(5_000);
    expect(events.events).toEqual([]);
  });

  it("does not keep the process alive while it waits for the next poll", async () => {
    const server = await startServer(serveBundle({ body: bundleA, etag: '"v1"' }));
    const persistDir = await newPersistDir();
    const script = `
      const { createHttpBundleSource } = await import(process.argv[1]);
      const { createLogger } = await import(process.argv[2]);
      const source = createHttpBundleSource({
        url: process.argv[3], persistDir: process.argv[4], pollIntervalMs: 60000,
        logger: createLogger({ level: "silent" }),
      });
      await source.start(async () => true, () => {});
      console.log("started");
    `;
    const module = (path: string) => fileURLToPath(new URL(path, import.meta.url));
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        script,
        module("../../server/src/policy/http-bundle-source.ts"),
        module("../../server/src/logging/logger.ts"),
        `${server.origin}/b.tar.gz`,
        persistDir,
      ],
      {
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const watchdog = setTimeout(() => child.kill(), 20_000);
    const code = await exit;
    clearTimeout(watchdog);
    expect(output.trim()).toBe("started");
    expect(code).toBe(0);
  });
});

describe("secrets", () => {
  it("sends the headers option and never logs header values, credentials or the query", async () => {
    const statuses = [200, 500, 304];
    const server = await startServer((_req, res) => {
      const status = statuses[server.requests.length - 1] ?? 304;
      res.writeHead(status, { etag: '"v1"' }).end(status === 200 ? bundleA : "");
    });
    const logs = captureLogs("debug");
    const events = recordEvents();
    const source = makeSource(logs, {
      url: `http://user-secret:pass-secret@${server.origin.slice(7)}/b.tar.gz?token=query-secret`,
      persistDir: await newPersistDir(),
      headers: { Authorization: "Bearer header-secret", "X-Api-Key": "key-secret" },
    });
    await source.start(events.deliver, events.fail);
    await server.waitForRequests(4);
    await source.close();
    expect(server.requests[0]?.headers).toMatchObject({
      authorization: "Bearer header-secret",
      "x-api-key": "key-secret",
    });
    expect(events.failures()).toHaveLength(1);
    expect(logs.entries().length).toBeGreaterThan(3);
    for (const secret of [
      "header-secret",
      "key-secret",
      "user-secret",
      "pass-secret",
      "query-secret",
    ])
      expect(logs.text()).not.toContain(secret);
  });
});

describe("configuration", () => {
  it("refuses a URL that is not http: or https:, without echoing it", () => {
    expect(() =>
      createHttpBundleSource({
        url: "ftp://u:secret@example.com/b.tar.gz?token=t",
        persistDir: "/nonexistent",
        logger: captureLogs().logger,
      }),
    ).toThrow(new ConfigError("bundle URL ftp://example.com/b.tar.gz must use http: or https:"));
  });

  it("redactUrl keeps scheme, host and path only", () => {
    expect(redactUrl("https://u:p@bundles.example:8443/v1/b.tar.gz?sig=abc#x")).toBe(
      "https://bundles.example:8443/v1/b.tar.gz",
    );
  });
});
