// Loads a TypeScript entry point either from the JavaScript `npm run build` wrote to dist/, or,
// when that is missing or older than any source, from the sources through tsx's loader. The
// build halves the server's memory (no compiler in the process) and starts the CLI in a
// fraction of the time; the fallback means a checkout never runs stale code.
import { readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Where the build writes JavaScript, mirroring the source layout. */
export const distDir = join(root, "dist");

/** Written last by the build: dist/ is complete and as new as this file. */
export const stampFile = join(distDir, ".built");

/** What the build compiles: the server, the generated code, and the bench's no-op floor. */
export const sourceRoots = ["server/src", "gen/vigil", "gen/grpc", "bench/compare/noop-server.ts"];

/** Every TypeScript source the build compiles, relative to the root. */
export function sourceFiles() {
  return sourceRoots.flatMap((entry) => {
    const path = join(root, entry);
    if (entry.endsWith(".ts")) return [entry];
    return readdirSync(path, { recursive: true })
      .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
      .map((name) => join(entry, name));
  });
}

/** Whether dist/ holds a build at least as new as every source. */
export function isBuildFresh() {
  let built;
  try {
    built = statSync(stampFile).mtimeMs;
  } catch {
    return false;
  }
  return sourceFiles().every((file) => statSync(join(root, file)).mtimeMs <= built);
}

/**
 * Imports `entry` (a `.ts` path relative to the root): the built JavaScript when it is fresh,
 * else the source through tsx. `VIGIL_FROM_SOURCE=1` forces the sources.
 */
export async function importEntry(entry) {
  if (process.env.VIGIL_FROM_SOURCE !== "1" && isBuildFresh()) {
    return import(pathToFileURL(join(distDir, entry.replace(/\.ts$/, ".js"))).href);
  }
  const { register } = await import("tsx/esm/api");
  register();
  return import(pathToFileURL(join(root, entry)).href);
}
