import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { Piscina } from "piscina";
import { PolicyEvaluationError } from "../errors.js";
import type { EvaluationReply, EvaluationTask } from "./policy-worker.js";

/** Options for {@link createPolicyWorkerPool}. */
export interface PolicyWorkerPoolOptions {
  /** Worker threads, all started up front. Default: the number of CPUs, at most 4. */
  threads?: number;
  /** Tasks allowed to wait for a thread before `evaluate` fails fast. Default 1024. */
  maxQueue?: number;
}

/** Threads that evaluate policies off the event loop. */
export interface PolicyWorkerPool {
  /** Runs one evaluation on some thread; rejects with {@link PolicyEvaluationError}. */
  evaluate(task: EvaluationTask): Promise<{ result: unknown; memoryBytes: number }>;
  readonly threads: number;
  /** Recycled Wasm instances reported by the workers so far. */
  recycles(): number;
  /** Tasks waiting for a free thread. */
  queued(): number;
  close(): Promise<void>;
}

const workerUrl = new URL(
  import.meta.url.endsWith(".ts") ? "./policy-worker.ts" : "./policy-worker.js",
  import.meta.url,
);

/** Starts a piscina pool whose threads run `policy-worker.ts`. */
export function createPolicyWorkerPool(options: PolicyWorkerPoolOptions = {}): PolicyWorkerPool {
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
  let recycles = 0;
  return {
    threads,
    async evaluate(task) {
      const reply = (await pool.run(task, {
        // The encoder made this buffer for this task alone; moving it avoids a copy.
        transferList: [task.input.buffer as ArrayBuffer],
      })) as EvaluationReply;
      if (reply.recycled) recycles++;
      if (!reply.ok) throw new PolicyEvaluationError(reply.error);
      return { result: reply.result, memoryBytes: reply.memoryBytes };
    },
    recycles: () => recycles,
    queued: () => pool.queueSize,
    close: () => pool.destroy(),
  };
}

function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
}
