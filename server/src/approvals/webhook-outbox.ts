import type { ApprovalEventType } from "./approval-events.js";

/**
 * One webhook notification waiting to be delivered. It is stored before the first attempt so a
 * receiver that is down, or a Vigil restart, cannot lose it.
 */
export interface OutboxDelivery {
  /**
   * UUID v7. Time ordered, so id order is publish order; sent as `vigil-delivery` so receivers
   * can drop a retried delivery they already handled.
   */
  id: string;
  /** What happened to the approval; sent as `vigil-event: approval.<type>`. */
  eventType: ApprovalEventType;
  /** The approval the event is about: deliveries of one approval are sent in id order. */
  approvalId: string;
  /** The request body exactly as it is sent (and signed), built once at publish time. */
  body: string;
  /** Attempts made so far; 0 before the first. */
  attempts: number;
  /** Not to be attempted before this time. */
  nextAttemptAt: Date;
}

/**
 * Durable store of undelivered webhook notifications. Every method resolves only once the change
 * is on disk.
 */
export interface WebhookOutbox {
  /** Stores a new delivery. */
  add(delivery: OutboxDelivery): Promise<void>;
  /** Forgets a delivery (delivered, or given up on). Removing an unknown id is not an error. */
  remove(id: string): Promise<void>;
  /** Records a failed attempt: the new `attempts` and `nextAttemptAt` of a stored delivery. */
  update(delivery: OutboxDelivery): Promise<void>;
  /** Every stored delivery, in id (publish) order. */
  pending(): Promise<OutboxDelivery[]>;
}
