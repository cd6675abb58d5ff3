import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, it, vi } from "vitest";
import { HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { expectConnectError } from "../support/connect-error.js";
import { as, limitedClient } from "../support/limited-transport.js";

/** `{"a":{"a":…1…}}` with `levels` objects. */
function nested(levels: number): JsonObject {
  let value: JsonValue = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value as JsonObject;
}

/** A RedactStream request stream the test feeds by hand and ends when it likes. */
function chunkFeed() {
  const queue: string[] = [];
  let wake = () => {};
  let ended = false;
  return {
    push(chunk: string) {
      queue.push(chunk);
      wake();
    },
    end() {
      ended = true;
      wake();
    },
    async *frames() {
      yield { frame: { case: "start" as const, value: {} } };
      while (true) {
        const chunk = queue.shift();
        if (chunk !== undefined) {
          yield { frame: { case: "chunk" as const, value: chunk } };
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
}

describe("per-caller concurrency", () => {
  it("refuses a caller's call over --max-concurrent-per-caller while another caller is served", async () => {
    const { policy, handlerSignals, gate, refusals } = limitedClient({ maxConcurrentPerCaller: 2 });
    const held = [
      policy.authorize({ action: "hold" }, as("a")),
      policy.authorize({ action: "hold" }, as("a")),
    ];
    await vi.waitFor(() => expect(handlerSignals).toHaveLength(2));
    const error = await expectConnectError(policy.authorize({ action: "x" }, as("a")));
    expect([error.code, error.rawMessage]).toEqual([
      Code.ResourceExhausted,
      "this call is over the per-caller concurrency limit of 2 calls in flight (server flag --max-concurrent-per-caller); retry when earlier calls or streams have ended",
    ]);
    expect((await policy.authorize({ action: "other" }, as("b"))).decisionId).toBe("other");
    // Anonymous callers are keyed by peer address, apart from authenticated ones.
    expect((await policy.authorize({ action: "anonymous" })).decisionId).toBe("anonymous");
    gate.open();
    await Promise.all(held);
    expect((await policy.authorize({ action: "again" }, as("a"))).decisionId).toBe("again");
    expect(refusals).toEqual(["concurrency_per_caller"]);
  });

  it("gives the slot back when a call fails", async () => {
    const { policy } = limitedClient({ maxConcurrentPerCaller: 1 });
    for (let i = 0; i < 3; i++) {
      const error = await expectConnectError(policy.authorize({ action: "fail" }, as("a")));
      expect(error.code).toBe(Code.InvalidArgument);
    }
    expect((await policy.authorize({ action: "ok" }, as("a"))).decisionId).toBe("ok");
  });

  it("holds a stream's slot until the stream ends", async () => {
    const { policy } = limitedClient({ maxConcurrentPerCaller: 1 });
    const feed = chunkFeed();
    const responses = policy.redactStream(feed.frames(), as("a"))[Symbol.asyncIterator]();
    expect((await responses.next()).value?.chunk).toBe("");
    feed.push("one");
    expect((await responses.next()).value?.chunk).toBe("one");
    const error = await expectConnectError(policy.authorize({ action: "x" }, as("a")));
    expect(error.code).toBe(Code.ResourceExhausted);
    feed.end();
    expect((await responses.next()).done).toBe(true);
    await vi.waitFor(async () =>
      expect((await policy.authorize({ action: "after" }, as("a"))).decisionId).toBe("after"),
    );
  });

  it("holds a client stream's slot until it is answered", async () => {
    const { policy } = limitedClient({ maxConcurrentPerCaller: 1 });
    let finish = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let sent = 0;
    async function* events() {
      yield { event: {} };
      sent++;
      await finished;
      yield { event: {} };
    }
    const answer = policy.recordStream(events(), as("a"));
    await vi.waitFor(() => expect(sent).toBe(1));
    await vi.waitFor(async () =>
      expect((await expectConnectError(policy.authorize({ action: "x" }, as("a")))).code).toBe(
        Code.ResourceExhausted,
      ),
    );
    finish();
    expect((await answer).eventsRecorded).toBe(2n);
    expect((await policy.authorize({ action: "after" }, as("a"))).decisionId).toBe("after");
  });
});

describe("per-caller rate limit", () => {
  it("refuses a caller over --rate-limit-per-caller after its burst, saying when to retry, and serves others", async () => {
    const { policy, refusals } = limitedClient({ ratePerCaller: 1, rateBurst: 2 });
    await policy.authorize({ action: "1" }, as("a"));
    await policy.authorize({ action: "2" }, as("a"));
    const error = await expectConnectError(policy.authorize({ action: "3" }, as("a")));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(
      /^this call is over the per-caller rate limit of 1 calls\/s with a burst of 2 \(--rate-limit-burst\) \(server flag --rate-limit-per-caller\); retry in \d+ ms$/,
    );
    expect((await policy.authorize({ action: "b" }, as("b"))).decisionId).toBe("b");
    expect(refusals).toEqual(["rate_per_caller"]);
  });

  it("does not spend a token on a call refused for concurrency", async () => {
    const { policy, handlerSignals, gate } = limitedClient({
      maxConcurrentPerCaller: 1,
      ratePerCaller: 1,
      rateBurst: 2,
    });
    const held = policy.authorize({ action: "hold" }, as("a"));
    await vi.waitFor(() => expect(handlerSignals).toHaveLength(1));
    for (let i = 0; i < 5; i++) {
      const error = await expectConnectError(policy.authorize({ action: "x" }, as("a")));
      expect(error.rawMessage).toContain("--max-concurrent-per-caller");
    }
    gate.open();
    await held;
    expect((await policy.authorize({ action: "second" }, as("a"))).decisionId).toBe("second");
  });
});

describe("AuthorizeBatch", () => {
  const batch = (size: number) => ({
    requests: Array.from({ length: size }, (_, i) => ({ action: String(i) })),
  });

  it("costs one token per request, all taken or none, so batching cannot outrun the rate", async () => {
    const { policy, refusals } = limitedClient({ ratePerCaller: 1, rateBurst: 5 });
    expect((await policy.authorizeBatch(batch(3), as("a"))).results).toHaveLength(3);
    const error = await expectConnectError(policy.authorizeBatch(batch(3), as("a")));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(
      /^this batch of 3 requests is over the per-caller rate limit of 1 calls\/s with a burst of 5 \(--rate-limit-burst\) \(server flag --rate-limit-per-caller\); retry in \d+ ms$/,
    );
    // The refused batch took nothing: the two tokens left still cover two more requests.
    expect((await policy.authorizeBatch(batch(2), as("a"))).results).toHaveLength(2);
    expect(refusals).toEqual(["rate_per_caller"]);
  });

  it("refuses a batch larger than the burst with advice to split it, since waiting cannot help", async () => {
    const { policy } = limitedClient({ ratePerCaller: 1, rateBurst: 5 });
    const error = await expectConnectError(policy.authorizeBatch(batch(6), as("a")));
    expect(error.rawMessage).toMatch(
      /^this batch of 6 requests is over the per-caller rate limit .*; split it into batches of at most 5$/,
    );
    expect((await policy.authorizeBatch(batch(5), as("a"))).results).toHaveLength(5);
  });

  it("charges an empty batch one token, like any call", async () => {
    const { policy } = limitedClient({ ratePerCaller: 1, rateBurst: 1 });
    await policy.authorizeBatch({}, as("a"));
    const error = await expectConnectError(policy.authorizeBatch({}, as("a")));
    expect(error.rawMessage).toContain("this call is over the per-caller rate limit");
  });

  it("refuses a batch over --max-batch-size before it spends any token", async () => {
    const { policy, refusals } = limitedClient({ maxBatchSize: 4, ratePerCaller: 1, rateBurst: 4 });
    const error = await expectConnectError(policy.authorizeBatch(batch(5), as("a")));
    expect([error.code, error.rawMessage]).toEqual([
      Code.ResourceExhausted,
      "this batch of 5 requests is over the batch size limit of 4 requests (server flag --max-batch-size); split the batch",
    ]);
    expect((await policy.authorizeBatch(batch(4), as("a"))).results).toHaveLength(4);
    expect(refusals).toEqual(["batch_size"]);
  });
});

describe("load shedding", () => {
  it("sheds calls over --max-in-flight from any caller, and still answers health probes", async () => {
    const { policy, health, handlerSignals, gate, refusals } = limitedClient({ maxInFlight: 2 });
    const held = [
      policy.authorize({ action: "hold" }, as("a")),
      policy.authorize({ action: "hold" }, as("b")),
    ];
    await vi.waitFor(() => expect(handlerSignals).toHaveLength(2));
    for (const caller of ["a", "c"]) {
      const error = await expectConnectError(policy.authorize({ action: "x" }, as(caller)));
      expect([error.code, error.rawMessage]).toEqual([
        Code.ResourceExhausted,
        "this call is over the server's in-flight limit of 2 calls (server flag --max-in-flight); the server is shedding load, retry later",
      ]);
    }
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    gate.open();
    await Promise.all(held);
    expect((await policy.authorize({ action: "c" }, as("c"))).decisionId).toBe("c");
    expect(refusals).toEqual(["max_in_flight", "max_in_flight"]);
  });
});

describe("JSON depth", () => {
  it("refuses a unary request nesting deeper than --max-json-depth, naming the field", async () => {
    const { policy, refusals } = limitedClient({ maxJsonDepth: 4 });
    const ok = await policy.authorize({ action: "ok", resource: { attributes: nested(4) } });
    expect(ok.decisionId).toBe("ok");
    const error = await expectConnectError(
      policy.authorize({ action: "x", resource: { attributes: nested(5) } }),
    );
    expect([error.code, error.rawMessage]).toEqual([
      Code.ResourceExhausted,
      "resource.attributes is over the JSON depth limit of 4 levels (server flag --max-json-depth); flatten the document",
    ]);
    expect(refusals).toEqual(["json_depth"]);
  });

  it("refuses a streamed message nesting too deep when the handler reaches it", async () => {
    const { policy } = limitedClient({ maxJsonDepth: 4 });
    async function* events() {
      yield { event: { attributes: nested(2) } };
      yield { event: { attributes: nested(9) } };
    }
    const error = await expectConnectError(policy.recordStream(events()));
    expect([error.code, error.rawMessage]).toEqual([
      Code.ResourceExhausted,
      "event.attributes is over the JSON depth limit of 4 levels (server flag --max-json-depth); flatten the document",
    ]);
  });
});
