import { OverloadedError, PolicyEvaluationError, PolicyOverloadedError } from "../errors.js";
import {
  createWorkerPool,
  type WorkerPool,
  type WorkerPoolOptions,
} from "../workers/worker-pool.js";
import type { EvaluationTask } from "./policy-worker.js";

/** Options for {@link createPolicyWorkerPool}: a pool to share, or options for an own one. */
export type PolicyWorkerPoolOptions = WorkerPoolOptions & {
  /** Threads shared with redaction; closing the policy pool leaves a shared one running. */
  shared?: WorkerPool | undefined;
};

/** Policy evaluation on worker threads. */
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

/** Evaluates on a worker pool (its own, or a shared one), counting instance recycles. */
export function createPolicyWorkerPool(options: PolicyWorkerPoolOptions = {}): PolicyWorkerPool {
  const pool = options.shared ?? createWorkerPool(options);
  let recycles = 0;
  return {
    threads: pool.threads,
    async evaluate(task) {
      let reply: Awaited<ReturnType<typeof pool.run<"evaluate">>>;
      try {
        reply = await pool.run("evaluate", task, {
          // The encoder made this buffer for this task alone; moving it avoids a copy.
          transferList: [task.input.buffer as ArrayBuffer],
        });
      } catch (error) {
        if (error instanceof OverloadedError) {
          throw new PolicyOverloadedError("policy evaluation queue is full; retry later", {
            cause: error,
          });
        }
        throw error;
      }
      if (reply.recycled) recycles++;
      if (!reply.ok) throw new PolicyEvaluationError(reply.error);
      return { result: reply.result, memoryBytes: reply.memoryBytes };
    },
    recycles: () => recycles,
    queued: pool.queued,
    close: async () => {
      if (!options.shared) await pool.close();
    },
  };
}
