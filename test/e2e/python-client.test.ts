import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { toJsonString } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AuditRecordSchema, AuditService } from "../../gen/vigil/v1/audit_pb.js";
import { RecordEventKind } from "../../gen/vigil/v1/policy_service_pb.js";
import { projectRoot } from "../../server/src/main.js";
import { textPattern } from "../support/readme-snippets.js";
import { removeDir, startVigil, type VigilProcess } from "../support/vigil-process.js";

// Python starts in well under a second, but the smoke test makes five calls and the unit tests
// wait on a timeout; leave room on a loaded 2-core machine.
const slow = { timeout: 120_000 };
const python = join(projectRoot, ".tools/python/bin/python");

let vigil: VigilProcess;

/** What a Python run printed and how it exited. */
interface PythonResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the client's venv Python from the project root, writing no bytecode into the repo. */
function runPython(args: string[], env: Record<string, string> = {}): Promise<PythonResult> {
  if (!existsSync(python)) {
    // Fail (never skip) each test, so a CI without the venv cannot pass quietly.
    throw new Error(
      `the Python client's venv is missing (${python}); run: bash scripts/setup-python-client.sh`,
    );
  }
  return new Promise((resolve) => {
    execFile(
      python,
      args,
      { cwd: projectRoot, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  vigil = await startVigil({ policy: inject("defaultBundlePath") });
});

afterAll(async () => {
  await vigil?.stop();
  if (vigil) await removeDir(vigil.dataDir);
});

describe("Python client (clients/python)", () => {
  it("passes the smoke test against the real server", slow, async () => {
    const sessionId = `python-smoke-${randomUUID()}`;
    const res = await runPython(["clients/python/smoke.py"], {
      VIGIL_SERVER: vigil.baseUrl,
      VIGIL_SMOKE_SESSION: sessionId,
    });
    expect(res.code, `${res.stdout}${res.stderr}`).toBe(0);
    expect(res.stdout).toMatch(/^ok {3}deny: .*\('offboarded_identity',\)/m);
    expect(res.stdout).toMatch(/^ok {3}allow: /m);
    expect(res.stdout).toMatch(/^ok {3}redact: .*secret\.github-pat.*\[REDACTED:github-pat\]/m);
    expect(res.stdout).toMatch(/^ok {3}fail closed: .*'vigil_no_answer'.*Connection refused/m);
    expect(res.stdout).toMatch(/^smoke: 5 passed, 0 failed$/m);
    expect(res.stdout).not.toMatch(/ghp_[A-Za-z0-9]{36}/);
    const recordId = /^ok {3}record: .*record ([0-9a-f-]{36}) in session /m.exec(res.stdout)?.[1];
    expect(recordId).toBeDefined();

    // The event landed in the audit trail, masked: read it back through the TypeScript client.
    const audit = createClient(
      AuditService,
      createConnectTransport({ baseUrl: vigil.baseUrl, httpVersion: "1.1" }),
    );
    const { records } = await audit.queryRecords({ filter: { sessionId } });
    expect(records.map((r) => [r.id, r.eventKind, r.principal?.id])).toEqual([
      [recordId, RecordEventKind.COMMAND, "repo:acme/legacy-billing:ref:refs/heads/main"],
    ]);
    const [record] = records;
    if (!record) throw new Error("the recorded event is not in the audit trail");
    const stored = toJsonString(AuditRecordSchema, record);
    expect(stored).toContain("[REDACTED:github-pat]");
    expect(stored).not.toMatch(/ghp_[A-Za-z0-9]{36}/);
    expect(record.findings.map((f) => f.detectorId)).toContain("secret.github-pat");
  });

  it("runs the README example as documented", slow, async () => {
    const readme = readFileSync(join(projectRoot, "clients/python/README.md"), "utf8");
    const [, code, documented] =
      /<!-- readme-test: python-client -->\s*```python\n([\s\S]*?)```\s*```\n([\s\S]*?)```/.exec(
        readme,
      ) ?? [];
    if (!code || !documented) throw new Error("clients/python/README.md has no example to run");
    const res = await runPython(["-c", code], { VIGIL_SERVER: vigil.baseUrl });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(textPattern(documented));
  });

  it(
    "passes its own unit tests (fail closed without a server, builders, gencode)",
    slow,
    async () => {
      const res = await runPython(["-m", "pytest", "clients/python", "-q"]);
      expect(res.code, `${res.stdout}${res.stderr}`).toBe(0);
      expect(res.stdout).toMatch(/\d+ passed/);
    },
  );

  it("is formatted and lint-clean (ruff)", slow, async () => {
    const check = await runPython(["-m", "ruff", "check", "clients/python"]);
    expect(check.code, `${check.stdout}${check.stderr}`).toBe(0);
    const format = await runPython(["-m", "ruff", "format", "--check", "clients/python"]);
    expect(format.code, `${format.stdout}${format.stderr}`).toBe(0);
  });
});
