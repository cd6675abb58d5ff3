import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { PolicyLoadError } from "../errors.js";
import type { BundleSource } from "./bundle-source.js";
import { type Watch, watchDebounced } from "./file-watch.js";

/** Options for {@link createFileSource}. */
export interface FileSourceOptions {
  /** An OPA bundle `.tar.gz`. */
  path: string;
  /** Reload when the file changes. Default true. */
  watch?: boolean;
  /** Quiet time after the last write before reloading, so a half-copied file is not read. Default 300 ms. */
  debounceMs?: number;
}

/**
 * A bundle file built elsewhere (`vigil policy build`, `opa build`, a CI artifact). Reloaded
 * when it changes, including when it is replaced by rename; unchanged bytes are skipped.
 */
export function createFileSource(options: FileSourceOptions): BundleSource {
  const { path } = options;
  let watcher: Watch | undefined;
  let lastDigest: string | undefined;

  return {
    kind: "file",
    location: path,
    async start(deliver, fail) {
      const read = async () => {
        let archive: Buffer;
        try {
          archive = await readFile(path);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          fail(
            new PolicyLoadError(
              code === "ENOENT"
                ? `policy source ${path} does not exist`
                : `cannot read bundle ${path}: ${code ?? (error as Error).message}`,
            ),
          );
          return;
        }
        const digest = createHash("sha256").update(archive).digest("hex");
        if (digest === lastDigest) return;
        lastDigest = digest;
        await deliver(archive, { location: path });
      };
      await read();
      if (options.watch ?? true) {
        watcher = watchDebounced({
          path,
          ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
          run: read,
        });
        await watcher.ready;
      }
    },
    close: async () => {
      await watcher?.close();
    },
  };
}
