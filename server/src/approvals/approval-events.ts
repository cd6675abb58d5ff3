import type { Approval } from "../../../gen/vigil/v1/approval_pb.js";

/**
 * What happened to an approval. `created` is a new pending request; `voted` a reviewer's vote
 * that did not yet decide it; the rest are the states it moved to.
 */
export type ApprovalEventType =
  | "created"
  | "voted"
  | "approved"
  | "denied"
  | "expired"
  | "consumed";

/** One change of an approval, as delivered to watchers and notification hooks. */
export interface ApprovalEvent {
  type: ApprovalEventType;
  /** The approval after the change. */
  approval: Approval;
  /** When the change was committed. */
  time: Date;
}

/** Receives approval changes once they are durable (webhooks, watchers). */
export interface ApprovalEventSink {
  /** Must not throw; delivery problems are the sink's to log and retry. */
  publish(event: ApprovalEvent): void;
}
