import type { Logger } from "../logging/logger.js";
import type { BundleSource } from "./bundle-source.js";
import { type Watch, watchDebounced } from "./file-watch.js";
import { compilePolicyDir, digestSources } from "./opa-compiler.js";

/** Options for {@link createDirectorySource}. */
export interface DirectorySourceOptions {
  /** A directory of `.rego` files and `data.json`. */
  dir: string;
  /** The pinned `opa` executable. */
  opaPath: string;
  /** Entrypoints every bundle must have. */
  entrypoints: string[];
  /** Entrypoints compiled when the policy defines them. Default none. */
  optionalEntrypoints?: string[];
  /** Recompile when files change. Default true. */
  watch?: boolean;
  /** Quiet time after the last edit before recompiling. Default 300 ms. */
  debounceMs?: number;
  logger: Logger;
}

/**
 * The policy author's inner loop: compiles the directory with `opa build -t wasm` at start and
 * again whenever a policy or data file changes. Edits that leave the sources identical (a
 * test file, a touch) cost nothing: the source digest is compared first.
 */
export function createDirectorySource(options: DirectorySourceOptions): BundleSource {
  const { dir, logger } = options;
  let watcher: Watch | undefined;
  let lastDigest: string | undefined;

  return {
    kind: "directory",
    location: dir,
    async start(deliver, fail) {
      const build = async () => {
        try {
          const digest = await digestSources(dir);
          if (digest === lastDigest) return;
          lastDigest = digest;
          logger.info({ dir }, "compiling policy directory");
          const archive = await compilePolicyDir({
            opaPath: options.opaPath,
            dir,
            entrypoints: options.entrypoints,
            optionalEntrypoints: options.optionalEntrypoints ?? [],
          });
          await deliver(archive, { location: dir });
        } catch (error) {
          fail(error);
        }
      };
      await build();
      if (options.watch ?? true) {
        watcher = watchDebounced({
          path: dir,
          filter: (path) => /\.(rego|json|ya?ml)$/.test(path) && !path.endsWith("_test.rego"),
          ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
          run: build,
        });
        await watcher.ready;
      }
    },
    close: async () => {
      await watcher?.close();
    },
  };
}
