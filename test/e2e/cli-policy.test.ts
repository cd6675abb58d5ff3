import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { toJson } from "@bufbuild/protobuf";
import { afterAll, describe, expect, inject, it } from "vitest";
import { AuthorizeRequestSchema } from "../../gen/vigil/v1/policy_service_pb.js";
import { projectRoot } from "../../server/src/main.js";
import { readBundle } from "../../server/src/policy/bundle-reader.js";
import { authzModule, writePolicyDir } from "../support/policy-fixtures.js";
import { captureCliStderr } from "../support/process-logs.js";
import { offboardedCiJob } from "../support/requests.js";
import { removeDir, tempDir } from "../support/vigil-process.js";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});

/** Runs `vigil …` as a user would and collects its exit code and output. */
function vigil(args: string[], stdin?: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ["bin/vigil.js", ...args],
      { cwd: projectRoot },
      (error, stdout, stderr) => {
        captureCliStderr(child, stderr);
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

async function dir(files: Record<string, string>) {
  const path = await writePolicyDir(files);
  dirs.push(path);
  return path;
}

const opa = () => ["--opa", inject("opaPath")];

const offboarding = {
  ...authzModule(
    [
      'default decision := {"decision": "allow"}',
      'decision := {"decision": "deny", "reasons": [{"code": "offboarded_identity", "message": "gone"}]} if {',
      "\tinput.principal.id in data.offboarded",
      "}",
    ].join("\n"),
  ),
  "data.json": JSON.stringify({ offboarded: ["repo:acme/legacy-billing:ref:refs/heads/main"] }),
};

describe("vigil policy build", () => {
  it("writes a bundle that carries the Authorize entrypoint", async () => {
    const src = await dir(offboarding);
    const out = join(await tempDir("vigil-cli-build-"), "bundle.tar.gz");
    dirs.push(join(out, ".."));
    const result = await vigil(["policy", "build", "--policy", src, "--out", out, ...opa()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^wrote .*bundle\.tar\.gz \(\d+ bytes\)\n$/);
    const { readFile } = await import("node:fs/promises");
    const bundle = await readBundle(await readFile(out), out);
    expect(bundle.entrypoints).toEqual(["vigil/authz/decision"]);
  });

  it("refuses a policy that calls a builtin Vigil cannot run, naming it", async () => {
    const src = await dir(
      authzModule(
        'decision := {"decision": "allow"} if http.send({"method": "GET", "url": "http://x"}).status_code == 200',
      ),
    );
    const result = await vigil([
      "policy",
      "build",
      "--policy",
      src,
      "--out",
      join(src, "b.tgz"),
      ...opa(),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^vigil: policy uses builtin http\.send, which Vigil cannot run/);
  });
});

describe("vigil policy test", () => {
  it("passes when the policy's tests pass and fails when one fails", async () => {
    const passing = await dir({
      ...offboarding,
      "authz_test.rego": [
        "package vigil.authz_test",
        "import rego.v1",
        "import data.vigil.authz",
        'test_allows if authz.decision.decision == "allow" with input as {"principal": {"id": "x"}}',
      ].join("\n"),
    });
    const ok = await vigil(["policy", "test", "--policy", passing, ...opa()]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("test_allows: PASS");

    const failing = await dir({
      ...offboarding,
      "authz_test.rego": [
        "package vigil.authz_test",
        "import rego.v1",
        "import data.vigil.authz",
        'test_wrongly_expects_deny if authz.decision.decision == "deny" with input as {"principal": {"id": "x"}}',
      ].join("\n"),
    });
    const failed = await vigil(["policy", "test", "--policy", failing, ...opa()]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("test_wrongly_expects_deny: FAIL");
  });
});

describe("vigil policy eval", () => {
  it("shapes an AuthorizeRequest as the server does and shows the decision and reasons", async () => {
    const src = await dir(offboarding);
    const request = join(src, "request.json");
    await writeFile(request, JSON.stringify(toJson(AuthorizeRequestSchema, offboardedCiJob())));
    const result = await vigil(["policy", "eval", "--policy", src, "--request", request, ...opa()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^decision: deny\n {2}reason offboarded_identity: gone\npolicy: revision src-[0-9a-f]{12}, entrypoint vigil\/authz\/decision\n$/,
    );
  });

  it("takes a raw input document on stdin and prints JSON with --json", async () => {
    const src = await dir(offboarding);
    const input = JSON.stringify({ principal: { id: "someone" } });
    const result = await vigil(
      ["policy", "eval", "--policy", src, "--input", "-", "--json", ...opa()],
      input,
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: "allow", reasons: [] });
  });

  it("says which flag is missing and exits 2", async () => {
    const result = await vigil(["policy", "eval", ...opa()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "vigil: policy eval: give exactly one of --input FILE or --request FILE\n",
    );
  });

  it("names a missing entrypoint", async () => {
    const src = await dir(offboarding);
    const result = await vigil(
      ["policy", "eval", "--policy", src, "--input", "-", "--entrypoint", "vigil/nope", ...opa()],
      "{}",
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /has no entrypoint vigil\/nope \(it has vigil\/authz\/decision\)/,
    );
  });
});
