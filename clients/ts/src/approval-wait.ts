import { setTimeout as sleep } from "node:timers/promises";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import {
  type Approval,
  type ApprovalService,
  ApprovalState,
} from "../../../gen/vigil/v1/approval_pb.js";
import { ApprovalTimeoutError, toVigilError } from "./errors.js";
import { backoffDelayMs, isRetryable } from "./retry.js";

/** How long to wait for reviewers by default: the default policy's approvals expire in 15 min. */
export const defaultApprovalTimeoutMs = 15 * 60 * 1000;

/** Options of {@link waitForApproval}. */
export interface WaitForApprovalOptions {
  /** How long to wait for a final state. Default: 15 minutes. */
  timeoutMs?: number;
  /** Stops waiting; the wait then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called with the approval's state now and on every change (a vote, the decision). */
  onUpdate?: (approval: Approval) => void;
}

/** What {@link waitForApproval} needs besides the approval id. */
export interface ApprovalWatchDeps {
  approvals: Client<typeof ApprovalService>;
  /** Consecutive `Unavailable` failures of the watch to ride out by watching again. */
  retries: number;
}

/**
 * Follows `WatchApproval` until the approval is no longer pending, and resolves with it in its
 * final state (approved, denied, expired or consumed); it does not redeem it. A watch that
 * drops (a restart, a proxy timeout) is opened again: it starts with the current state, so no
 * change is missed. Rejects with {@link ApprovalTimeoutError} when `timeoutMs` passes first.
 */
export async function waitForApproval(
  deps: ApprovalWatchDeps,
  id: string,
  options: WaitForApprovalOptions = {},
): Promise<Approval> {
  const { timeoutMs = defaultApprovalTimeoutMs, signal, onUpdate } = options;
  const deadline = Date.now() + timeoutMs;
  let last: Approval | undefined;
  let failures = 0;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new ApprovalTimeoutError(id, timeoutMs, last);
    let failure: unknown;
    try {
      const stream = deps.approvals.watchApproval(
        { id },
        signal ? { timeoutMs: remaining, signal } : { timeoutMs: remaining },
      );
      for await (const { approval } of stream) {
        if (!approval) continue;
        last = approval;
        failures = 0;
        onUpdate?.(approval);
        if (approval.state !== ApprovalState.PENDING) return approval;
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const connectError = ConnectError.from(error);
      if (connectError.code === Code.DeadlineExceeded) {
        throw new ApprovalTimeoutError(id, timeoutMs, last, { cause: connectError });
      }
      if (!isRetryable(connectError)) throw toVigilError(connectError, "WatchApproval");
      failure = connectError;
    }
    // The watch ended while the approval was still pending, or dropped: watch again, unless
    // that keeps failing.
    if (failures++ >= deps.retries && failure !== undefined) {
      throw toVigilError(failure, "WatchApproval");
    }
    const pause = Math.min(backoffDelayMs(failures - 1), Math.max(0, deadline - Date.now()));
    await sleep(pause, undefined, signal ? { signal } : {}).catch(() => {
      throw signal?.reason;
    });
  }
}
