import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { Piscina } from "piscina";
import { OverloadedError } from "../errors.js";
import type { WorkerReplies, WorkerTask } from "./worker-main.js";

/** Options for {@link createWorkerPool}. */
export interface WorkerPoolOptions {
  /** Worker threads, all started up front. Default: the number of CPUs, at most 4. */
  threads?: number;
  /** Tasks allowed to wait for a thread before `run` fails fast. Default 1024. */
  maxQueue?: number;
}

/** The task kinds a worker runs (see `worker-main.ts`). */
export type WorkerTaskName = WorkerTask["kind"];

/** Threads shared by policy evaluation and redaction, so large inputs never block the event loop. */
export interface WorkerPool {
  /**
   * Runs a task of kind `name` on some thread. Aborting `signal` cancels a queued task
   * and stops the thread running a started one (piscina replaces it). Throws
   * {@link OverloadedError} when the queue is full.
   */
  run<N extends WorkerTaskName>(
    name: N,
    task: Extract<WorkerTask, { kind: N }>["task"],
    options?: { transferList?: ArrayBuffer[]; signal?: AbortSignal },
  ): Promise<WorkerReplies[N]>;
  readonly threads: number;
  /** Tasks waiting for a free thread. */
  queued(): number;
  close(): Promise<void>;
}

const workerUrl = new URL(
  import.meta.url.endsWith(".ts") ? "./worker-main.ts" : "./worker-main.js",
  import.meta.url,
);

/** Starts a piscina pool whose threads run `worker-main.ts`. */
export function createWorkerPool(options: WorkerPoolOptions = {}): WorkerPool {
  const threads = options.threads ?? Math.min(4, availableParallelism());
  const pool = new Piscina({
    filename: workerUrl.href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Number.POSITIVE_INFINITY,
    maxQueue: options.maxQueue ?? 1024,
    // Sources run as TypeScript through tsx; worker threads need the loader registered too.
    execArgv: workerUrl.pathname.endsWith(".ts") ? ["--import", tsxLoader()] : [],
  });
  return {
    threads,
    async run(name, task, runOptions = {}) {
      try {
        return await pool.run({ kind: name, task }, runOptions);
      } catch (error) {
        if (/queue is at limit/i.test((error as Error).message)) {
          throw new OverloadedError("worker queue is full; retry later", { cause: error });
        }
        throw error;
      }
    },
    queued: () => pool.queueSize,
    close: () => pool.destroy(),
  };
}

function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
}
