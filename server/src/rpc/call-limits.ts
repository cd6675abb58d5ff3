import type { ContextValues, Interceptor, StreamRequest, UnaryRequest } from "@connectrpc/connect";
import { LimitExceededError } from "../errors.js";
import { createCallSlots } from "../limits/call-slots.js";
import { createTokenBuckets } from "../limits/token-buckets.js";
import { batchSizeOf } from "./batch-size.js";
import { untilCallEnds } from "./call-lifetime.js";
import { identityKey, peerAddressKey } from "./caller.js";

/** Options for {@link createCallLimitsInterceptor}. */
export interface CallLimitsOptions {
  /** Calls one caller runs at once; a stream counts until it ends. 0 = no limit. Default 0. */
  maxConcurrentPerCaller?: number;
  /**
   * Calls per second one caller may start; an AuthorizeBatch counts as its requests. 0 = no
   * limit. Default 0.
   */
  ratePerCaller?: number;
  /** Calls a caller may start at once after a pause. Default `ratePerCaller`. */
  rateBurst?: number;
  /** Counts refusals by limit name (`concurrency_per_caller`, `rate_per_caller`). */
  onRefused?: (limit: string) => void;
}

/** Health probes: cheap, carry no data, and must answer truthfully while the server sheds load. */
const probes = new Set(["grpc.health.v1.Health/Check", "grpc.health.v1.Health/List"]);

/** Whether a method is exempt from the call limits (health probes). */
export function exemptFromCallLimits(service: string, method: string): boolean {
  return probes.has(`${service}/${method}`);
}

/**
 * Who a call counts against: the authenticated identity (`token:ci-deployer`), or the peer
 * address for an anonymous caller, so anonymous callers behind one proxy share one budget.
 * Runs after access control, which sets the identity.
 */
export function callerKey(values: ContextValues): string {
  const identity = values.get(identityKey);
  return identity ? `${identity.method}:${identity.id}` : `peer:${values.get(peerAddressKey)}`;
}

/**
 * The tokens a call costs: one, or one per request of an AuthorizeBatch (at least one), so
 * batching decides no more per second than single calls would.
 */
export function callCost(request: UnaryRequest | StreamRequest): number {
  return request.stream ? 1 : Math.max(1, batchSizeOf(request.message) ?? 1);
}

/**
 * Per-caller limits, so one caller cannot take the server from the others: at most
 * `maxConcurrentPerCaller` calls in flight, and calls started at `ratePerCaller` per second
 * with a burst of `rateBurst` (a token bucket per caller). A stream costs one token and holds
 * one slot until it ends; an AuthorizeBatch holds one slot and costs a token per request, all
 * taken or none. Over a limit → {@link LimitExceededError}, `ResourceExhausted`.
 */
export function createCallLimitsInterceptor(options: CallLimitsOptions): Interceptor {
  const maxConcurrent = options.maxConcurrentPerCaller ?? 0;
  const rate = options.ratePerCaller ?? 0;
  const burst = Math.max(1, options.rateBurst ?? rate);
  const slots = maxConcurrent > 0 ? createCallSlots({ maxPerKey: maxConcurrent }) : undefined;
  const buckets = rate > 0 ? createTokenBuckets({ ratePerSecond: rate, burst }) : undefined;

  const refuse = (error: LimitExceededError): never => {
    options.onRefused?.(error.limit);
    throw error;
  };

  return (next) => async (request) => {
    if (exemptFromCallLimits(request.service.typeName, request.method.name)) return next(request);
    const key = callerKey(request.contextValues);
    // Concurrency first: a call refused for it should not also spend a token.
    const release = slots?.acquire(key);
    if (slots && !release) {
      refuse(
        new LimitExceededError({
          limit: "concurrency_per_caller",
          subject: "this call",
          description: "per-caller concurrency limit",
          value: `${maxConcurrent} calls in flight`,
          flag: "--max-concurrent-per-caller",
          advice: "retry when earlier calls or streams have ended",
        }),
      );
    }
    const cost = callCost(request);
    const waitMs = buckets?.take(key, cost) ?? 0;
    if (waitMs > 0) {
      release?.();
      refuse(
        new LimitExceededError({
          limit: "rate_per_caller",
          subject: cost > 1 ? `this batch of ${cost} requests` : "this call",
          description: "per-caller rate limit",
          value: `${rate} calls/s with a burst of ${burst} (--rate-limit-burst)`,
          flag: "--rate-limit-per-caller",
          // A batch larger than the burst would wait forever: only a smaller one can pass.
          advice:
            waitMs === Number.POSITIVE_INFINITY
              ? `split it into batches of at most ${burst}`
              : `retry in ${waitMs} ms`,
        }),
      );
    }
    return release ? untilCallEnds(() => next(request), release) : next(request);
  };
}
