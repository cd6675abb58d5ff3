import { equals } from "@bufbuild/protobuf";
import { type Approval, ApprovalSchema, ApprovalState } from "../../../gen/vigil/v1/approval_pb.js";
import type { ApprovalEvent, ApprovalEventSink } from "./approval-events.js";

/** Delivers approval changes to the clients waiting on them (WatchApproval). */
export interface ApprovalWatchers extends ApprovalEventSink {
  /**
   * The approval's state now, then every change, ending after the first state that is no
   * longer pending (the decision a waiting client wants) or when `signal` aborts.
   * `current` reads the stored approval; it is called after subscribing, so no change
   * between the read and the subscription is missed.
   */
  watch(
    id: string,
    current: () => Promise<Approval>,
    signal: AbortSignal,
  ): AsyncGenerator<Approval>;
  /** Clients currently watching. */
  count(): number;
}

/** Creates an in-process watcher registry. Several replicas would feed it from their store. */
export function createApprovalWatchers(): ApprovalWatchers {
  const listeners = new Map<string, Set<(approval: Approval) => void>>();
  let watching = 0;

  return {
    publish(event: ApprovalEvent) {
      for (const listener of listeners.get(event.approval.id) ?? []) listener(event.approval);
    },

    async *watch(id, current, signal) {
      const queue: Approval[] = [];
      let wake: (() => void) | undefined;
      const listener = (approval: Approval) => {
        queue.push(approval);
        wake?.();
      };
      const onAbort = () => wake?.();
      const set = listeners.get(id) ?? new Set();
      listeners.set(id, set);
      set.add(listener);
      signal.addEventListener("abort", onAbort);
      watching++;
      try {
        let last = await current();
        yield last;
        while (last.state === ApprovalState.PENDING && !signal.aborted) {
          const next = queue.shift();
          if (!next) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
            continue;
          }
          // A change committed before the first read arrives again here; skip repeats.
          if (equals(ApprovalSchema, next, last)) continue;
          last = next;
          yield last;
        }
      } finally {
        watching--;
        signal.removeEventListener("abort", onAbort);
        set.delete(listener);
        if (set.size === 0) listeners.delete(id);
      }
    },

    count: () => watching,
  };
}
