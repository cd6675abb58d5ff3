import { describe, expect, it } from "vitest";
import { anthropicApi } from "../../server/src/proxy/anthropic-api.js";
import { openAiApi } from "../../server/src/proxy/openai-api.js";
import { BadRequestError } from "../../server/src/proxy/proxy-errors.js";

describe("OpenAI request summary", () => {
  it("reads the model, the stream flag and every message's text", () => {
    const summary = openAiApi.summarize({
      model: "gpt-4o",
      stream: true,
      messages: [
        { role: "system", content: "Be terse." },
        {
          role: "user",
          content: [
            { type: "text", text: "Look at this:" },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "c1", type: "function", function: { name: "sh", arguments: '{"cmd":"ls"}' } },
          ],
        },
        { role: "tool", tool_call_id: "c1", content: "README.md" },
      ],
    });
    expect(summary).toEqual({
      model: "gpt-4o",
      stream: true,
      prompt: [
        { name: "messages[0].content", text: "Be terse." },
        { name: "messages[1].content[0].text", text: "Look at this:" },
        { name: "messages[2].tool_calls[0].function.arguments", text: '{"cmd":"ls"}' },
        { name: "messages[3].content", text: "README.md" },
      ],
    });
  });

  it("refuses a body without a model or messages, and token log-probabilities", () => {
    expect(() => openAiApi.summarize({ messages: [] })).toThrow(BadRequestError);
    expect(() => openAiApi.summarize({ model: "m" })).toThrow(/"messages" must be an array/);
    expect(() => openAiApi.summarize({ model: "m", messages: [], logprobs: true })).toThrow(
      /log-probabilities/,
    );
    expect(() => openAiApi.summarize({ model: "m", messages: [], top_logprobs: 2 })).toThrow(
      BadRequestError,
    );
    expect(openAiApi.summarize({ model: "m", messages: [], logprobs: false }).stream).toBe(false);
  });
});

describe("Anthropic request summary", () => {
  it("reads the system prompt and text, tool and document blocks; images are not text", () => {
    const summary = anthropicApi.summarize({
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      system: [{ type: "text", text: "You deploy things." }],
      messages: [
        { role: "user", content: "Deploy it." },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "I should list first.", signature: "sig" },
            { type: "tool_use", id: "t1", name: "sh", input: { cmd: "ls" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "a.txt" }] },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "notes" } },
          ],
        },
      ],
    });
    expect(summary.model).toBe("claude-sonnet-4-5");
    expect(summary.stream).toBe(false);
    expect(summary.prompt).toEqual([
      { name: "system[0].text", text: "You deploy things." },
      { name: "messages[0].content", text: "Deploy it." },
      { name: "messages[1].content[0].thinking", text: "I should list first." },
      { name: "messages[1].content[1].input", text: '{"cmd":"ls"}' },
      { name: "messages[2].content[0].content[0].text", text: "a.txt" },
      { name: "messages[2].content[2].source.data", text: "notes" },
    ]);
  });

  it("takes a plain string system prompt", () => {
    const summary = anthropicApi.summarize({ model: "m", system: "Be kind.", messages: [] });
    expect(summary.prompt).toEqual([{ name: "system", text: "Be kind." }]);
  });
});

describe("provider error shapes", () => {
  const denied = new BadRequestError("bad body");

  it("answer OpenAI clients with {error: {message, type, code}}", () => {
    expect(openAiApi.errorBody(denied)).toEqual({
      error: {
        message: "bad body",
        type: "invalid_request_error",
        param: null,
        code: "invalid_request",
      },
    });
    expect(openAiApi.errorEvent(denied)).toEqual({
      data: JSON.stringify(openAiApi.errorBody(denied)),
    });
  });

  it("answer Anthropic clients with {type: error, error: {type, message}} and an error event", () => {
    expect(anthropicApi.errorBody(denied)).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "bad body", code: "invalid_request" },
    });
    expect(anthropicApi.errorEvent(denied).event).toBe("error");
  });
});
