import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";

/** How {@link callWithRetry} spaces its attempts. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter. Default: 100 ms. */
  baseMs?: number;
  /** Largest delay before jitter; each retry doubles the previous one up to it. Default: 1000 ms. */
  maxMs?: number;
  /** Source of jitter in [0, 1). Default: `Math.random`. */
  random?: () => number;
}

/**
 * The delay before retry number `retry` (0 for the first): exponential from `baseMs`, capped at
 * `maxMs`, then scaled into [50 %, 100 %) so clients that failed together do not retry together.
 */
export function backoffDelayMs(retry: number, options: BackoffOptions = {}): number {
  const { baseMs = 100, maxMs = 1000, random = Math.random } = options;
  const ceiling = Math.min(maxMs, baseMs * 2 ** retry);
  return Math.round(ceiling * (0.5 + random() / 2));
}

/**
 * Whether a failed call may be sent again. Only `Unavailable`: the server was not reached, or
 * said it could not take the request, so a second attempt cannot double an effect. A timeout
 * is not retried: the caller's time budget is spent.
 */
export function isRetryable(error: unknown): boolean {
  return ConnectError.from(error).code === Code.Unavailable;
}

/** Options of {@link callWithRetry}. */
export interface RetryOptions extends BackoffOptions {
  /** Retries after the first attempt. */
  retries: number;
  /** Budget for all attempts and the pauses between them; each attempt gets what is left. */
  timeoutMs: number;
  /** Cancels the call and any pending retry. */
  signal?: AbortSignal | undefined;
}

/**
 * Runs `call` until it succeeds, fails with an error that is not retryable, runs out of retries,
 * or would not have time for another attempt; rethrows the last error. `call` receives the
 * time left, to pass on as the attempt's deadline.
 */
export async function callWithRetry<T>(
  call: (timeoutMs: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (let retry = 0; ; retry++) {
    try {
      return await call(Math.max(1, deadline - Date.now()));
    } catch (error) {
      const delay = backoffDelayMs(retry, options);
      const wouldStart = Date.now() + delay;
      if (
        retry >= options.retries ||
        !isRetryable(error) ||
        options.signal?.aborted ||
        wouldStart >= deadline
      ) {
        throw error;
      }
      await sleep(delay, undefined, options.signal ? { signal: options.signal } : {}).catch(() => {
        throw error;
      });
    }
  }
}
