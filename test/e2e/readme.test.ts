import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { projectRoot } from "../../server/src/main.js";
import { captureCliStderr } from "../support/process-logs.js";
import { normalize, readmeSnippets, textPattern } from "../support/readme-snippets.js";
import { removeDir, startVigil, type VigilProcess } from "../support/vigil-process.js";

const run = promisify(execFile);
const snippets = readmeSnippets();
let vigil: VigilProcess;

beforeAll(async () => {
  vigil = await startVigil({ policy: inject("defaultBundlePath") });
});

afterAll(async () => {
  await vigil.stop();
  await removeDir(vigil.dataDir);
});

describe("README examples", () => {
  it("has the examples this suite runs", () => {
    expect(snippets.map((s) => s.name)).toEqual([
      "deny",
      "allow",
      "require-approval",
      "health",
      "policy-eval",
    ]);
  });

  it.each(snippets)("$name: prints what the README shows", async ({ command, output }) => {
    const pointed = command.replaceAll("127.0.0.1:8444", `127.0.0.1:${vigil.port}`);
    const running = run("bash", ["-c", pointed], {
      cwd: projectRoot,
      env: { ...process.env, VIGIL_OPA: inject("opaPath") },
    });
    const { stdout, stderr } = await running;
    captureCliStderr(running.child, stderr);
    if ("json" in output) {
      expect(normalize(JSON.parse(stdout))).toEqual(normalize(output.json));
    } else {
      expect(stdout).toMatch(textPattern(output.text));
    }
  });
});
