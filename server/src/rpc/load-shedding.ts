import type { Interceptor } from "@connectrpc/connect";
import { LimitExceededError } from "../errors.js";
import { createCallSlots } from "../limits/call-slots.js";
import { untilCallEnds } from "./call-lifetime.js";
import { exemptFromCallLimits } from "./call-limits.js";

/** Options for {@link createLoadSheddingInterceptor}. */
export interface LoadSheddingOptions {
  /** Calls the whole server runs at once, streams until they end. 0 = no limit. */
  maxInFlight: number;
  /** Counts refusals (`max_in_flight`). */
  onRefused?: (limit: string) => void;
}

/**
 * Sheds load once the server runs `maxInFlight` calls: the next one is refused at once with
 * `ResourceExhausted` naming the limit, instead of queueing behind the others until every
 * call is late and memory runs out.
 *
 * It goes before access control: refusing costs nothing, while authenticating can verify a
 * JWT or write an audit record. `ResourceExhausted` rather than `Unavailable`, like the policy
 * and audit queues when full: Vigil's clients retry `Unavailable` on their own, and automatic
 * retries are what an overloaded server needs least; the per-connection HTTP/2 stream limit
 * is where a refusal is safe to retry (`REFUSED_STREAM`).
 */
export function createLoadSheddingInterceptor(options: LoadSheddingOptions): Interceptor {
  if (options.maxInFlight <= 0) return (next) => next;
  const slots = createCallSlots({ maxPerKey: options.maxInFlight });
  return (next) => async (request) => {
    if (exemptFromCallLimits(request.service.typeName, request.method.name)) return next(request);
    const release = slots.acquire("");
    if (!release) {
      options.onRefused?.("max_in_flight");
      throw new LimitExceededError({
        limit: "max_in_flight",
        subject: "this call",
        description: "server's in-flight limit",
        value: `${options.maxInFlight} calls`,
        flag: "--max-in-flight",
        advice: "the server is shedding load, retry later",
      });
    }
    return untilCallEnds(() => next(request), release);
  };
}
