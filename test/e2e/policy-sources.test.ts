import { createHash } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, inject, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { ContentKind, ContentSchema, Decision } from "../../gen/vigil/v1/common_pb.js";
import { PolicyAdminService } from "../../gen/vigil/v1/policy_admin_pb.js";
import { PolicyService } from "../../gen/vigil/v1/policy_service_pb.js";
import { compilePolicyDir } from "../../server/src/policy/opa-compiler.js";
import { requiredEntrypoints } from "../../server/src/policy/prepare-policy.js";
import { authzModule, writePolicyDir } from "../support/policy-fixtures.js";
import { ordinaryRead } from "../support/requests.js";
import {
  buildSignedBundle,
  generatePemKeyPair,
  packBundle,
  unpackBundle,
} from "../support/signing-fixtures.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "../support/vigil-process.js";

const started: VigilProcess[] = [];
const cleanup: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((v) => v.stop("SIGKILL")));
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function start(options: Parameters<typeof startVigil>[0]) {
  const vigil = await startVigil({
    ...options,
    args: ["--opa", inject("opaPath"), ...(options?.args ?? [])],
  });
  started.push(vigil);
  return vigil;
}

/** A policy whose answer comes from data, so editing data.json flips it. */
const modal = authzModule(
  'decision := {"decision": data.mode.decision, "reasons": [{"code": data.mode.code, "message": "mode"}]}',
);
const modeA = JSON.stringify({ mode: { decision: "allow", code: "a" } });
const modeB = JSON.stringify({ mode: { decision: "deny", code: "b" } });

async function policyDir(files: Record<string, string>) {
  const dir = await writePolicyDir(files);
  cleanup.push(() => removeDir(dir));
  return dir;
}

/** Compiles a bundle `.tar.gz` with the given revision. */
async function bundle(data: string, revision: string) {
  const dir = await policyDir({ ...modal, "data.json": data });
  return compilePolicyDir({
    opaPath: inject("opaPath"),
    dir,
    entrypoints: requiredEntrypoints,
    revision,
  });
}

function clients(vigil: VigilProcess) {
  const grpc = createGrpcTransport({ baseUrl: vigil.baseUrl });
  const connect = createConnectTransport({ baseUrl: vigil.baseUrl, httpVersion: "1.1" });
  return {
    grpc: createClient(PolicyService, grpc),
    connect: createClient(PolicyService, connect),
    admin: createClient(PolicyAdminService, connect),
    health: createClient(Health, connect),
  };
}

