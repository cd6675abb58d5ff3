import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { backoffDelayMs, callWithRetry, isRetryable } from "../../clients/ts/src/retry.js";

const unavailable = () => new ConnectError("connect ECONNREFUSED", Code.Unavailable);

describe("backoffDelayMs", () => {
  it("doubles from 100 ms up to the cap, before jitter", () => {
    const top = { random: () => 0.999_999 };
    expect([0, 1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, top))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it("jitters each delay into the upper half of its ceiling", () => {
    expect(backoffDelayMs(1, { random: () => 0 })).toBe(100);
    expect(backoffDelayMs(1, { random: () => 0.5 })).toBe(150);
    expect(backoffDelayMs(0, { baseMs: 40, maxMs: 60, random: () => 0 })).toBe(20);
  });
});

describe("isRetryable", () => {
  it("retries only Unavailable: a timeout or a refusal must not be sent again", () => {
    expect(isRetryable(unavailable())).toBe(true);
    for (const code of [
      Code.DeadlineExceeded,
      Code.PermissionDenied,
      Code.Internal,
      Code.Unknown,
    ]) {
      expect(isRetryable(new ConnectError("no", code))).toBe(false);
    }
    expect(isRetryable(new Error("a bug"))).toBe(false);
  });
});

describe("callWithRetry", () => {
  const fast = { baseMs: 1, maxMs: 2, timeoutMs: 5_000 };

  it("retries Unavailable until the call succeeds", async () => {
    let calls = 0;
    const result = await callWithRetry(
      async () => {
        calls++;
        if (calls < 3) throw unavailable();
        return "ok";
      },
      { ...fast, retries: 2 },
    );
    expect([result, calls]).toEqual(["ok", 3]);
  });

  it("gives up after the retries and rethrows the last error", async () => {
    let calls = 0;
    const failing = callWithRetry(
      async () => {
        calls++;
        throw unavailable();
      },
      { ...fast, retries: 2 },
    );
    await expect(failing).rejects.toMatchObject({ code: Code.Unavailable });
    expect(calls).toBe(3);
  });

  it("does not retry other errors", async () => {
    let calls = 0;
    const failing = callWithRetry(
      async () => {
        calls++;
        throw new ConnectError("bad request", Code.InvalidArgument);
      },
      { ...fast, retries: 5 },
    );
    await expect(failing).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect(calls).toBe(1);
  });

  it("gives each attempt what is left of one budget, and stops when no pause fits", async () => {
    const budgets: number[] = [];
    const failing = callWithRetry(
      async (remaining) => {
        budgets.push(remaining);
        throw unavailable();
      },
      { retries: 10, timeoutMs: 250, baseMs: 100, maxMs: 100, random: () => 0.999_999 },
    );
    await expect(failing).rejects.toMatchObject({ code: Code.Unavailable });
    expect(budgets.length).toBeLessThanOrEqual(3);
    expect(budgets[0]).toBeGreaterThan(240);
    expect(budgets.every((b, i) => i === 0 || b < (budgets[i - 1] ?? 0))).toBe(true);
  });

  it("stops retrying once the caller aborts", async () => {
    const controller = new AbortController();
    let calls = 0;
    const failing = callWithRetry(
      async () => {
        calls++;
        controller.abort();
        throw unavailable();
      },
      { ...fast, retries: 3, signal: controller.signal },
    );
    await expect(failing).rejects.toMatchObject({ code: Code.Unavailable });
    expect(calls).toBe(1);
  });
});
