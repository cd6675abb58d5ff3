import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findLogLeaks, leakReport } from "../support/log-leak-check.js";
import { removeDir, tempDir } from "../support/vigil-process.js";

let root: string;

beforeEach(async () => {
  root = await tempDir("vigil-log-check-");
});

afterEach(async () => {
  await removeDir(root);
});

describe("the run's log check", () => {
  it("finds planted values in every log file of the run, and reports them masked", async () => {
    const token = "vgl_test_proxy_agent_3f9a1c7e";
    await writeFile(join(root, "a-server-1.log"), '{"msg":"listening","port":1}\n');
    await writeFile(join(root, "b-cli-2.log"), `vigil: bad token\nvigil: ${token} refused\n`);
    const findings = await findLogLeaks(root, root);
    expect(findings).toEqual([
      {
        file: "b-cli-2.log",
        line: 2,
        detector: "planted: proxy caller token agent (proxy)",
        masked: "vgl_… (29 chars)",
      },
    ]);
    const report = leakReport(findings);
    expect(report).toContain("b-cli-2.log:2: planted: proxy caller token agent (proxy) vgl_…");
    expect(report).not.toContain(token);
  });

  it("allows a secret's resource id that `vigil authorize --wait` prints", async () => {
    await writeFile(
      join(root, "cli-approvals.test-cli-3.log"),
      "  01a2  pending  svc:reporting  secret.read  secret:prod/cli-wait  sre-oncall 0/1\n",
    );
    expect(await findLogLeaks(root, root)).toEqual([]);
  });
});
