/**
 * What a worker thread runs: one entry point that dispatches on the task's kind. (One default
 * export rather than piscina's named handlers: under tsx, worker threads only load TypeScript
 * reliably through the entry they were started with.) Each thread loads this module once and
 * keeps its caches across tasks.
 */
import evaluateTask, {
  type EvaluationReply,
  type EvaluationTask,
} from "../policy/policy-worker.js";
import redactTask, { type RedactReply, type RedactTask } from "../redact/redact-worker.js";

/** A task for some thread, tagged with what to do. */
export type WorkerTask =
  | { kind: "evaluate"; task: EvaluationTask }
  | { kind: "redact"; task: RedactTask };

/** The reply type for each task kind. */
export interface WorkerReplies {
  evaluate: EvaluationReply;
  redact: RedactReply;
}

/** Runs one task on this thread. */
export default function runTask(work: WorkerTask): WorkerReplies[WorkerTask["kind"]] {
  return work.kind === "evaluate" ? evaluateTask(work.task) : redactTask(work.task);
}
