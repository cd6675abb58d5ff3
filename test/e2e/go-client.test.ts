import { execFile } from "node:child_process";
import { join } from "node:path";
import { toJsonString } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AuditRecordKind, AuditRecordSchema, AuditService } from "../../gen/vigil/v1/audit_pb.js";
import { RecordEventKind } from "../../gen/vigil/v1/policy_service_pb.js";
import { projectRoot } from "../../server/src/main.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "../support/vigil-process.js";

// The first `go build` compiles connect-go and protobuf-go (up to a minute on a slow machine).
const buildTimeoutMs = 180_000;
const clientDir = join(projectRoot, "clients/go");
const plantedToken = /ghp_[A-Za-z0-9]{36}/;
const checks = [
  /offboarded CI job is denied: deny \(offboarded_identity\)/,
  /ordinary read is allowed: allow \(allowed\)/,
  /planted token is redacted: "push with GITHUB_TOKEN=\[REDACTED:github-pat\] then deploy"/,
  /event is recorded without the token: record [0-9a-f-]{36} in session /,
  /unreachable server fails closed: deny \(vigil_no_answer\), error code unavailable/,
];

/** What a program printed and how it exited. */
interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  file: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<RunResult & { missing: boolean }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: options.cwd ?? projectRoot, env: { ...process.env, ...options.env } },
      (error, stdout, stderr) => {
        const code = error ? error.code : 0;
        resolve({
          code: typeof code === "number" ? code : 1,
          stdout,
          stderr,
          missing: code === "ENOENT",
        });
      },
    );
  });
}

/** Builds `clients/go/cmd/vigil-smoke` into `dir`; its path. */
async function buildSmoke(dir: string): Promise<string> {
  const setupHint = "run `bash scripts/setup-go-client.sh` (needs Go 1.26+ on PATH)";
  const version = await run("go", ["version"]);
  if (version.missing || version.code !== 0) {
    throw new Error(`the Go client test needs the go toolchain: ${setupHint}`);
  }
  const binary = join(dir, "vigil-smoke");
  const build = await run("go", ["build", "-o", binary, "./cmd/vigil-smoke"], {
    cwd: clientDir,
    // VCS stamping fails on a checkout owned by another user; the binary does not need it.
    env: { GOFLAGS: `${process.env.GOFLAGS ?? ""} -buildvcs=false`.trim() },
  });
  if (build.code !== 0) {
    throw new Error(`go build ./cmd/vigil-smoke failed (${setupHint}):\n${build.stderr}`);
  }
  return binary;
}

let vigil: VigilProcess;
let dir: string;
let smoke: string;
const session = `go-smoke-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  dir = await tempDir("vigil-go-client-");
  // Start the server while Go builds, and wait for both so afterAll can stop the server even
  // when the build fails.
  const [started, built] = await Promise.allSettled([
    startVigil({ policy: inject("defaultBundlePath") }),
    buildSmoke(dir),
  ]);
  if (started.status === "fulfilled") vigil = started.value;
  if (built.status === "rejected") throw built.reason;
  if (started.status === "rejected") throw started.reason;
  smoke = built.value;
}, buildTimeoutMs);

afterAll(async () => {
  await vigil?.stop();
  if (vigil) await removeDir(vigil.dataDir);
  await removeDir(dir);
});

/** The smoke program's run against the real server, shared by the tests that read its output. */
let smokeRun: Promise<RunResult> | undefined;
function runSmoke(): Promise<RunResult> {
  smokeRun ??= run(smoke, ["-session", session], { env: { VIGIL_SERVER: vigil.baseUrl } });
  return smokeRun;
}

describe("the Go client (clients/go)", () => {
  it("passes every smoke check over gRPC and Connect against the real server", async () => {
    const result = await runSmoke();
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    for (const protocol of ["grpc", "connect"]) {
      for (const check of checks) {
        expect(result.stdout).toMatch(new RegExp(`^ok {3}${protocol} +${check.source}`, "m"));
      }
    }
    expect(result.stdout).toContain(`all checks passed against ${vigil.baseUrl}`);
    expect(result.stdout).not.toMatch(plantedToken);
  });

  it("recorded its events in the audit trail, masked", async () => {
    const { stdout } = await runSmoke();
    const printedIds = [...stdout.matchAll(/record ([0-9a-f-]{36}) in session/g)].map((m) => m[1]);
    expect(printedIds).toHaveLength(2);
    const audit = createClient(
      AuditService,
      createConnectTransport({ baseUrl: vigil.baseUrl, httpVersion: "1.1" }),
    );
    const { records } = await audit.queryRecords({ filter: { sessionId: session } });
    expect(records.map((r) => r.id).sort()).toEqual(printedIds.sort());
    for (const record of records) {
      expect(record.kind).toBe(AuditRecordKind.EVENT);
      expect(record.eventKind).toBe(RecordEventKind.COMMAND);
      expect(record.principal?.id).toBe("agent:go-smoke");
      expect(record.findings.map((f) => f.detectorId)).toContain("secret.github-pat");
      expect(record.contents.map((c) => c.body.value)).toEqual([
        "gh auth login --with-token [REDACTED:github-pat]",
      ]);
      expect(toJsonString(AuditRecordSchema, record)).not.toMatch(plantedToken);
    }
  });

  it("exits 1 and names each failed check when Vigil is down", async () => {
    const down = await run(smoke, ["-protocols", "grpc"], {
      env: { VIGIL_SERVER: "http://127.0.0.1:1" },
    });
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/^FAIL grpc +offboarded CI job is denied: unavailable: /m);
    expect(down.stdout).toMatch(/^ok {3}grpc +unreachable server fails closed: /m);
    expect(down.stdout).toContain("vigil-smoke: 4 check(s) failed");
  });

  it("passes go vet and its own unit tests (fail closed, README example)", {
    timeout: buildTimeoutMs,
  }, async () => {
    const env = { GOFLAGS: `${process.env.GOFLAGS ?? ""} -buildvcs=false`.trim() };
    const vet = await run("go", ["vet", "./clients/go/...", "./gen/go/..."], { env });
    expect(vet.code, vet.stderr).toBe(0);
    const test = await run("go", ["test", "./clients/go/..."], { env });
    expect(test.code, `${test.stdout}${test.stderr}`).toBe(0);
    expect(test.stdout).toMatch(/^ok\s+github\.com\/vigil-dev\/vigil\/clients\/go\s/m);
  });
});
