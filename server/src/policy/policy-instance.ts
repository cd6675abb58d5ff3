import { createRequire } from "node:module";
import type * as OpaWasm from "@open-policy-agent/opa-wasm";
import type { LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { describeError, PolicyEvaluationError } from "../errors.js";
import { createHostBuiltins } from "./host-builtins.js";

// opa-wasm's ESM entry exports only the async loadPolicy; the CommonJS one has the sync
// loader, which a worker thread needs to instantiate without awaiting.
const { loadPolicySync } = createRequire(import.meta.url)(
  "@open-policy-agent/opa-wasm",
) as typeof OpaWasm;

const pageBytes = 64 * 1024;

/** Memory bounds for one Wasm instance; shared by the main thread and the worker pool. */
export interface MemoryLimits {
  /**
   * Largest size the instance's memory may grow to; an evaluation that needs more fails
   * (and becomes a deny) instead of taking the process down. Default 256 MiB.
   */
  maxMemoryBytes?: number;
  /**
   * OPA reuses its heap between evaluations but never shrinks it, so one huge input would
   * pin its memory for good. After an evaluation leaves more than this, the instance is
   * replaced by a fresh one. Default 64 MiB.
   */
  recycleAboveBytes?: number;
}

/** Options for {@link createPolicyInstance}. */
export interface PolicyInstanceOptions extends MemoryLimits {
  /** The compiled policy. Compiling once and instantiating many times is cheap. */
  module: WebAssembly.Module;
  /** The bundle's base document (`data.json`). */
  data: object;
}

/** One evaluator for one bundle, owned by a single thread. */
export interface PolicyInstance {
  /**
   * Evaluates `entrypoint` with `input` (UTF-8 JSON text) at wall-clock time `nowMs`, the
   * value `time.now_ns()` returns. Returns the entrypoint's value, or undefined when the rule
   * is undefined. Throws {@link PolicyEvaluationError}; the instance is recycled after a failure.
   */
  evaluate(entrypoint: string, input: Uint8Array, nowMs: number): unknown;
  /** Entrypoint names the module exports. */
  readonly entrypoints: readonly string[];
  /** Current size of the Wasm memory in bytes. */
  memoryBytes(): number;
  /** How many times the underlying Wasm instance was replaced. */
  recycles(): number;
}

/** Instantiates a policy module with Vigil's host builtins and a memory cap. */
export function createPolicyInstance(options: PolicyInstanceOptions): PolicyInstance {
  const maxPages = Math.ceil((options.maxMemoryBytes ?? 256 * 1024 * 1024) / pageBytes);
  const recycleAbove = options.recycleAboveBytes ?? 64 * 1024 * 1024;
  let now = 0;
  const builtins = createHostBuiltins(() => now);
  const instantiate = (): LoadedPolicy => {
    const policy = loadPolicySync(options.module, { initial: 5, maximum: maxPages }, builtins);
    policy.setData(options.data);
    return policy;
  };
  let policy: LoadedPolicy | undefined = instantiate();
  let recycles = 0;
  const entrypoints = Object.keys(policy.entrypoints as object);

  return {
    entrypoints,
    evaluate(entrypoint, input, nowMs) {
      policy ??= instantiate();
      now = nowMs;
      let results: unknown;
      try {
        results = policy.evaluate(exactBuffer(input), entrypoint);
      } catch (error) {
        // A trap can leave the heap half-written; never evaluate on this instance again.
        policy = undefined;
        recycles++;
        throw new PolicyEvaluationError(`evaluating ${entrypoint}: ${describeError(error)}`, {
          cause: error,
        });
      }
      if (policy.mem.buffer.byteLength > recycleAbove) {
        policy = undefined;
        recycles++;
      }
      return Array.isArray(results) ? (results[0] as { result?: unknown })?.result : undefined;
    },
    memoryBytes: () => policy?.mem.buffer.byteLength ?? 0,
    recycles: () => recycles,
  };
}

/** opa-wasm treats only a bare `ArrayBuffer` as JSON text, so hand it one of exactly the input. */
function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = bytes;
  if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) {
    return buffer;
  }
  return bytes.slice().buffer as ArrayBuffer;
}
