import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { connect } from "node:http2";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, inject, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { AuditRecordKind } from "../../gen/vigil/v1/audit_pb.js";
import { ContentKind, Decision } from "../../gen/vigil/v1/common_pb.js";
import { PolicyAdminService } from "../../gen/vigil/v1/policy_admin_pb.js";
import { PolicyService, RecordEventKind } from "../../gen/vigil/v1/policy_service_pb.js";
import { openLmdbAuditStore } from "../../server/src/audit/lmdb-audit-store.js";
import { offboardedCiJob, ordinaryRead } from "../support/requests.js";
import { runVigilCli } from "../support/vigil-cli.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "../support/vigil-process.js";

const started: VigilProcess[] = [];
const dirs: string[] = [];

async function start(options: Parameters<typeof startVigil>[0] = {}) {
  const vigil = await startVigil(options);
  started.push(vigil);
  return vigil;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((v) => v.stop("SIGKILL")));
  await Promise.all(dirs.splice(0).map(removeDir));
});

function policyClient(vigil: VigilProcess) {
  return createClient(PolicyService, createGrpcTransport({ baseUrl: vigil.baseUrl }));
}

describe("durability", () => {
  it("keeps decisions in LMDB across a restart and continues the sequence", async () => {
    const dataDir = await tempDir("vigil-restart-");
    dirs.push(dataDir);
    const first = await start({ dataDir, policy: inject("defaultBundlePath") });
    const denied = await policyClient(first).authorize(offboardedCiJob());
    expect(await first.stop("SIGTERM")).toBe(0);
    expect(first.logs().some((l) => l.msg === "stopped")).toBe(true);

    // With the server stopped, the decision is in the LMDB files on disk.
    const store = await openLmdbAuditStore({ path: join(dataDir, "audit") });
    const record = await store.get(denied.decisionId);
    const head = store.head();
    await store.close();
    expect(record?.kind).toBe(AuditRecordKind.DECISION);
    expect(record?.decision).toBe(Decision.DENY);
    expect(record?.reasons[0]?.code).toBe("offboarded_identity");
    expect(record?.principal?.id).toBe("repo:acme/legacy-billing:ref:refs/heads/main");
    expect(record?.policy?.bundleRevision).toBe(denied.policy?.bundleRevision);
    expect(record?.sequence).toBe(denied.sequence);
    expect(head.sequence).toBe(denied.sequence);

    const second = await start({ dataDir, policy: inject("defaultBundlePath") });
    const next = await policyClient(second).authorize(ordinaryRead());
    expect(next.sequence).toBe(denied.sequence + 1n);
    expect(await second.stop("SIGTERM")).toBe(0);

    const reopened = await openLmdbAuditStore({ path: join(dataDir, "audit") });
    const nextRecord = await reopened.getBySequence(next.sequence);
    expect(nextRecord?.prevHash).toBe((await reopened.getBySequence(denied.sequence))?.hash);
    expect((await reopened.get(denied.decisionId))?.decision).toBe(Decision.DENY);
    await reopened.close();
  });

  it("finishes an in-flight session stream after SIGTERM before exiting", async () => {
    const vigil = await start({ policy: inject("defaultBundlePath") });
    const principal = ordinaryRead().principal;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    async function* events() {
      yield { event: { kind: RecordEventKind.COMMAND, principal, sessionId: "drain" } };
      await gate; // the stream is open while the server is told to stop
      yield { event: { kind: RecordEventKind.OUTPUT, principal, sessionId: "drain" } };
    }
    const call = policyClient(vigil).recordStream(events());
    await new Promise((r) => setTimeout(r, 300));
    vigil.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    release();
    const res = await call;
    expect(res.eventsRecorded).toBe(2n);
    expect(await vigil.exited).toBe(0);
  });
});

