import type { StreamResponse, UnaryResponse } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { untilCallEnds } from "../../server/src/rpc/call-lifetime.js";

/** A stream response around `messages`; only `stream` and `message` matter here. */
function streamOf(messages: AsyncIterable<number>): StreamResponse {
  return { stream: true, message: messages } as unknown as StreamResponse;
}

async function* count(to: number, failAt?: number) {
  for (let i = 1; i <= to; i++) {
    if (i === failAt) throw new Error(`failed at ${i}`);
    yield i;
  }
}

/** Runs a call whose response is `response` and reports how often `done` ran. */
async function track(response: () => Promise<UnaryResponse | StreamResponse>) {
  let ended = 0;
  const result = await untilCallEnds(response, () => ended++).catch((error: unknown) => error);
  return { result, ended: () => ended };
}

describe("untilCallEnds", () => {
  it("ends a unary call when its answer comes back", async () => {
    const { ended } = await track(async () => ({ stream: false }) as unknown as UnaryResponse);
    expect(ended()).toBe(1);
  });

  it("ends a call whose handler fails before answering", async () => {
    const { result, ended } = await track(() => Promise.reject(new Error("boom")));
    expect(result).toBeInstanceOf(Error);
    expect(ended()).toBe(1);
  });

  it("ends a stream after its last message, not its first", async () => {
    const { result, ended } = await track(async () => streamOf(count(3)));
    const seen: number[] = [];
    for await (const n of (result as StreamResponse).message as AsyncIterable<number>) {
      seen.push(n);
      expect(ended()).toBe(0);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(ended()).toBe(1);
  });

  it("ends a stream that fails midway", async () => {
    const { result, ended } = await track(async () => streamOf(count(3, 2)));
    const messages = (result as StreamResponse).message as AsyncIterable<number>;
    await expect(
      (async () => {
        for await (const _ of messages) expect(ended()).toBe(0);
      })(),
    ).rejects.toThrow("failed at 2");
    expect(ended()).toBe(1);
  });

  it("ends a stream abandoned midway (return), once, however often it is told", async () => {
    const { result, ended } = await track(async () => streamOf(count(10)));
    const iterator = ((result as StreamResponse).message as AsyncIterable<number>)[
      Symbol.asyncIterator
    ]();
    await iterator.next();
    await iterator.return?.();
    await iterator.throw?.(new Error("write failed")).catch(() => undefined);
    expect(ended()).toBe(1);
  });

  it("ends a stream abandoned before its first message", async () => {
    const { result, ended } = await track(async () => streamOf(count(10)));
    const iterator = ((result as StreamResponse).message as AsyncIterable<number>)[
      Symbol.asyncIterator
    ]();
    await iterator.return?.();
    expect(ended()).toBe(1);
  });
});
