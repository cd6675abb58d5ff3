import { describe, expect, it } from "vitest";
import { decodeAnthropicEvent } from "../../server/src/proxy/anthropic-api.js";
import type { StreamPart } from "../../server/src/proxy/llm-api.js";
import { decodeOpenAiEvent } from "../../server/src/proxy/openai-api.js";
import { SseFormatError } from "../../server/src/proxy/server-sent-events.js";

const envelope = { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "m" };
const chunk = (choices: unknown[], extra: object = {}) => ({
  data: JSON.stringify({ ...envelope, choices, ...extra }),
});

/** A part as plain data: texts with what they render for "X", events parsed. */
function show(part: StreamPart) {
  if (part.type === "text") {
    const rendered = part.render("X");
    return {
      text: part.text,
      channel: part.channel,
      renders: { ...rendered, data: JSON.parse(rendered.data) },
    };
  }
  return {
    [part.type]: {
      ...part.event,
      data: part.event.data === "[DONE]" ? "[DONE]" : JSON.parse(part.event.data),
    },
    closes: part.closes
      ? ["choice:0:content", "choice:1:content", "block:0"].filter(part.closes)
      : [],
  };
}

describe("decodeOpenAiEvent", () => {
  it("turns a content delta into text rendered in the chunk's own shape", () => {
    const parts = decodeOpenAiEvent(
      chunk([{ index: 0, delta: { content: "ghp_" }, finish_reason: null }]),
    );
    expect(parts.map(show)).toEqual([
      {
        text: "ghp_",
        channel: "choice:0:content",
        renders: {
          data: {
            ...envelope,
            choices: [{ index: 0, delta: { content: "X" }, finish_reason: null }],
          },
        },
      },
    ]);
  });

  it("passes the role first and the finish reason last, closing only its choice", () => {
    const parts = decodeOpenAiEvent(
      chunk([
        {
          index: 1,
          delta: { role: "assistant", content: "hi" },
          finish_reason: "stop",
          logprobs: null,
        },
      ]),
    );
    expect(parts.map(show)).toEqual([
      {
        pass: {
          data: {
            ...envelope,
            choices: [{ index: 1, delta: { role: "assistant" }, finish_reason: null }],
          },
        },
        closes: [],
      },
      expect.objectContaining({ text: "hi", channel: "choice:1:content" }),
      {
        pass: { data: { ...envelope, choices: [{ index: 1, delta: {}, finish_reason: "stop" }] } },
        closes: ["choice:1:content"],
      },
    ]);
  });

  it("streams tool-call arguments per tool call, passing the id and name with empty arguments", () => {
    const parts = decodeOpenAiEvent(
      chunk([
        {
          index: 0,
          delta: {
            tool_calls: [
              {
                index: 2,
                id: "call_1",
                type: "function",
                function: { name: "sh", arguments: '{"c' },
              },
            ],
          },
          finish_reason: null,
        },
      ]),
    );
    expect(parts.map(show)).toEqual([
      {
        pass: {
          data: {
            ...envelope,
            choices: [
              {
                index: 0,
                delta: {
                  tool_calls: [
                    {
                      id: "call_1",
                      type: "function",
                      index: 2,
                      function: { name: "sh", arguments: "" },
                    },
                  ],
                },
                finish_reason: null,
              },
            ],
          },
        },
        closes: [],
      },
      {
        text: '{"c',
        channel: "choice:0:tool:2",
        renders: {
          data: {
            ...envelope,
            choices: [
              {
                index: 0,
                delta: { tool_calls: [{ index: 2, function: { arguments: "X" } }] },
                finish_reason: null,
              },
            ],
          },
        },
      },
    ]);
  });

  it("masks a delta field it does not know, passes usage, closes everything at [DONE]", () => {
    const [unknown] = decodeOpenAiEvent(
      chunk([{ index: 0, delta: { audio: { data: "AAAA" } }, finish_reason: null }]),
    );
    expect(unknown?.type).toBe("mask");
    const usage = decodeOpenAiEvent(chunk([], { usage: { total_tokens: 3 } }));
    expect(usage.map(show)).toEqual([
      { pass: { data: { ...envelope, choices: [], usage: { total_tokens: 3 } } }, closes: [] },
    ]);
    expect(decodeOpenAiEvent({ data: "[DONE]" }).map(show)).toEqual([
      { pass: { data: "[DONE]" }, closes: ["choice:0:content", "choice:1:content", "block:0"] },
    ]);
  });

  it("keeps known choice metadata on every event and masks choice fields it does not know", () => {
    const filter = { hate: { filtered: false } };
    const [text] = decodeOpenAiEvent(
      chunk([
        { index: 0, delta: { content: "a" }, content_filter_results: filter, finish_reason: null },
      ]),
    );
    expect(show(text as StreamPart)).toMatchObject({
      renders: { data: { choices: [{ index: 0, content_filter_results: filter }] } },
    });
    const parts = decodeOpenAiEvent(
      chunk([
        { index: 0, delta: { content: "a" }, message: { content: "raw" }, finish_reason: null },
      ]),
    );
    expect(parts.map((p) => p.type)).toEqual(["mask", "text"]);
  });

  it("masks an in-stream error and refuses data that is not JSON", () => {
    expect(decodeOpenAiEvent({ data: '{"error":{"message":"x"}}' })[0]?.type).toBe("mask");
    expect(() => decodeOpenAiEvent({ data: "<html>" })).toThrow(SseFormatError);
  });
});

