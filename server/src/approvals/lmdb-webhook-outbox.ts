import type { Database, RootDatabase } from "lmdb";
import type { ApprovalEventType } from "./approval-events.js";
import type { OutboxDelivery, WebhookOutbox } from "./webhook-outbox.js";

/** Options for {@link createLmdbWebhookOutbox}. */
export interface LmdbWebhookOutboxOptions {
  /**
   * An open LMDB environment, owned (and closed) by the caller. Its `maxDbs` must leave room for
   * the `webhook-outbox` database this outbox opens in it.
   */
  root: RootDatabase;
}

/** A delivery as stored: the key is its id, the time is Unix milliseconds. */
interface StoredDelivery {
  eventType: ApprovalEventType;
  approvalId: string;
  body: string;
  attempts: number;
  nextAttemptAtMs: number;
}

/**
 * Keeps undelivered webhook notifications in the `webhook-outbox` database of an LMDB
 * environment, keyed by delivery id. UUID v7 ids sort as strings in time order, so a range scan
 * returns deliveries in publish order.
 */
export function createLmdbWebhookOutbox(options: LmdbWebhookOutboxOptions): WebhookOutbox {
  const { root } = options;
  const db: Database<StoredDelivery, string> = root.openDB({
    name: "webhook-outbox",
    encoding: "msgpack",
  });

  const put = async (delivery: OutboxDelivery) => {
    await db.put(delivery.id, {
      eventType: delivery.eventType,
      approvalId: delivery.approvalId,
      body: delivery.body,
      attempts: delivery.attempts,
      nextAttemptAtMs: delivery.nextAttemptAt.getTime(),
    });
    // With overlappingSync (the default off Windows) the put resolves on commit; a notification
    // only survives a power cut once the flush is done.
    await root.flushed;
  };

  return {
    add: put,
    update: put,

    async remove(id) {
      await db.remove(id);
      await root.flushed;
    },

    async pending() {
      const found: OutboxDelivery[] = [];
      for (const { key, value } of db.getRange()) {
        found.push({
          id: key,
          eventType: value.eventType,
          approvalId: value.approvalId,
          body: value.body,
          attempts: value.attempts,
          nextAttemptAt: new Date(value.nextAttemptAtMs),
        });
      }
      return found;
    },
  };
}
