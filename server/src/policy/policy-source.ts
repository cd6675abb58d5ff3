import { readFile, stat } from "node:fs/promises";
import { PolicyLoadError } from "../errors.js";
import { type PolicyBundle, readBundle } from "./bundle-reader.js";
import { compilePolicyDir } from "./opa-compiler.js";
import { requiredEntrypoints } from "./policy-engine.js";

/** Options for {@link readPolicySource}. */
export interface PolicySourceOptions {
  /** A directory of Rego + data.json, or an OPA bundle `.tar.gz`. */
  source: string;
  /** The `opa` executable, used only for directories. */
  opaPath: string;
}

/** Produces a bundle from the configured source: compiles a directory, reads a bundle file. */
export async function readPolicySource(options: PolicySourceOptions): Promise<PolicyBundle> {
  const info = await stat(options.source).catch(() => undefined);
  if (!info) throw new PolicyLoadError(`policy source ${options.source} does not exist`);
  if (info.isDirectory()) {
    const archive = await compilePolicyDir({
      opaPath: options.opaPath,
      dir: options.source,
      entrypoints: requiredEntrypoints,
    });
    return readBundle(archive, options.source);
  }
  return readBundle(await readFile(options.source), options.source);
}
