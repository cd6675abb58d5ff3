/** Options for {@link createTokenBuckets}. */
export interface TokenBucketsOptions {
  /** Tokens added to each bucket per second, continuously. Must be > 0. */
  ratePerSecond: number;
  /** Capacity of a bucket: how many calls may start at once after a pause. Default `ratePerSecond`, at least 1. */
  burst?: number;
  /** Monotonic clock in milliseconds. Default `performance.now`. */
  now?: () => number;
}

/** One token bucket per key (a caller), created on first use. */
export interface TokenBuckets {
  /**
   * Takes `count` tokens (default 1) from `key`'s bucket, all or none. Returns 0 when they were
   * taken, else the milliseconds until they will be there (nothing is taken then); `Infinity`
   * when `count` is more than the burst, which a bucket never holds.
   */
  take(key: string, count?: number): number;
  /** Buckets held now; idle ones are dropped as other keys are used. */
  size(): number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
}

/**
 * Rate limits per key with token buckets. Memory stays bounded by the keys seen recently: a
 * bucket left alone for `burst / rate` seconds is full again, exactly like a bucket that was
 * never made, so it is dropped. The map keeps buckets in order of last use (re-inserted on
 * each take), so the sweep only looks at the stale head and stops at the first recent one.
 */
export function createTokenBuckets(options: TokenBucketsOptions): TokenBuckets {
  const rate = options.ratePerSecond / 1000;
  if (!(rate > 0)) throw new RangeError("ratePerSecond must be > 0");
  const burst = Math.max(1, options.burst ?? options.ratePerSecond);
  const now = options.now ?? (() => performance.now());
  const refillMs = burst / rate;
  const buckets = new Map<string, Bucket>();

  const sweep = (time: number) => {
    for (const [key, bucket] of buckets) {
      if (time - bucket.at < refillMs) break;
      buckets.delete(key);
    }
  };

  return {
    take(key, count = 1) {
      const time = now();
      sweep(time);
      const bucket = buckets.get(key) ?? { tokens: burst, at: time };
      bucket.tokens = Math.min(burst, bucket.tokens + (time - bucket.at) * rate);
      bucket.at = time;
      buckets.delete(key);
      buckets.set(key, bucket);
      if (bucket.tokens >= count) {
        bucket.tokens -= count;
        return 0;
      }
      return count > burst ? Number.POSITIVE_INFINITY : Math.ceil((count - bucket.tokens) / rate);
    },
    size: () => buckets.size,
  };
}
