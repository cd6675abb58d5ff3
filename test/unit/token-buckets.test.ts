import { describe, expect, it } from "vitest";
import { createTokenBuckets } from "../../server/src/limits/token-buckets.js";

/** Buckets on a clock the test moves by hand. */
function bucketsAt(ratePerSecond: number, burst?: number) {
  let time = 1_000;
  const buckets = createTokenBuckets({
    ratePerSecond,
    ...(burst === undefined ? {} : { burst }),
    now: () => time,
  });
  return { buckets, advance: (ms: number) => (time += ms) };
}

describe("token buckets", () => {
  it("lets a caller start its burst at once, then refuses with the wait until the next token", () => {
    const { buckets } = bucketsAt(2, 3);
    expect([buckets.take("a"), buckets.take("a"), buckets.take("a")]).toEqual([0, 0, 0]);
    expect(buckets.take("a")).toBe(500);
  });

  it("refills continuously at the rate, never above the burst", () => {
    const { buckets, advance } = bucketsAt(2, 2);
    buckets.take("a");
    buckets.take("a");
    advance(250);
    expect(buckets.take("a")).toBe(250);
    advance(250);
    expect(buckets.take("a")).toBe(0);
    advance(60_000);
    expect([buckets.take("a"), buckets.take("a"), buckets.take("a")]).toEqual([0, 0, 500]);
  });

  it("takes several tokens at once or none, and says a take over the burst can never succeed", () => {
    const { buckets, advance } = bucketsAt(2, 4);
    expect(buckets.take("a", 3)).toBe(0);
    expect(buckets.take("a", 3)).toBe(1000);
    expect(buckets.take("a", 1)).toBe(0);
    expect(buckets.take("a", 5)).toBe(Number.POSITIVE_INFINITY);
    advance(1500);
    expect(buckets.take("a", 3)).toBe(0);
  });

  it("keeps one caller's bucket apart from another's", () => {
    const { buckets } = bucketsAt(1, 1);
    expect(buckets.take("a")).toBe(0);
    expect(buckets.take("a")).toBeGreaterThan(0);
    expect(buckets.take("b")).toBe(0);
  });

  it("defaults the burst to one second of calls", () => {
    const { buckets } = bucketsAt(3);
    expect([0, 1, 2, 3].map(() => buckets.take("a"))).toEqual([0, 0, 0, 334]);
  });

  it("drops buckets left alone long enough to be full again, so memory follows recent callers", () => {
    const { buckets, advance } = bucketsAt(10, 10);
    for (let i = 0; i < 1000; i++) buckets.take(`caller-${i}`);
    expect(buckets.size()).toBe(1000);
    advance(999);
    buckets.take("caller-0");
    expect(buckets.size()).toBe(1000);
    advance(1);
    buckets.take("late");
    // caller-0 was used again 1 ms ago; the 999 others are full and gone.
    expect(buckets.size()).toBe(2);
  });

  it("does not forget a caller that is still short of tokens", () => {
    const { buckets, advance } = bucketsAt(1, 2);
    buckets.take("a");
    buckets.take("a");
    advance(1_500);
    buckets.take("b");
    expect(buckets.take("a")).toBe(0);
    expect(buckets.take("a")).toBeGreaterThan(0);
  });

  it("rejects a rate that is not positive", () => {
    expect(() => createTokenBuckets({ ratePerSecond: 0 })).toThrow(RangeError);
  });
});
