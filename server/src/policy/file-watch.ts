import { watch } from "chokidar";

/** Options for {@link watchDebounced}. */
export interface WatchOptions {
  /** A file or a directory (watched recursively). */
  path: string;
  /** Only changes to paths this accepts trigger a run. Default: every path. */
  filter?: (path: string) => boolean;
  /** Quiet time after the last change before `run` starts. Default 300 ms. */
  debounceMs?: number;
  /**
   * Called after changes settle. Never runs twice at once: changes during a run schedule one
   * more run after it, so an editor's burst of saves costs one or two rebuilds, not ten.
   */
  run: () => Promise<void>;
}

/** A running watch. */
export interface Watch {
  /** Resolves once the watcher is ready, so a change right after start is not missed. */
  ready: Promise<void>;
  /** Stops watching and waits for a run in progress. */
  close(): Promise<void>;
}

/**
 * Watches a file or directory with chokidar (which survives editors' save-by-rename and
 * files being replaced atomically, where `fs.watch` loses track of the inode) and runs
 * `run` once per settled burst of changes.
 */
export function watchDebounced(options: WatchOptions): Watch {
  const debounceMs = options.debounceMs ?? 300;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let pending = false;
  let closed = false;

  const trigger = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  };
  const fire = () => {
    timer = undefined;
    if (running) {
      pending = true;
      return;
    }
    running = options.run().finally(() => {
      running = undefined;
      if (pending && !closed) {
        pending = false;
        fire();
      }
    });
  };

  const watcher = watch(options.path, { ignoreInitial: true, persistent: true });
  watcher.on("all", (_event, path) => {
    if (!options.filter || options.filter(path)) trigger();
  });
  const ready = new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  return {
    ready,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await watcher.close();
      await running;
    },
  };
}