describe("decodeAnthropicEvent", () => {
  const event = (type: string, data: object) => ({
    event: type,
    data: JSON.stringify({ type, ...data }),
  });

  it("turns text, tool-input and thinking deltas into text of the block's channel", () => {
    for (const [type, field] of [
      ["text_delta", "text"],
      ["input_json_delta", "partial_json"],
      ["thinking_delta", "thinking"],
    ] as const) {
      const [part] = decodeAnthropicEvent(
        event("content_block_delta", { index: 0, delta: { type, [field]: "abc" } }),
      );
      expect(show(part as StreamPart)).toEqual({
        text: "abc",
        channel: "block:0",
        renders: {
          event: "content_block_delta",
          data: { type: "content_block_delta", index: 0, delta: { type, [field]: "X" } },
        },
      });
    }
  });

  it("closes a block at its stop event and every block at message_delta and message_stop", () => {
    expect(
      show(decodeAnthropicEvent(event("content_block_stop", { index: 0 }))[0] as StreamPart).closes,
    ).toEqual(["block:0"]);
    for (const type of ["message_delta", "message_stop"]) {
      expect(show(decodeAnthropicEvent(event(type, {}))[0] as StreamPart).closes).toHaveLength(3);
    }
    expect(decodeAnthropicEvent(event("ping", {}))).toEqual([
      { type: "pass", event: event("ping", {}) },
    ]);
  });

  it("empties text a block starts with and streams it as a delta", () => {
    const parts = decodeAnthropicEvent(
      event("content_block_start", { index: 0, content_block: { type: "text", text: "Hello" } }),
    );
    expect(parts.map(show)).toEqual([
      {
        pass: {
          event: "content_block_start",
          data: {
            type: "content_block_start",
            index: 0,
            content_block: { type: "text", text: "" },
          },
        },
        closes: [],
      },
      expect.objectContaining({ text: "Hello", channel: "block:0" }),
    ]);
  });

  it("masks unknown events, unknown blocks and unknown delta types; passes signatures", () => {
    const mask = (e: { event: string; data: string }) => decodeAnthropicEvent(e)[0]?.type;
    expect(mask(event("something_new", {}))).toBe("mask");
    expect(
      mask(
        event("content_block_start", {
          index: 1,
          content_block: { type: "web_search_tool_result", content: [] },
        }),
      ),
    ).toBe("mask");
    expect(
      mask(
        event("content_block_delta", {
          index: 0,
          delta: { type: "citations_delta", citation: {} },
        }),
      ),
    ).toBe("mask");
    expect(
      mask(
        event("content_block_delta", {
          index: 0,
          delta: { type: "signature_delta", signature: "s" },
        }),
      ),
    ).toBe("pass");
    expect(
      mask(event("message_start", { message: { content: [{ type: "text", text: "x" }] } })),
    ).toBe("mask");
    expect(mask(event("message_start", { message: { content: [] } }))).toBe("pass");
  });
});