describe("secrets", () => {
  it("writes no planted or registered secret value to LMDB or the logs", async () => {
    const vigil = await start({ policy: inject("defaultBundlePath") });
    // Authorize keeps content as metadata only, whatever it is.
    const unrecognisable = "sk-live-PLANTED-4f9a2c7e1b8d3a6f0e5c9b2a";
    // Record stores content masked: these are formats the detectors know.
    const githubToken = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ"}`;
    const awsKeyId = "AKIAZ7Q3M5N2P4R6T3V4";
    const dbPassword = "Xk2#pQ9$vL4!mR7w";
    const registered = "hunter2-REGISTERED-9c1e7a3b5d";
    const registeredBase64 = Buffer.from(`svc:${registered}`).toString("base64");
    const client = policyClient(vigil);
    const request = ordinaryRead();
    request.action = "llm.complete";
    request.contents = [
      {
        $typeName: "vigil.v1.Content",
        kind: ContentKind.PROMPT,
        name: "prompt",
        body: { case: "text", value: `use ${unrecognisable} please` },
      },
    ];
    await client.authorize(request);
    const recorded = await client.record({
      event: {
        kind: RecordEventKind.REQUEST,
        principal: request.principal,
        content: {
          kind: ContentKind.PROMPT,
          body: {
            case: "json",
            value: JSON.stringify({
              messages: [
                { role: "user", content: `deploy with ${githubToken} and ${awsKeyId}` },
                {
                  role: "tool",
                  content: `DB_PASSWORD="${dbPassword}"\nAuthorization: Basic ${registeredBase64}`,
                },
              ],
              note: `the service password is ${registered}`,
            }),
          },
        },
      },
      registeredSecrets: [{ name: "DB", value: { case: "text", value: registered } }],
    });
    expect(recorded.findings.map((f) => f.detectorId).sort()).toEqual(
      [
        "registered",
        "registered",
        "secret.aws-access-key-id",
        "secret.generic-assignment",
        "secret.github-pat",
      ].sort(),
    );
    expect(await vigil.stop()).toBe(0);

    const files = await readdir(vigil.dataDir, { recursive: true, withFileTypes: true });
    const contents = await Promise.all(
      files.filter((f) => f.isFile()).map((f) => readFile(join(f.parentPath, f.name))),
    );
    expect(contents.length).toBeGreaterThan(0);
    const planted = [
      unrecognisable,
      githubToken,
      awsKeyId,
      dbPassword,
      registered,
      registeredBase64,
    ];
    for (const bytes of contents) {
      for (const value of planted) expect(bytes.includes(value), value).toBe(false);
    }
    // The masked content is stored: the placeholders are in the audit store.
    expect(contents.some((bytes) => bytes.includes("[REDACTED:github-pat]"))).toBe(true);
    const logged = vigil.output.join("\n");
    expect(logged).toContain('"msg":"authorize"');
    for (const value of planted) expect(logged).not.toContain(value);
  });
});

