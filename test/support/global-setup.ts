import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { projectDefaults, projectRoot } from "../../server/src/main.js";
import { compilePolicyDir } from "../../server/src/policy/opa-compiler.js";
import {
  optionalEntrypoints,
  requiredEntrypoints,
} from "../../server/src/policy/prepare-policy.js";
import { checkRunLogs, createRunLogDir } from "./log-leak-check.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The bundled default policy, compiled once by the real opa for every suite. */
    defaultBundlePath: string;
    /** The opa executable the suites compile fixtures with. */
    opaPath: string;
    /** This run's directory for the output of every Vigil process the suites start. */
    logDir: string;
  }
}

/**
 * Compiles the default policy once so end-to-end servers start without recompiling, and gives
 * the run a log directory that the teardown scans for secrets ("no secrets in logs").
 */
export default async function setup(project: TestProject) {
  const defaults = projectDefaults();
  const dir = await mkdtemp(join(tmpdir(), "vigil-test-bundle-"));
  const bundlePath = join(dir, "bundle.tar.gz");
  const bundle = await compilePolicyDir({
    opaPath: defaults.opaPath,
    dir: defaults.policyDir,
    entrypoints: requiredEntrypoints,
    optionalEntrypoints,
  });
  await writeFile(bundlePath, bundle);
  project.provide("defaultBundlePath", bundlePath);
  project.provide("opaPath", defaults.opaPath);
  const logDir = await createRunLogDir(projectRoot);
  project.provide("logDir", logDir);
  return async () => {
    await rm(dir, { recursive: true, force: true });
    await checkRunLogs(logDir, projectRoot);
  };
}
