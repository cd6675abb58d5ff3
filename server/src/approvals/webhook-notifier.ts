import { Counter, type Registry } from "prom-client";
import { v7 as uuidv7 } from "uuid";
import { ConfigError, describeError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import type { ApprovalEvent, ApprovalEventSink, ApprovalEventType } from "./approval-events.js";
import { type AttemptOutcome, attemptWebhook } from "./webhook-attempt.js";
import type { OutboxDelivery, WebhookOutbox } from "./webhook-outbox.js";
import { buildWebhookBody, type WebhookFormat } from "./webhook-payload.js";

/** Options for {@link createWebhookNotifier}. */
export interface WebhookNotifierOptions {
  /** Where to POST notifications (http or https). Never logged: Slack puts its credential in it. */
  url: string;
  /** HMAC-SHA256 key for the `vigil-signature` header. Never logged. */
  secret: Uint8Array;
  /** Body shape. Default `"json"`. */
  format?: WebhookFormat | undefined;
  /** Base URL of the approvals console, for links to `<consoleUrl>/approvals/<id>`. Default: no links. */
  consoleUrl?: string | undefined;
  /** Which events to send. Default `created`, `approved`, `denied` and `expired`. */
  events?: readonly ApprovalEventType[] | undefined;
  /** Holds every delivery until it is delivered or given up on. */
  outbox: WebhookOutbox;
  logger: Logger;
  /** Registry for `vigil_webhook_deliveries_total{outcome}`. Default: not counted. */
  metrics?: Registry | undefined;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch | undefined;
  /** Limit per attempt. Default 10,000 ms. */
  timeoutMs?: number | undefined;
  /** Attempts before a delivery is dropped with an error. Default 20 (about an hour of retrying). */
  maxAttempts?: number | undefined;
  /** Backoff before the second attempt, doubling after each failure (full jitter). Default 500 ms. */
  baseDelayMs?: number | undefined;
  /** Longest wait between attempts, also capping a receiver's `Retry-After`. Default 300,000 ms. */
  maxDelayMs?: number | undefined;
}

/** Sends approval events to a webhook, through a durable outbox. */
export interface WebhookNotifier extends ApprovalEventSink {
  /**
   * Starts delivering, beginning with what the outbox still holds (e.g. from before a restart).
   * Events published before are stored and queued, and sent once this is called.
   */
  start(): Promise<void>;
  /**
   * Stops delivering: cancels the attempt in flight (its delivery stays in the outbox, to be
   * sent again after a restart) and waits for pending outbox writes. Events published after this
   * are only stored, for the next start.
   */
  close(): Promise<void>;
  /** Resolves once nothing is being stored, sent or waiting for a retry, or once closed. */
  idle(): Promise<void>;
}

const defaultEvents: readonly ApprovalEventType[] = ["created", "approved", "denied", "expired"];

interface Queued {
  delivery: OutboxDelivery;
  /** The outbox write has settled; until then the delivery holds its place but is not sent. */
  ready: boolean;
}

/**
 * Creates the approvals webhook notifier. `publish` stores a delivery in the outbox, then one
 * worker sends deliveries one at a time. Deliveries of one approval go out in publish order (a
 * later one waits while an earlier one is retried); different approvals do not wait for each
 * other's retries. Delivery is at least once: receivers de-duplicate on `vigil-delivery`.
 */
export function createWebhookNotifier(options: WebhookNotifierOptions): WebhookNotifier {
  checkOptions(options);
  const { outbox, logger } = options;
  const wanted = new Set(options.events ?? defaultEvents);
  const payload = { format: options.format ?? "json", consoleUrl: options.consoleUrl };
  const fetchFn = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 20;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 300_000;
  const counter = deliveryCounter(options.metrics);

  // Kept in id (publish) order.
  const queue: Queued[] = [];
  const persisting = new Set<Promise<void>>();
  let state: "new" | "running" | "closed" = "new";
  let worker = Promise.resolve();
  let wake: (() => void) | undefined;
  let inFlight: AbortController | undefined;
  let idleWaiters: (() => void)[] = [];

  const kick = () => wake?.();

  const checkIdle = () => {
    if (state !== "closed" && (queue.length > 0 || persisting.size > 0)) return;
    for (const resolve of idleWaiters) resolve();
    idleWaiters = [];
  };

  const sleep = (ms: number | undefined) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, Math.min(ms, 2 ** 31 - 1));
      // The server keeps the process alive; a retry timer alone should not.
      timer?.unref();
      wake = done;
    });

  /** The ready delivery due first among those no earlier delivery of their approval holds back. */
  const next = (): Queued | undefined => {
    const seen = new Set<string>();
    let best: Queued | undefined;
    for (const entry of queue) {
      const { approvalId, nextAttemptAt } = entry.delivery;
      if (seen.has(approvalId)) continue;
      seen.add(approvalId);
      if (entry.ready && (!best || nextAttemptAt < best.delivery.nextAttemptAt)) best = entry;
    }
    return best;
  };

  const run = async () => {
    while (state === "running") {
      const entry = next();
      const wait = entry ? entry.delivery.nextAttemptAt.getTime() - Date.now() : undefined;
      if (entry && wait !== undefined && wait <= 0) await attempt(entry);
      else await sleep(wait);
    }
  };

  const attempt = async (entry: Queued) => {
    const delivery = entry.delivery;
    const number = delivery.attempts + 1;
    inFlight = new AbortController();
    const outcome = await attemptWebhook(delivery, {
      url: options.url,
      secret: options.secret,
      fetch: fetchFn,
      timeoutMs,
      signal: inFlight.signal,
    });
    inFlight = undefined;
    if (outcome.kind === "aborted") return;
    const fields = {
      delivery: delivery.id,
      event: `approval.${delivery.eventType}`,
      approval: delivery.approvalId,
      attempt: number,
      status: outcome.status,
    };
    if (outcome.kind === "delivered") {
      logger.info(fields, "approval webhook delivered");
      counter?.inc({ outcome: "delivered" });
    } else if (outcome.kind === "failed") {
      logger.error({ ...fields, problem: outcome.problem }, "approval webhook refused; dropped");
      counter?.inc({ outcome: "failed" });
    } else if (number >= maxAttempts) {
      logger.error(
        { ...fields, problem: outcome.problem },
        `approval webhook failed ${number} times; dropped`,
      );
      counter?.inc({ outcome: "failed" });
    } else {
      const delayMs = backoff(outcome, number);
      delivery.attempts = number;
      delivery.nextAttemptAt = new Date(Date.now() + delayMs);
      logger.warn(
        { ...fields, problem: outcome.problem, retryInMs: Math.round(delayMs) },
        "approval webhook attempt failed; will retry",
      );
      counter?.inc({ outcome: "retried" });
      await writeOutbox(() => outbox.update(delivery), delivery, "record a failed attempt of");
      return;
    }
    // Only once the receiver has answered: a crash before this sends it again rather than never.
    await writeOutbox(() => outbox.remove(delivery.id), delivery, "remove");
    queue.splice(queue.indexOf(entry), 1);
    checkIdle();
  };

  /** Full jitter: a uniform wait up to the doubled delay, so retries of many do not align. */
  const backoff = (outcome: Extract<AttemptOutcome, { kind: "retry" }>, attempts: number) => {
    const jitter = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempts - 1));
    return Math.min(maxDelayMs, Math.max(jitter, outcome.retryAfterMs ?? 0));
  };

  // An outbox that fails is logged, and the in-memory queue carries on: the worst case is a
  // delivery sent again after a restart, or lost to one.
  const writeOutbox = async (write: () => Promise<void>, d: OutboxDelivery, what: string) => {
    try {
      await write();
    } catch (error) {
      logger.error(
        { delivery: d.id, event: `approval.${d.eventType}`, approval: d.approvalId },
        `could not ${what} an approval webhook delivery in the outbox: ${describeError(error)}`,
      );
    }
  };

  return {
    publish(event: ApprovalEvent) {
      if (!wanted.has(event.type)) return;
      let body: string;
      try {
        body = buildWebhookBody(event, payload);
      } catch (error) {
        logger.error(
          { event: `approval.${event.type}`, approval: event.approval.id },
          `approval webhook body could not be built; not sent: ${describeError(error)}`,
        );
        return;
      }
      const delivery: OutboxDelivery = {
        id: uuidv7(),
        eventType: event.type,
        approvalId: event.approval.id,
        body,
        attempts: 0,
        nextAttemptAt: new Date(),
      };
      const entry: Queued = { delivery, ready: false };
      // Queued at once, so it holds its place behind earlier events of its approval while stored.
      if (state !== "closed") queue.push(entry);
      const stored = writeOutbox(() => outbox.add(delivery), delivery, "store").finally(() => {
        persisting.delete(stored);
        entry.ready = true;
        kick();
        checkIdle();
      });
      persisting.add(stored);
    },

    async start() {
      if (state !== "new") return;
      const stored = await outbox.pending();
      if (state !== "new") return;
      const known = new Set(queue.map((entry) => entry.delivery.id));
      for (const delivery of stored) {
        if (!known.has(delivery.id)) queue.push({ delivery, ready: true });
      }
      queue.sort((a, b) =>
        a.delivery.id < b.delivery.id ? -1 : a.delivery.id > b.delivery.id ? 1 : 0,
      );
      if (stored.length > 0) logger.info({ pending: stored.length }, "resuming approval webhooks");
      state = "running";
      worker = run().catch((error: unknown) => {
        logger.error(`approval webhook worker stopped: ${describeError(error)}`);
      });
      checkIdle();
    },

    async close() {
      state = "closed";
      inFlight?.abort();
      kick();
      await worker;
      await Promise.allSettled(persisting);
      checkIdle();
    },

    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      });
    },
  };
}

function checkOptions(options: WebhookNotifierOptions): void {
  // The messages leave the URL out: for Slack, its path is the credential.
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (error) {
    throw new ConfigError("the approval webhook URL is not a valid URL", { cause: error });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new ConfigError("the approval webhook URL must be http or https");
  if (options.secret.length === 0) throw new ConfigError("the approval webhook secret is empty");
  if (options.consoleUrl !== undefined && !URL.canParse(options.consoleUrl))
    throw new ConfigError("the console URL is not a valid URL");
}

/** The deliveries counter, shared if a notifier before this one registered it. */
function deliveryCounter(registry: Registry | undefined): Counter<"outcome"> | undefined {
  if (!registry) return undefined;
  const name = "vigil_webhook_deliveries_total";
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<"outcome">;
  return new Counter({
    name,
    help: "Approval webhook delivery attempts by outcome (delivered, retried, failed).",
    labelNames: ["outcome"],
    registers: [registry],
  });
}
