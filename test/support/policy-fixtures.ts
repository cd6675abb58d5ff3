import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { inject } from "vitest";
import { type PolicyBundle, readBundle } from "../../server/src/policy/bundle-reader.js";
import { compilePolicyDir } from "../../server/src/policy/opa-compiler.js";
import { authorizeEntrypoint } from "../../server/src/policy/prepare-policy.js";
import { tempDir } from "./vigil-process.js";

/** Writes `files` (relative path → content) into a fresh temp dir the caller removes. */
export async function writePolicyDir(files: Record<string, string>): Promise<string> {
  const dir = await tempDir("vigil-rego-");
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

/**
 * Compiles a policy directory with the real opa into an in-memory bundle, with the
 * Authorize entrypoint unless `entrypoints` says otherwise.
 */
export async function compileBundle(
  dir: string,
  entrypoints: string[] = [authorizeEntrypoint],
): Promise<PolicyBundle> {
  const archive = await compilePolicyDir({ opaPath: inject("opaPath"), dir, entrypoints });
  return readBundle(archive, dir);
}

/** The bundled default policy, compiled once by the global setup. */
export async function defaultBundle(): Promise<PolicyBundle> {
  const path = inject("defaultBundlePath");
  return readBundle(await readFile(path), path);
}

/** A one-file Rego module in `package vigil.authz` whose `decision` is the given body. */
export function authzModule(body: string): Record<string, string> {
  return { "authz.rego": `package vigil.authz\n\nimport rego.v1\n\n${body}\n` };
}

/**
 * Builds a bundle with the real opa directly, skipping Vigil's own checks (such as the
 * builtin check in `compilePolicyDir`), to test that the engine still catches what they catch.
 */
export async function buildWithOpa(
  dir: string,
  entrypoints: string[] = [authorizeEntrypoint],
): Promise<PolicyBundle> {
  const out = join(dir, "..", `${dir.split("/").at(-1)}-raw.tar.gz`);
  const args = ["build", "-t", "wasm", "-o", out, ...entrypoints.flatMap((e) => ["-e", e]), dir];
  await promisify(execFile)(inject("opaPath"), args);
  return readBundle(await readFile(out), dir);
}
