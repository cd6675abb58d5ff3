import type { OutboxDelivery } from "./webhook-outbox.js";
import { signWebhook, webhookSignatureHeader } from "./webhook-signature.js";

/** What one delivery attempt came to, and so what happens to the delivery next. */
export type AttemptOutcome =
  /** A 2xx: done. */
  | { kind: "delivered"; status: number }
  /** A network error, a timeout, 408, 429 or 5xx: worth another try. */
  | { kind: "retry"; status?: number; problem: string; retryAfterMs?: number }
  /** Any other status: the receiver refuses this delivery, and will again. */
  | { kind: "failed"; status: number; problem: string }
  /** Cut short by the caller's signal (shutdown); nothing is known about the receiver. */
  | { kind: "aborted" };

/** What {@link attemptWebhook} needs besides the delivery. */
export interface AttemptOptions {
  url: string;
  secret: Uint8Array;
  fetch: typeof fetch;
  /** Per-attempt limit for the whole exchange. */
  timeoutMs: number;
  /** Aborts the attempt (shutdown). */
  signal: AbortSignal;
}

/**
 * POSTs a stored delivery once, signed at the time of this attempt (so a retry hours later is
 * not refused as stale), and classifies the answer. Never throws.
 */
export async function attemptWebhook(
  delivery: OutboxDelivery,
  options: AttemptOptions,
): Promise<AttemptOutcome> {
  let response: Response;
  try {
    response = await options.fetch(options.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "vigil",
        "vigil-event": `approval.${delivery.eventType}`,
        "vigil-delivery": delivery.id,
        [webhookSignatureHeader]: signWebhook(options.secret, delivery.body),
      },
      body: delivery.body,
      // A redirect would carry the signed body to a URL nobody configured.
      redirect: "manual",
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
    });
    // An unread body keeps the connection busy; only the status matters.
    await response.body?.cancel().catch(() => undefined);
  } catch (error) {
    // Only our own abort: a network error that lost the race with shutdown is still a failure.
    if (options.signal.aborted && error === options.signal.reason) return { kind: "aborted" };
    return { kind: "retry", problem: describeFetchError(error, options.timeoutMs) };
  }
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: "delivered", status };
  const problem = `receiver answered HTTP ${status}`;
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    return retryAfterMs === undefined
      ? { kind: "retry", status, problem }
      : { kind: "retry", status, problem, retryAfterMs };
  }
  return { kind: "failed", status, problem };
}

/**
 * A loggable reason for a failed fetch. Only error names and codes: undici messages can quote
 * the URL, and the path of a Slack webhook URL is its credential.
 */
function describeFetchError(error: unknown, timeoutMs: number): string {
  if (!(error instanceof Error)) return "network error";
  if (error.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  const cause: unknown = error.cause;
  const code =
    cause && typeof cause === "object" && "code" in cause && typeof cause.code === "string"
      ? cause.code
      : undefined;
  return code ? `network error (${code})` : `network error (${error.name})`;
}

/** `Retry-After` as delay seconds or an HTTP date; undefined when absent or unreadable. */
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
