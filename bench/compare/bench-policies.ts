import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { projectRoot } from "../../server/src/main.js";
import { tempDir } from "../../test/support/vigil-process.js";

/** One policy the comparison runs, as a Rego directory both Vigil and OPA can load. */
export interface BenchPolicy {
  /** Row label, e.g. `default library`. */
  name: string;
  dir: string;
  /**
   * The policy library Vigil ships (`policies/`): the one the latency sweep, the memory rows and
   * the Record rows use.
   */
  shipped: boolean;
}

/** How many entries the large-data policy adds. */
export const largeDataEntries = 10_000;

/**
 * The policies compared: a tiny RBAC bundle (`bench/policies/small-rbac`), the default library
 * (`policies/`), and the default library with {@link largeDataEntries} offboarded identities
 * added to its `data.json`, generated into `workDir`. Offboarded identities because
 * `authz.rego` tests every request's principal against that list, so the data is on the hot
 * path rather than merely loaded.
 */
export async function benchPolicies(workDir: string): Promise<BenchPolicy[]> {
  const large = join(workDir, "large-data");
  await cp(join(projectRoot, "policies"), large, {
    recursive: true,
    filter: (source) => !source.endsWith("_test.rego"),
  });
  const dataFile = join(large, "data.json");
  const data = JSON.parse(await readFile(dataFile, "utf8"));
  const generated = Array.from({ length: largeDataEntries }, (_, i) => `svc:retired-${i}`);
  data.vigil.offboarded_identities = [...data.vigil.offboarded_identities, ...generated];
  await writeFile(dataFile, JSON.stringify(data));
  return [
    { name: "small RBAC", dir: join(projectRoot, "bench/policies/small-rbac"), shipped: false },
    { name: "default library", dir: join(projectRoot, "policies"), shipped: true },
    { name: `default + ${largeDataEntries / 1000}k data`, dir: large, shipped: false },
  ];
}

/** A temp directory for generated policies; the caller removes it. */
export function benchWorkDir(): Promise<string> {
  return tempDir("vigil-compare-");
}
