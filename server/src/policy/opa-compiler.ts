import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { PolicyLoadError } from "../errors.js";
import { readBundle } from "./bundle-reader.js";
import { assertSupportedBuiltins } from "./wasm-builtins.js";

const run = promisify(execFile);

/** Options for {@link compilePolicyDir}. */
export interface CompileOptions {
  /** The `opa` executable. */
  opaPath: string;
  /** Directory of `.rego` and `data.json` files; `*_test.rego` files are left out. */
  dir: string;
  /** Wasm entrypoints to compile, e.g. `["vigil/authz/decision"]`. */
  entrypoints: string[];
  /** Entrypoints compiled only when the policy defines them. Default none. */
  optionalEntrypoints?: string[];
  /** Bundle revision. Default: `src-` plus a digest of the sources, so any edit changes it. */
  revision?: string;
}

/**
 * Compiles a policy directory to an OPA Wasm bundle with `opa build -t wasm`, returning the
 * `.tar.gz` bytes. A Rego error becomes a {@link PolicyLoadError} carrying opa's message, and
 * so does a policy that calls a builtin Vigil cannot run in Wasm (named in the message).
 */
export async function compilePolicyDir(options: CompileOptions): Promise<Buffer> {
  const info = await stat(options.dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new PolicyLoadError(`policy directory ${options.dir} does not exist`);
  }
  const revision = options.revision ?? `src-${await digestSources(options.dir)}`;
  const entrypoints = [...options.entrypoints, ...(options.optionalEntrypoints ?? [])];
  let archive: Buffer;
  try {
    archive = await opaBuild(options, revision, entrypoints);
  } catch (error) {
    // opa names one undefined entrypoint per run; drop the optional ones it does not find.
    const undefinedOptional = (options.optionalEntrypoints ?? []).filter((e) =>
      (error as Error).message.includes(`entrypoint "${e}" does not refer to a rule`),
    );
    if (undefinedOptional.length === 0) throw error;
    return compilePolicyDir({
      ...options,
      revision,
      optionalEntrypoints: (options.optionalEntrypoints ?? []).filter(
        (e) => !undefinedOptional.includes(e),
      ),
    });
  }
  const bundle = await readBundle(archive, options.dir);
  assertSupportedBuiltins(await WebAssembly.compile(bundle.wasm));
  return archive;
}

async function opaBuild(
  options: CompileOptions,
  revision: string,
  entrypoints: string[],
): Promise<Buffer> {
  const work = await mkdtemp(join(tmpdir(), "vigil-opa-"));
  const out = join(work, "bundle.tar.gz");
  const args = ["build", "-t", "wasm", "--ignore", "*_test.rego", "-r", revision, "-o", out];
  for (const entrypoint of entrypoints) args.push("-e", entrypoint);
  args.push(options.dir);
  try {
    await run(options.opaPath, args, { maxBuffer: 16 * 1024 * 1024 });
    return await readFile(out);
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (err.code === "ENOENT") {
      throw new PolicyLoadError(
        `opa not found at "${options.opaPath}"; run \`npm run setup\` or pass --opa`,
      );
    }
    // opa reports Rego errors on stdout.
    const detail = `${err.stdout ?? ""}${err.stderr ?? ""}`.trim() || err.message;
    throw new PolicyLoadError(`opa build failed for ${options.dir}: ${detail}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * A short, stable digest of every source file that goes into the bundle (path and content)
 * under `dir`; tests are left out, as `opa build` leaves them out.
 */
export async function digestSources(dir: string): Promise<string> {
  const hash = createHash("sha256");
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && /\.(rego|json|ya?ml)$/.test(entry.name))
    .filter((entry) => !entry.name.endsWith("_test.rego"))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  for (const file of files) {
    hash
      .update(relative(dir, file))
      .update("\0")
      .update(await readFile(file))
      .update("\0");
  }
  return hash.digest("hex").slice(0, 12);
}
