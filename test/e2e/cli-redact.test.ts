import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { projectRoot } from "../../server/src/main.js";
import { captureCliStderr } from "../support/process-logs.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "../support/vigil-process.js";

/** Format-valid, obviously synthetic. */
const token = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ".slice(0, 36)}`;

let vigil: VigilProcess;
let dir: string;

beforeAll(async () => {
  vigil = await startVigil({ policy: inject("defaultBundlePath") });
  dir = await tempDir("vigil-scan-");
  await mkdir(join(dir, "src"));
  await writeFile(join(dir, "src/deploy.sh"), `#!/bin/sh\nexport GITHUB_TOKEN=${token}\n`);
  await writeFile(join(dir, "README.md"), "nothing secret here\n");
  await mkdir(join(dir, "node_modules"));
  await writeFile(join(dir, "node_modules/vendored.js"), `const t = "${token}";\n`);
});

afterAll(async () => {
  await vigil.stop();
  await removeDir(vigil.dataDir);
  await removeDir(dir);
});

function vigilCli(args: string[], stdin = "", server = vigil.baseUrl) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ["bin/vigil.js", ...args],
      { cwd: projectRoot, env: { ...process.env, VIGIL_SERVER: server } },
      (error, stdout, stderr) => {
        captureCliStderr(child, stderr);
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(stdin);
  });
}

describe("vigil redact", () => {
  it("masks stdin to stdout and reports findings on stderr without the value", async () => {
    const result = await vigilCli(["redact"], `build log: pushing with ${token}\n`);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("build log: pushing with [REDACTED:github-pat]\n");
    expect(result.stderr).toBe("stdin:1:25: secret.github-pat (masked)\n");
  });

  it("keeps JSON input valid JSON and writes findings to a file", async () => {
    const out = join(dir, "findings.json");
    const result = await vigilCli(
      ["redact", "--json", "--findings", out],
      JSON.stringify({ env: { GITHUB_TOKEN: token } }),
    );
    expect(JSON.parse(result.stdout)).toEqual({ env: { GITHUB_TOKEN: "[REDACTED:github-pat]" } });
    const findings = JSON.parse(await readFile(out, "utf8"));
    expect(findings).toMatchObject([
      { detector: "secret.github-pat", jsonPointer: "/env/GITHUB_TOKEN" },
    ]);
  });

  it("exits 3 and prints nothing on stdout when the server cannot be reached", async () => {
    const result = await vigilCli(["redact"], `x ${token}`, "http://127.0.0.1:1");
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/cannot reach the server .*treat as denied/);
  });
});

describe("vigil scan", () => {
  it("reports findings as path:line:column and exits 1, skipping node_modules", async () => {
    const result = await vigilCli(["scan", dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`${join(dir, "src/deploy.sh")}:2:21: secret.github-pat (masked)\n`);
  });

  it("scans a file larger than one message in pieces, with whole-file lines", async () => {
    const big = join(dir, "build.log");
    const filler = "2026-11-22T07:00:00Z INFO step finished; nothing to report here at all\n";
    // About 2.8 MB: tokens at the start, around the first piece boundary, and at the end.
    await writeFile(
      big,
      `token=${token}\n${filler.repeat(14_000)}mid=${token}\n${filler.repeat(26_000)}end=${token}\n`,
    );
    const result = await vigilCli(["scan", "--format", "json", big]);
    await removeDir(big);
    expect(result.code).toBe(1);
    const [report] = JSON.parse(result.stdout) as {
      findings: { line: number; column: number }[];
    }[];
    expect(report?.findings.map((f) => [f.line, f.column])).toEqual([
      [1, 7],
      [14_002, 5],
      [40_003, 5],
    ]);
  });

  it("names a file the server refuses, scans the rest, and exits 2 rather than 0", async () => {
    const small = await startVigil({
      policy: inject("defaultBundlePath"),
      args: ["--redact-max-bytes", "64"],
    });
    try {
      const result = await vigilCli(
        ["scan", join(dir, "README.md"), join(dir, "src")],
        "",
        small.baseUrl,
      );
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(`vigil: ${join(dir, "src/deploy.sh")}: not scanned: `);
      expect(result.stderr).toContain("over the redaction limit");
      expect(result.stderr).not.toContain(token);
    } finally {
      await small.stop();
      await removeDir(small.dataDir);
    }
  });

  it("exits 0 with no output when nothing is found", async () => {
    const result = await vigilCli(["scan", join(dir, "README.md")]);
    expect([result.code, result.stdout]).toEqual([0, ""]);
  });

  it("writes SARIF 2.1.0 for code scanning, without the value", async () => {
    const result = await vigilCli(["scan", "--format", "sarif", dir]);
    const sarif = JSON.parse(result.stdout);
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).toEqual([
      "secret.github-pat",
    ]);
    expect(sarif.runs[0].results[0]).toMatchObject({
      ruleId: "secret.github-pat",
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: join(dir, "src/deploy.sh") },
            region: { startLine: 2, startColumn: 21 },
          },
        },
      ],
    });
    expect(result.stdout).not.toContain(token);
  });
});
