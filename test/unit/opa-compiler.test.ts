import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { PolicyLoadError } from "../../server/src/errors.js";
import { readBundle } from "../../server/src/policy/bundle-reader.js";
import { compilePolicyDir, digestSources } from "../../server/src/policy/opa-compiler.js";
import { authzModule, writePolicyDir } from "../support/policy-fixtures.js";
import { removeDir } from "../support/vigil-process.js";

const entrypoints = ["vigil/authz/decision"];
const tinyPolicy = authzModule('decision := {"decision": "allow"}');
const dirs: string[] = [];

async function policyDir(files: Record<string, string>): Promise<string> {
  const dir = await writePolicyDir(files);
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

/** Awaits a compile that must fail and returns its PolicyLoadError. */
async function compileError(compile: Promise<unknown>): Promise<PolicyLoadError> {
  const error = await compile.then(
    () => expect.fail("expected the compile to fail"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PolicyLoadError);
  return error as PolicyLoadError;
}

describe("compilePolicyDir", () => {
  it("builds a wasm bundle with the entrypoint and a src- revision", async () => {
    const dir = await policyDir(tinyPolicy);
    const archive = await compilePolicyDir({ opaPath: inject("opaPath"), dir, entrypoints });
    const bundle = await readBundle(archive, dir);
    expect(bundle.entrypoints).toEqual(entrypoints);
    expect(bundle.revision).toBe(`src-${await digestSources(dir)}`);
    expect(bundle.revision).toMatch(/^src-[0-9a-f]{12}$/);
  });

  it("uses an explicit revision when given one", async () => {
    const dir = await policyDir(tinyPolicy);
    const archive = await compilePolicyDir({
      opaPath: inject("opaPath"),
      dir,
      entrypoints,
      revision: "release-7",
    });
    expect((await readBundle(archive, dir)).revision).toBe("release-7");
  });

  it("includes data.json in the bundle", async () => {
    const dir = await policyDir({ ...tinyPolicy, "data.json": '{"vigil": {"limit": 3}}' });
    const archive = await compilePolicyDir({ opaPath: inject("opaPath"), dir, entrypoints });
    expect((await readBundle(archive, dir)).data).toEqual({ vigil: { limit: 3 } });
  });

  it("leaves *_test.rego files out, so a broken test file does not break the build", async () => {
    const dir = await policyDir({
      ...tinyPolicy,
      "authz_test.rego": "package x\n this is not rego",
    });
    const archive = await compilePolicyDir({ opaPath: inject("opaPath"), dir, entrypoints });
    expect((await readBundle(archive, dir)).entrypoints).toEqual(entrypoints);
  });

  it("reports a Rego syntax error with opa's rego_parse_error", async () => {
    const dir = await policyDir(authzModule("decision := {"));
    const error = await compileError(
      compilePolicyDir({ opaPath: inject("opaPath"), dir, entrypoints }),
    );
    expect(error.message).toContain("rego_parse_error");
    expect(error.message).toContain(`opa build failed for ${dir}`);
  });

  it("reports an entrypoint the policy does not define", async () => {
    const dir = await policyDir(tinyPolicy);
    const error = await compileError(
      compilePolicyDir({ opaPath: inject("opaPath"), dir, entrypoints: ["vigil/nope/decision"] }),
    );
    expect(error.message).toContain("vigil/nope/decision");
  });

  it("reports a policy directory that does not exist", async () => {
    const dir = join(await policyDir(tinyPolicy), "missing");
    const error = await compileError(
      compilePolicyDir({ opaPath: inject("opaPath"), dir, entrypoints }),
    );
    expect(error.message).toBe(`policy directory ${dir} does not exist`);
  });

  it("tells the operator to run setup when opa is missing", async () => {
    const dir = await policyDir(tinyPolicy);
    const opaPath = join(dir, "no-such-opa");
    const error = await compileError(compilePolicyDir({ opaPath, dir, entrypoints }));
    expect(error.message).toBe(
      `opa not found at "${opaPath}"; run \`npm run setup\` or pass --opa`,
    );
  });
});

describe("digestSources", () => {
  it("is stable for unchanged sources", async () => {
    const dir = await policyDir({ ...tinyPolicy, "data.json": "{}" });
    expect(await digestSources(dir)).toBe(await digestSources(dir));
  });

  it("changes when a policy file changes", async () => {
    const dir = await policyDir(tinyPolicy);
    const before = await digestSources(dir);
    await writeFile(
      join(dir, "authz.rego"),
      'package vigil.authz\n\ndecision := {"decision": "deny"}\n',
    );
    expect(await digestSources(dir)).not.toBe(before);
  });

  it("changes when a file in a subdirectory is added", async () => {
    const dir = await policyDir(tinyPolicy);
    const before = await digestSources(dir);
    const withLib = await policyDir({ ...tinyPolicy, "lib/extra.rego": "package vigil.lib\n" });
    expect(await digestSources(withLib)).not.toBe(before);
  });

  it("ignores *_test.rego files, which are not part of the bundle", async () => {
    const dir = await policyDir(tinyPolicy);
    const before = await digestSources(dir);
    await writeFile(join(dir, "authz_test.rego"), "package vigil.authz_test\n");
    expect(await digestSources(dir)).toBe(before);
  });

  it("ignores files that are not policy sources", async () => {
    const dir = await policyDir(tinyPolicy);
    const before = await digestSources(dir);
    await writeFile(join(dir, "NOTES.md"), "scratch");
    expect(await digestSources(dir)).toBe(before);
  });

  it("depends on file names, not only contents", async () => {
    const a = await policyDir({ "a.rego": "package p\n" });
    const b = await policyDir({ "b.rego": "package p\n" });
    expect(await digestSources(a)).not.toBe(await digestSources(b));
  });
});
