import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { PolicyLoadError } from "../../server/src/errors.js";
import type { BundleOrigin, BundleSource } from "../../server/src/policy/bundle-source.js";
import { createDirectorySource } from "../../server/src/policy/directory-source.js";
import { createFileSource } from "../../server/src/policy/file-source.js";
import { compilePolicyDir } from "../../server/src/policy/opa-compiler.js";
import {
  optionalEntrypoints,
  requiredEntrypoints,
} from "../../server/src/policy/prepare-policy.js";
import { captureLogs } from "../support/log-capture.js";
import { authzModule, writePolicyDir } from "../support/policy-fixtures.js";
import { removeDir, tempDir } from "../support/vigil-process.js";

const allow = authzModule('decision := {"decision": "allow"}');
const deny = authzModule('decision := {"decision": "deny", "reasons": ["changed"]}');

/** Records what a source hands over, with promises that resolve on the next event. */
function recorder() {
  const delivered: { archive: Buffer; origin: BundleOrigin }[] = [];
  const failures: unknown[] = [];
  const waiters: (() => void)[] = [];
  const notify = () => {
    for (const w of waiters.splice(0)) w();
  };
  const until = async (check: () => boolean, what: string) => {
    const deadline = Date.now() + 15_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  return {
    delivered,
    failures,
    deliver: async (archive: Buffer, origin: BundleOrigin) => {
      delivered.push({ archive, origin });
      notify();
      return true;
    },
    fail: (error: unknown) => {
      failures.push(error);
      notify();
    },
    until,
  };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function started(source: BundleSource, events: ReturnType<typeof recorder>) {
  cleanup.push(() => source.close());
  await source.start(events.deliver, events.fail);
}

async function policyDir(files: Record<string, string>) {
  const dir = await writePolicyDir(files);
  cleanup.push(() => removeDir(dir));
  return dir;
}

describe("directory source", () => {
  const source = (dir: string, watch = true) =>
    createDirectorySource({
      dir,
      opaPath: inject("opaPath"),
      entrypoints: requiredEntrypoints,
      optionalEntrypoints,
      watch,
      debounceMs: 50,
      logger: captureLogs().logger,
    });

  it("compiles the directory on start and delivers the bundle", async () => {
    const dir = await policyDir(allow);
    const events = recorder();
    await started(source(dir, false), events);
    expect(events.delivered).toHaveLength(1);
    expect(events.delivered[0]?.origin).toEqual({ location: dir });
    expect(events.delivered[0]?.archive.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });

  it("recompiles when a policy file changes", async () => {
    const dir = await policyDir(allow);
    const events = recorder();
    await started(source(dir), events);
    await writeFile(join(dir, "authz.rego"), deny["authz.rego"] as string);
    await events.until(() => events.delivered.length === 2, "a second delivery");
    expect(events.delivered[1]?.archive.equals(events.delivered[0]?.archive as Buffer)).toBe(false);
  });

  it("ignores edits that leave the compiled sources identical, such as test files", async () => {
    const dir = await policyDir(allow);
    const events = recorder();
    await started(source(dir), events);
    await writeFile(join(dir, "authz_test.rego"), "package vigil.authz_test\n");
    await writeFile(join(dir, "authz.rego"), allow["authz.rego"] as string); // same bytes
    // A real change afterwards is the marker that the watcher has seen everything before it.
    await writeFile(join(dir, "data.json"), '{"marker": 1}');
    await events.until(() => events.delivered.length >= 2, "the marker change");
    expect(events.delivered).toHaveLength(2);
  });

  it("reports a Rego error with opa's message and recovers on the next good edit", async () => {
    const dir = await policyDir(allow);
    const events = recorder();
    await started(source(dir), events);
    await writeFile(join(dir, "authz.rego"), "package vigil.authz\n\ndecision := {\n");
    await events.until(() => events.failures.length === 1, "a compile failure");
    expect(events.failures[0]).toBeInstanceOf(PolicyLoadError);
    expect((events.failures[0] as Error).message).toMatch(/opa build failed .*rego_parse_error/s);
    await writeFile(join(dir, "authz.rego"), deny["authz.rego"] as string);
    await events.until(() => events.delivered.length === 2, "a delivery after the fix");
  });

  it("coalesces a burst of saves into few compiles", async () => {
    const dir = await policyDir(allow);
    const events = recorder();
    await started(source(dir), events);
    for (let i = 0; i < 10; i++) {
      await writeFile(join(dir, "data.json"), JSON.stringify({ burst: i }));
    }
    await events.until(() => events.delivered.length >= 2, "a delivery after the burst");
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(events.delivered.length).toBeLessThanOrEqual(3);
  });
});

describe("file source", () => {
  async function bundleFile() {
    const dir = await tempDir("vigil-file-source-");
    cleanup.push(() => removeDir(dir));
    const build = async (files: Record<string, string>) => {
      const src = await policyDir(files);
      return compilePolicyDir({
        opaPath: inject("opaPath"),
        dir: src,
        entrypoints: requiredEntrypoints,
      });
    };
    return { dir, path: join(dir, "bundle.tar.gz"), build };
  }
  const source = (path: string, watch = true) => createFileSource({ path, watch, debounceMs: 50 });

  it("reads the bundle file on start", async () => {
    const { path, build } = await bundleFile();
    const archive = await build(allow);
    await writeFile(path, archive);
    const events = recorder();
    await started(source(path, false), events);
    expect(events.delivered.map((d) => d.archive)).toEqual([archive]);
  });

  it("reloads when the file is replaced by rename, as deploy tools do", async () => {
    const { dir, path, build } = await bundleFile();
    await writeFile(path, await build(allow));
    const events = recorder();
    await started(source(path), events);
    const next = await build(deny);
    await writeFile(join(dir, "incoming.tmp"), next);
    await rename(join(dir, "incoming.tmp"), path);
    await events.until(() => events.delivered.length === 2, "the replaced bundle");
    expect(events.delivered[1]?.archive).toEqual(next);
  });

  it("reports a missing file and loads it once it appears", async () => {
    const { dir, path, build } = await bundleFile();
    const events = recorder();
    await started(source(path), events);
    expect((events.failures[0] as Error).message).toBe(`policy source ${path} does not exist`);
    await mkdir(dir, { recursive: true });
    await writeFile(path, await build(allow));
    await events.until(() => events.delivered.length === 1, "the new file");
  });

  it("reports a deleted file and keeps watching", async () => {
    const { path, build } = await bundleFile();
    await writeFile(path, await build(allow));
    const events = recorder();
    await started(source(path), events);
    await rm(path);
    await events.until(() => events.failures.length === 1, "the deletion");
    expect((events.failures[0] as Error).message).toContain("does not exist");
    await writeFile(path, await build(deny));
    await events.until(() => events.delivered.length === 2, "the file coming back");
  });
});
