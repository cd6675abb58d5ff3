import { PolicyEvaluationError, PolicyOverloadedError } from "../errors.js";
import { createPolicyInstance, type MemoryLimits, type PolicyInstance } from "./policy-instance.js";
import type { SharedBundle } from "./policy-worker.js";
import type { PolicyWorkerPool } from "./policy-worker-pool.js";

/** Options for {@link createPolicyEvaluator}. */
export interface PolicyEvaluatorOptions extends MemoryLimits {
  /** Threads for large inputs. Default none: everything evaluates on the main thread. */
  pool?: PolicyWorkerPool | undefined;
  /**
   * Inputs up to this many bytes of JSON evaluate on the main thread, larger ones on the pool.
   * A small decision costs tens of microseconds inline but a thread hop costs more, while a
   * large one (regexes over a long prompt) costs milliseconds and would stall every other
   * request: `npm run bench` measures both sides. Default 16 KiB.
   */
  inlineMaxBytes?: number;
}

/** A bundle's policy made ready for evaluation on the main thread and on the pool. */
export interface PreparedPolicy {
  readonly id: number;
  readonly entrypoints: readonly string[];
  readonly inline: PolicyInstance;
  readonly shared: SharedBundle;
}

/** The result of one evaluation and where it ran, for metrics. */
export interface Evaluation {
  result: unknown;
  thread: "main" | "worker";
}

/** Evaluates prepared policies inline or on the pool, by input size. */
export interface PolicyEvaluator {
  /** Instantiates `module` on the main thread and shares it with the pool. */
  prepare(module: WebAssembly.Module, data: object): PreparedPolicy;
  /**
   * Evaluates an entrypoint; rejects with {@link PolicyEvaluationError} when the policy fails
   * and {@link PolicyOverloadedError} when the pool's queue is full.
   */
  evaluate(
    policy: PreparedPolicy,
    entrypoint: string,
    input: unknown,
    nowMs: number,
  ): Promise<Evaluation>;
  /** Wasm instances replaced so far (memory bound or failure), on every thread. */
  recycles(): number;
  close(): Promise<void>;
}

let nextId = 1;
const encoder = new TextEncoder();

/** Creates an evaluator; `close()` stops the pool it was given. */
export function createPolicyEvaluator(options: PolicyEvaluatorOptions = {}): PolicyEvaluator {
  const inlineMaxBytes = options.inlineMaxBytes ?? 16 * 1024;
  const limits: MemoryLimits = {
    ...(options.maxMemoryBytes ? { maxMemoryBytes: options.maxMemoryBytes } : {}),
    ...(options.recycleAboveBytes ? { recycleAboveBytes: options.recycleAboveBytes } : {}),
  };
  const { pool } = options;
  const inlineInstances = new Set<PolicyInstance>();
  let retiredRecycles = 0;

  return {
    prepare(module, data) {
      const inline = createPolicyInstance({ module, data, ...limits });
      const json = encoder.encode(JSON.stringify(data));
      const shared = new SharedArrayBuffer(json.byteLength);
      new Uint8Array(shared).set(json);
      // Only the active and the previous bundle's main-thread instances are counted.
      if (inlineInstances.size >= 2) {
        const oldest = inlineInstances.values().next().value as PolicyInstance;
        retiredRecycles += oldest.recycles();
        inlineInstances.delete(oldest);
      }
      inlineInstances.add(inline);
      return {
        id: nextId++,
        entrypoints: inline.entrypoints,
        inline,
        shared: { id: nextId - 1, module, data: shared, limits },
      };
    },

    async evaluate(policy, entrypoint, input, nowMs) {
      const bytes = encoder.encode(JSON.stringify(input));
      if (!pool || bytes.byteLength <= inlineMaxBytes) {
        return { result: policy.inline.evaluate(entrypoint, bytes, nowMs), thread: "main" };
      }
      try {
        const reply = await pool.evaluate({
          bundle: policy.shared,
          entrypoint,
          input: bytes,
          nowMs,
        });
        return { result: reply.result, thread: "worker" };
      } catch (error) {
        if (error instanceof PolicyEvaluationError || error instanceof PolicyOverloadedError) {
          throw error;
        }
        // A worker that died or a pool that is closing: the decision fails, closed.
        throw new PolicyEvaluationError(`worker failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },

    recycles: () =>
      retiredRecycles +
      [...inlineInstances].reduce((sum, i) => sum + i.recycles(), 0) +
      (pool?.recycles() ?? 0),
    close: async () => {
      await pool?.close();
    },
  };
}
