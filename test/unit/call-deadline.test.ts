import { Code } from "@connectrpc/connect";
import { describe, expect, it, vi } from "vitest";
import { as, limitedClient } from "../support/limited-transport.js";

describe("call deadline", () => {
  it("ends a slow unary call at --request-timeout-ms with DeadlineExceeded and aborts the handler's signal", async () => {
    const { policy, handlerSignals, refusals } = limitedClient({ deadline: { timeoutMs: 50 } });
    const error = await policy.authorize({ action: "hold" }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: Code.DeadlineExceeded,
      rawMessage:
        "the call did not finish within the server's request deadline of 50 ms (server flag --request-timeout-ms)",
    });
    expect(handlerSignals[0]?.aborted).toBe(true);
    expect(refusals).toEqual(["request_timeout"]);
  });

  it("caps a longer client deadline at the server's", async () => {
    const { policy } = limitedClient({ deadline: { timeoutMs: 50 } });
    const error = await policy
      .authorize({ action: "hold" }, { timeoutMs: 60_000 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: Code.DeadlineExceeded });
    expect(String((error as Error).message)).toContain("--request-timeout-ms");
  });

  it("honours a client deadline shorter than the server's", async () => {
    const { policy, handlerSignals, refusals } = limitedClient({
      deadline: { timeoutMs: 60_000 },
    });
    const started = Date.now();
    const error = await policy.authorize({ action: "hold" }, { timeoutMs: 50 }).catch((e) => e);
    expect(error).toMatchObject({ code: Code.DeadlineExceeded });
    expect(Date.now() - started).toBeLessThan(30_000);
    await vi.waitFor(() => expect(handlerSignals[0]?.aborted).toBe(true));
    expect(refusals).toEqual([]);
  });

  it("answers calls that finish in time, and leaves no abort behind", async () => {
    const { policy, refusals } = limitedClient({ deadline: { timeoutMs: 200 } });
    for (let i = 0; i < 5; i++)
      expect((await policy.authorize({ action: `${i}` })).decisionId).toBe(`${i}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(refusals).toEqual([]);
  });

  it("does not cut a stream that outlives the server deadline", async () => {
    const { policy } = limitedClient({ deadline: { timeoutMs: 30 } });
    async function* frames() {
      yield { frame: { case: "start" as const, value: {} } };
      await new Promise((resolve) => setTimeout(resolve, 200));
      yield { frame: { case: "chunk" as const, value: "late" } };
    }
    const chunks: string[] = [];
    for await (const response of policy.redactStream(frames())) chunks.push(response.chunk);
    expect(chunks).toEqual(["", "late"]);
  });

  it("keeps the caller's slot of a cut call until its work has ended", async () => {
    const { policy, gate } = limitedClient({
      maxConcurrentPerCaller: 1,
      deadline: { timeoutMs: 50 },
    });
    const error = await policy.authorize({ action: "hold" }, as("a")).catch((e) => e);
    expect(error).toMatchObject({ code: Code.DeadlineExceeded });
    const refused = await policy.authorize({ action: "x" }, as("a")).catch((e) => e);
    expect(refused).toMatchObject({ code: Code.ResourceExhausted });
    gate.open();
    await vi.waitFor(async () =>
      expect((await policy.authorize({ action: "after" }, as("a"))).decisionId).toBe("after"),
    );
  });
});
