import { describe, expect, it } from "vitest";
import { defaultRedactPlan } from "../../server/src/policy/redact-plan.js";
import { decodeAnthropicEvent } from "../../server/src/proxy/anthropic-api.js";
import { decodeOpenAiEvent } from "../../server/src/proxy/openai-api.js";
import type { OpenRedactChannel } from "../../server/src/proxy/redact-channel.js";
import type { SseEvent } from "../../server/src/proxy/server-sent-events.js";
import { createStreamRelay } from "../../server/src/proxy/stream-relay.js";
import { createTextRedactor } from "../../server/src/redact/redact-text.js";
import { createStreamRedactor } from "../../server/src/redact/stream-redactor.js";

/** Format-valid, obviously synthetic. */
const token = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ".slice(0, 36)}`;
const redactor = createTextRedactor({
  plan: defaultRedactPlan,
  fingerprintKey: Buffer.from("proxy-relay-test-key-0123456789ab"),
});
const tick = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Channels backed by the server's own stream redactor, answering asynchronously like
 * RedactStream does; `failAfter` makes each channel fail once it has taken that many pushes.
 */
function channels(options: { carryChars?: number; failAfter?: number } = {}): OpenRedactChannel {
  return (onText, onError) => {
    const stream = createStreamRedactor({ redactor, carryChars: options.carryChars ?? 1024 });
    let pushes = 0;
    let failed: Error | undefined;
    return {
      push(text) {
        pushes++;
        if (options.failAfter !== undefined && pushes > options.failAfter) {
          failed = new Error("RedactStream broke");
          void tick().then(() => onError(failed));
          return;
        }
        const out = stream.push(text).text;
        void tick().then(() => out !== "" && onText(out));
      },
      async end() {
        await tick();
        if (failed) throw failed;
        const rest = stream.end().text;
        if (rest !== "") onText(rest);
      },
    };
  };
}

const chunk = (choice: object) => ({
  data: JSON.stringify({
    id: "c",
    object: "chat.completion.chunk",
    choices: [{ index: 0, ...choice }],
  }),
});

/** An OpenAI stream whose content spells `text` in 3-character deltas. */
function openAiStream(text: string): SseEvent[] {
  return [
    chunk({ delta: { role: "assistant", content: "" }, finish_reason: null }),
    ...(text.match(/.{1,3}/gs) ?? []).map((p) =>
      chunk({ delta: { content: p }, finish_reason: null }),
    ),
    chunk({ delta: {}, finish_reason: "stop" }),
    { data: "[DONE]" },
  ];
}

async function relayAll(
  events: SseEvent[],
  options: Parameters<typeof channels>[0] = {},
  decode = decodeOpenAiEvent,
) {
  const written: SseEvent[] = [];
  const failures: unknown[] = [];
  const relay = createStreamRelay({
    decode,
    openChannel: channels(options),
    maskEvent: async (data) => data.replaceAll(token, "[MASKED-WHOLE]"),
    write: (event) => written.push(event),
    onFailure: (error) => failures.push(error),
  });
  let error: unknown;
  try {
    for (const event of events) await relay.push(event);
    await relay.finish();
  } catch (e) {
    error = e;
  }
  return { written, failures, error, transcript: relay.transcript(), failure: relay.failure() };
}

const contentOf = (events: SseEvent[]) =>
  events
    .filter((e) => e.data !== "[DONE]")
    .map((e) => JSON.parse(e.data).choices?.[0]?.delta?.content ?? "")
    .join("");

describe("createStreamRelay", () => {
  const text = `Use ${token} to push, then stop.`;

  it("masks a secret split over many deltas and re-emits it as deltas of the same shape", async () => {
    const { written, transcript, error } = await relayAll(openAiStream(text));
    expect(error).toBeUndefined();
    expect(contentOf(written)).toBe("Use [REDACTED:github-pat] to push, then stop.");
    expect(transcript).toBe("Use [REDACTED:github-pat] to push, then stop.");
    expect(written.map((e) => e.data).join("")).not.toContain(token.slice(4, 12));
    const parsed = written.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(parsed.every((c) => c.object === "chat.completion.chunk")).toBe(true);
  });

  it("sends held-back text before the finish event, and [DONE] last", async () => {
    const { written } = await relayAll(openAiStream(text));
    const finish = written.findIndex((e) => e.data.includes('"finish_reason":"stop"'));
    expect(contentOf(written.slice(finish))).toBe("");
    expect(contentOf(written.slice(0, finish))).toContain("then stop.");
    expect(written.at(-1)).toEqual({ data: "[DONE]" });
    expect(JSON.parse(written[0]?.data ?? "").choices[0].delta.role).toBe("assistant");
  });

  it("emits masked text while the stream runs once it is past the carry window", async () => {
    const long = `${"word ".repeat(40)}${token} ${"more ".repeat(40)}`;
    const { written } = await relayAll(openAiStream(long), { carryChars: 50 });
    const finish = written.findIndex((e) => e.data.includes('finish_reason":"stop'));
    const before = contentOf(written.slice(0, finish));
    expect(before.length).toBeGreaterThan(0);
    expect(contentOf(written)).toBe(long.replace(token, "[REDACTED:github-pat]"));
  });

  it("keeps each choice in its own channel, flushing one at its own finish", async () => {
    const two = (index: number, delta: object, finish: string | null = null) => ({
      data: JSON.stringify({ choices: [{ index, delta, finish_reason: finish }] }),
    });
    const { written } = await relayAll([
      two(0, { content: "first " }),
      two(1, { content: "second " }),
      two(0, { content: "answer" }, "stop"),
      two(1, { content: "answer" }, "stop"),
    ]);
    const texts = written.map((e) => JSON.parse(e.data).choices[0]);
    const of = (i: number) =>
      texts
        .filter((c) => c.index === i && c.delta.content)
        .map((c) => c.delta.content)
        .join("");
    expect([of(0), of(1)]).toEqual(["first answer", "second answer"]);
    const firstStop = texts.findIndex((c) => c.finish_reason === "stop" && c.index === 0);
    expect(texts.slice(0, firstStop).some((c) => c.index === 0 && c.delta.content)).toBe(true);
  });

  it("masks unknown events whole before sending them", async () => {
    const event = { event: "new_thing", data: JSON.stringify({ type: "new_thing", note: token }) };
    const { written } = await relayAll([event], {}, decodeAnthropicEvent);
    expect(written).toEqual([
      { event: "new_thing", data: '{"type":"new_thing","note":"[MASKED-WHOLE]"}' },
    ]);
  });

  it("stops without sending held-back text when its channel fails", async () => {
    const { written, failures, error, failure } = await relayAll(openAiStream(text), {
      failAfter: 3,
    });
    expect(error).toBeInstanceOf(Error);
    expect(failures).toHaveLength(1);
    expect(failure).toBe(error);
    expect(contentOf(written)).toBe("");
    expect(written.some((e) => e.data.includes('finish_reason":"stop'))).toBe(false);
  });
});