describe("without a usable policy", () => {
  it("denies every Authorize and reports NOT_SERVING when the source is missing", async () => {
    const vigil = await start({ policy: "/nonexistent/policy" });
    const transport = createConnectTransport({ baseUrl: vigil.baseUrl, httpVersion: "1.1" });
    const res = await createClient(PolicyService, transport).authorize(ordinaryRead());
    expect(res.decision).toBe(Decision.DENY);
    expect(res.reasons).toEqual([
      expect.objectContaining({ code: "no_policy", message: expect.stringContaining("no policy") }),
    ]);
    const health = await createClient(Health, transport).check({});
    expect(health.status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    const status = await createClient(PolicyAdminService, transport).getPolicyStatus({});
    expect(status.active).toBeUndefined();
    expect(status.lastAttempt?.ok).toBe(false);
    expect(status.lastAttempt?.error).toContain("does not exist");
  });

  it("reports opa's compile error and keeps serving denies when the Rego is broken", async () => {
    const dir = await tempDir("vigil-bad-rego-");
    dirs.push(dir);
    await mkdir(join(dir, "vigil"), { recursive: true });
    await writeFile(join(dir, "vigil/authz.rego"), "package vigil.authz\n\ndecision := {\n");
    const vigil = await start({ policy: dir, args: ["--opa", inject("opaPath")] });
    const transport = createGrpcTransport({ baseUrl: vigil.baseUrl });
    const res = await createClient(PolicyService, transport).authorize(ordinaryRead());
    expect(res.decision).toBe(Decision.DENY);
    expect(res.reasons[0]?.code).toBe("no_policy");
    const status = await createClient(PolicyAdminService, transport).getPolicyStatus({});
    expect(status.lastAttempt?.error).toMatch(/opa build failed .*rego_parse_error/s);
  });
});

describe("defaults", () => {
  it("compiles and serves the bundled policies/ directory when no policy is given", async () => {
    const vigil = await start();
    const res = await policyClient(vigil).authorize(offboardedCiJob());
    expect(res.decision).toBe(Decision.DENY);
    const health = await createClient(
      Health,
      createGrpcTransport({ baseUrl: vigil.baseUrl }),
    ).check({});
    expect(health.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});

describe("unknown methods", () => {
  it("answers a gRPC call to an unknown method with status 12 (Unimplemented)", async () => {
    const vigil = await start({ policy: inject("defaultBundlePath") });
    const session = connect(vigil.baseUrl);
    session.on("error", () => undefined); // the server is killed after the test
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const stream = session.request({
        ":method": "POST",
        ":path": "/vigil.v1.Nope/Foo",
        "content-type": "application/grpc",
        te: "trailers",
      });
      stream.on("response", (h) => {
        stream.resume();
        resolve(h);
      });
      stream.on("error", reject);
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
    session.close();
    expect(headers["grpc-status"]).toBe("12");
    expect(decodeURIComponent(String(headers["grpc-message"]))).toBe(
      "unknown method /vigil.v1.Nope/Foo",
    );
  });

  it("answers a Connect call to an unknown method with 404 and code unimplemented", async () => {
    const vigil = await start({ policy: inject("defaultBundlePath") });
    const res = await fetch(`${vigil.baseUrl}/vigil.v1.Nope/Foo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      code: "unimplemented",
      message: "unknown method /vigil.v1.Nope/Foo",
    });
  });
});

describe("reflection", () => {
  it("lists Vigil's services to reflection clients over gRPC", async () => {
    const vigil = await start({ policy: inject("defaultBundlePath") });
    const client = createClient(ServerReflection, createGrpcTransport({ baseUrl: vigil.baseUrl }));
    async function* requests() {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
    }
    const names: string[] = [];
    for await (const res of client.serverReflectionInfo(requests())) {
      if (res.messageResponse.case === "listServicesResponse") {
        names.push(...res.messageResponse.value.service.map((s) => s.name));
      }
    }
    expect(names).toEqual(
      expect.arrayContaining([
        "vigil.v1.PolicyService",
        "vigil.v1.AuditService",
        "vigil.v1.ApprovalService",
        "vigil.v1.PolicyAdminService",
        "grpc.health.v1.Health",
      ]),
    );
  });
});

describe("secure defaults", () => {
  it("refuses to listen beyond loopback with no caller authentication, and says why", async () => {
    const dataDir = await tempDir("vigil-exposed-");
    dirs.push(dataDir);
    const result = await runVigilCli([
      "serve",
      "--listen",
      "0.0.0.0:0",
      "--data-dir",
      dataDir,
      "--policy",
      inject("defaultBundlePath"),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("refusing to listen on 0.0.0.0 without caller authentication");
  });

  it("warns at start that every caller is anonymous when no authentication is configured", async () => {
    const vigil = await start({ policy: inject("defaultBundlePath") });
    expect(vigil.logs()).toContainEqual(
      expect.objectContaining({
        level: 40,
        host: "127.0.0.1",
        msg: expect.stringContaining(
          "every caller is anonymous, so Vigil listens on loopback only",
        ),
      }),
    );
  });
});
