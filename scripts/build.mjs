// `npm run build`: transpiles the server and the generated code to JavaScript in dist/, file
// for file (no bundling: worker threads and the policy loader find their modules by path).
// Types are checked by `npm run typecheck`, not here. esbuild does this for ~300 files in
// well under a second, so `npm start` and `npm test` run it every time.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { distDir, root, sourceFiles, stampFile } from "../bin/load-entry.js";

const started = performance.now();
rmSync(distDir, { recursive: true, force: true });
const files = sourceFiles();
await build({
  absWorkingDir: root,
  entryPoints: files,
  outdir: distDir,
  outbase: ".",
  format: "esm",
  platform: "node",
  target: "node20",
  // Stack traces map back to the TypeScript with `node --enable-source-maps`.
  sourcemap: "linked",
  logLevel: "warning",
});
writeFileSync(stampFile, "");
console.log(
  `build: ${files.length} files to ${join("dist", "")} in ${(performance.now() - started).toFixed(0)} ms`,
);