async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function metric(vigil: VigilProcess, line: string): Promise<number | undefined> {
  const text = await (await fetch(`${vigil.baseUrl}/metrics`)).text();
  const found = text.split("\n").find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe("a Rego directory", () => {
  it("swaps to the edited policy under concurrent load without failing a request", async () => {
    const dir = await policyDir({ ...modal, "data.json": modeA });
    const vigil = await start({ policy: dir });
    const { grpc, connect } = clients(vigil);
    const seen: string[][] = Array.from({ length: 8 }, () => []);
    const errors: unknown[] = [];
    let stop = false;
    const loops = seen.map(async (codes, i) => {
      const client = i % 2 === 0 ? grpc : connect;
      while (!stop) {
        try {
          const res = await client.authorize(ordinaryRead());
          codes.push(`${res.reasons[0]?.code}@${res.policy?.bundleRevision}`);
        } catch (error) {
          errors.push(error);
        }
      }
    });
    await until(async () => seen.every((c) => c.length > 5), Boolean, "traffic on every loop");
    const temp = join(dir, "data.json.tmp");
    await writeFile(temp, modeB);
    await rename(temp, join(dir, "data.json"));
    await until(
      async () => seen.every((c) => c.at(-1)?.startsWith("b@")),
      Boolean,
      "every loop to see the new policy",
    );
    stop = true;
    await Promise.all(loops);

    expect(errors).toEqual([]);
    const answers = new Set(seen.flat());
    expect(answers.size).toBe(2); // one revision per answer: a@rev1 and b@rev2
    for (const codes of seen) {
      // Each loop's requests are sequential: once one saw the new bundle, none sees the old.
      const firstB = codes.findIndex((c) => c.startsWith("b@"));
      expect(codes.slice(firstB).every((c) => c.startsWith("b@"))).toBe(true);
    }
  });

  it("rejects broken Rego, keeps the last good policy serving and shows the failure", async () => {
    const dir = await policyDir({ ...modal, "data.json": modeA });
    const vigil = await start({ policy: dir });
    const { grpc, admin } = clients(vigil);
    const good = (await admin.getPolicyStatus({})).active?.revision;
    expect(good).toMatch(/^src-/);

    await writeFile(join(dir, "authz.rego"), "package vigil.authz\n\ndecision := {\n");
    const status = await until(
      () => admin.getPolicyStatus({}),
      (s) => s.lastAttempt?.ok === false,
      "the rejected compile",
    );
    expect(status.lastAttempt?.error).toMatch(/opa build failed .*rego_parse_error/s);
    expect(status.lastAttempt?.consecutiveFailures).toBe(1);
    expect(status.active?.revision).toBe(good);
    expect(status.active?.sourceKind).toBe("directory");
    expect(status.evaluation?.workerThreads).toBeGreaterThan(0);
    const res = await grpc.authorize(ordinaryRead());
    expect([res.decision, res.reasons[0]?.code, res.policy?.bundleRevision]).toEqual([
      Decision.ALLOW,
      "a",
      good,
    ]);
    const rejected = 'vigil_policy_bundle_loads_total{source_kind="directory",result="rejected"}';
    expect(await metric(vigil, rejected)).toBe(1);
    expect(vigil.logs().some((l) => l.msg === "policy bundle rejected")).toBe(true);
  });

  it("evaluates large inputs on the worker pool and small ones on the main thread", async () => {
    const dir = await policyDir({ ...modal, "data.json": modeA });
    const vigil = await start({ policy: dir, args: ["--policy-inline-max-bytes", "4096"] });
    const { grpc } = clients(vigil);
    const large = ordinaryRead();
    large.contents = [
      create(ContentSchema, {
        kind: ContentKind.PROMPT,
        name: "p",
        body: { case: "text", value: "x".repeat(64 * 1024) },
      }),
    ];
    await grpc.authorize(ordinaryRead());
    await grpc.authorize(large);
    const line = (thread: string) =>
      `vigil_policy_evaluations_total{entrypoint="vigil/authz/decision",thread="${thread}",outcome="allow"}`;
    expect([await metric(vigil, line("main")), await metric(vigil, line("worker"))]).toEqual([
      1, 1,
    ]);
  });
});

describe("a bundle file", () => {
  it("denies and reports NOT_SERVING until the file appears, then serves it", async () => {
    const dir = await tempDir("vigil-bundle-file-");
    cleanup.push(() => removeDir(dir));
    const path = join(dir, "bundle.tar.gz");
    const vigil = await start({ policy: path });
    const { grpc, health, admin } = clients(vigil);

    const before = await grpc.authorize(ordinaryRead());
    expect([before.decision, before.reasons[0]?.code]).toEqual([Decision.DENY, "no_policy"]);
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    expect((await admin.getPolicyStatus({})).lastAttempt?.error).toBe(
      `policy source ${path} does not exist`,
    );

    await writeFile(path, await bundle(modeA, "rev-file"));
    await until(
      () => health.check({}),
      (h) => h.status === HealthCheckResponse_ServingStatus.SERVING,
      "SERVING",
    );
    const after = await grpc.authorize(ordinaryRead());
    expect([after.decision, after.policy?.bundleRevision]).toEqual([Decision.ALLOW, "rev-file"]);
  });
});

/** A bundle server like nginx or S3: serves one archive with an ETag and honours If-None-Match. */
async function bundleServer(initial: Buffer) {
  let archive = initial;
  const requests: { ifNoneMatch: string | undefined; status: number }[] = [];
  const etag = () => `"${createHash("sha256").update(archive).digest("hex").slice(0, 16)}"`;
  const server: Server = createServer((req, res) => {
    const ifNoneMatch = req.headers["if-none-match"];
    const status = ifNoneMatch === etag() ? 304 : 200;
    requests.push({ ifNoneMatch, status });
    res.writeHead(status, { etag: etag(), "content-type": "application/gzip" });
    res.end(status === 200 ? archive : undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  cleanup.push(close);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/bundles/vigil.tar.gz`,
    requests,
    etag,
    publish(next: Buffer) {
      archive = next;
    },
    close,
  };
}

describe("a bundle URL", () => {
  it("polls with If-None-Match, loads a changed bundle, and restarts from the persisted copy", async () => {
    const server = await bundleServer(await bundle(modeA, "rev-1"));
    const dataDir = await tempDir("vigil-http-");
    cleanup.push(() => removeDir(dataDir));
    const first = await start({ policy: server.url, dataDir, args: ["--policy-poll-ms", "100"] });
    let api: ReturnType<typeof clients> = clients(first);
    expect((await api.admin.getPolicyStatus({})).active?.revision).toBe("rev-1");

    // Unchanged: the next polls carry the ETag and get 304, with nothing reloaded.
    await until(
      async () => server.requests.filter((r) => r.status === 304).length,
      (n) => n >= 2,
      "304 answers",
    );
    expect(server.requests[0]).toEqual({ ifNoneMatch: undefined, status: 200 });
    expect(server.requests.filter((r) => r.status === 304)[0]?.ifNoneMatch).toBe(server.etag());
    expect(
      await metric(first, 'vigil_policy_bundle_loads_total{source_kind="http",result="ok"}'),
    ).toBe(1);

    server.publish(await bundle(modeB, "rev-2"));
    await until(
      () => api.admin.getPolicyStatus({}),
      (s) => s.active?.revision === "rev-2",
      "rev-2 to load",
    );
    const denied = await api.grpc.authorize(ordinaryRead());
    expect([denied.decision, denied.reasons[0]?.code]).toEqual([Decision.DENY, "b"]);

    // The bundle server goes away; a restart still serves the last good bundle from disk.
    expect(await first.stop("SIGTERM")).toBe(0);
    await server.close();
    const second = await start({ policy: server.url, dataDir, args: ["--policy-poll-ms", "100"] });
    api = clients(second);
    const status = await api.admin.getPolicyStatus({});
    expect(status.active?.revision).toBe("rev-2");
    expect(status.active?.sourceKind).toBe("http");
    expect(status.lastAttempt?.ok).toBe(false);
    expect(status.lastAttempt?.error).toMatch(
      /^fetching bundle from http:\/\/127\.0\.0\.1:\d+\/bundles\/vigil\.tar\.gz failed/,
    );
    const res = await api.grpc.authorize(ordinaryRead());
    expect([res.decision, res.policy?.bundleRevision]).toEqual([Decision.DENY, "rev-2"]);
  });
});

describe("signed bundles", () => {
  it("serves a bundle signed by the configured key and rejects a tampered one", async () => {
    const keys = generatePemKeyPair("ec");
    const dir = await tempDir("vigil-signed-");
    cleanup.push(() => removeDir(dir));
    const keyFile = join(dir, "bundle-key.pub.pem");
    await writeFile(keyFile, keys.publicKey);
    const path = join(dir, "bundle.tar.gz");
    const signed = await buildSignedBundle({
      privateKey: keys.privateKey,
      algorithm: "ES256",
      files: { ...modal, "data.json": modeA },
    });
    await writeFile(path, signed);

    const vigil = await start({ policy: path, args: ["--policy-verification-key", keyFile] });
    const { grpc, admin } = clients(vigil);
    const status = await admin.getPolicyStatus({});
    expect(status.active?.signatureKeyId).toBe("default");
    expect((await grpc.authorize(ordinaryRead())).reasons[0]?.code).toBe("a");

    // Same signature, different data: the deny policy must never load.
    const files = await unpackBundle(signed);
    files.set("data.json", Buffer.from(modeB));
    await writeFile(path, await packBundle(files));
    const rejected = await until(
      () => admin.getPolicyStatus({}),
      (s) => s.lastAttempt?.ok === false,
      "the tampered bundle to be rejected",
    );
    expect(rejected.lastAttempt?.error).toContain("data.json");
    expect(rejected.active?.digest).toBe(status.active?.digest);
    expect((await grpc.authorize(ordinaryRead())).reasons[0]?.code).toBe("a");
  });

  it("refuses to start verifying a Rego directory, which has no signature", async () => {
    const dir = await policyDir({ ...modal, "data.json": modeA });
    const keyFile = join(dir, "key.pem");
    await writeFile(keyFile, generatePemKeyPair("ec").publicKey);
    const startup = startVigil({
      policy: dir,
      args: ["--opa", inject("opaPath"), "--policy-verification-key", keyFile],
    });
    // A configuration error is a usage error: exit 2 before listening, with the reason.
    await expect(startup).rejects.toThrow(
      /exited with 2:[\s\S]*--policy-verification-key needs a signed bundle file or URL, not a Rego directory/,
    );
  });
});
