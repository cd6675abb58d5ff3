/**
 * The worker-thread side of the evaluation pool (run by piscina). Each thread keeps its own
 * Wasm instance per bundle, created the first time a task for that bundle arrives, so a swap
 * needs no broadcast: tasks name the bundle they started on and finish on it.
 */
import { createPolicyInstance, type MemoryLimits, type PolicyInstance } from "./policy-instance.js";

/** A bundle as shipped to workers: the compiled module and data are shared, not copied. */
export interface SharedBundle {
  /** Unique per loaded bundle within this process. */
  id: number;
  module: WebAssembly.Module;
  /** `data.json` as UTF-8 JSON in shared memory. */
  data: SharedArrayBuffer;
  limits: MemoryLimits;
}

/** One evaluation request sent to a worker. */
export interface EvaluationTask {
  bundle: SharedBundle;
  entrypoint: string;
  /** The input document as UTF-8 JSON (transferred, not copied). */
  input: Uint8Array;
  nowMs: number;
}

/** A worker's answer; errors travel as data so their class and message survive the hop. */
export type EvaluationReply =
  | { ok: true; result: unknown; memoryBytes: number; recycled: boolean }
  | { ok: false; error: string; recycled: true };

/** Instances by bundle id; the two most recent bundles cover in-flight tasks across a swap. */
const instances = new Map<number, PolicyInstance>();
const keepBundles = 2;

/** Evaluates one task on this thread's instance for the task's bundle. */
export default function evaluateTask(task: EvaluationTask): EvaluationReply {
  const instance = instanceFor(task.bundle);
  const before = instance.recycles();
  try {
    const result = instance.evaluate(task.entrypoint, task.input, task.nowMs);
    const recycled = instance.recycles() > before;
    return { ok: true, result, memoryBytes: instance.memoryBytes(), recycled };
  } catch (error) {
    // A failed evaluation always recycles the instance (see policy-instance.ts).
    return { ok: false, error: (error as Error).message, recycled: true };
  }
}

function instanceFor(bundle: SharedBundle): PolicyInstance {
  let instance = instances.get(bundle.id);
  if (instance) return instance;
  // TextDecoder refuses views of shared memory; copy once per bundle and thread.
  const json = Buffer.from(new Uint8Array(bundle.data)).toString("utf8");
  instance = createPolicyInstance({
    module: bundle.module,
    data: JSON.parse(json) as object,
    ...bundle.limits,
  });
  instances.set(bundle.id, instance);
  for (const id of [...instances.keys()].sort((a, b) => a - b).slice(0, -keepBundles)) {
    instances.delete(id);
  }
  return instance;
}
