import {
  allChannels,
  asObject,
  type LlmApi,
  objectsOf,
  type PromptPiece,
  requireModelAndMessages,
  type StreamPart,
} from "./llm-api.js";
import { type SseEvent, SseFormatError } from "./server-sent-events.js";

const errorTypes: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  504: "timeout_error",
};

/** The text of a content value: a string, or the text of its blocks (tool input as JSON). */
function blockTexts(content: unknown, at: string, out: PromptPiece[]): void {
  if (typeof content === "string") {
    out.push({ name: at, text: content });
    return;
  }
  for (const [j, block] of objectsOf(content)) {
    const where = `${at}[${j}]`;
    if (typeof block.text === "string") out.push({ name: `${where}.text`, text: block.text });
    if (typeof block.thinking === "string") {
      out.push({ name: `${where}.thinking`, text: block.thinking });
    }
    if (block.type === "tool_use" && block.input !== undefined) {
      out.push({ name: `${where}.input`, text: JSON.stringify(block.input) });
    }
    if (block.type === "tool_result") blockTexts(block.content, `${where}.content`, out);
    const source = asObject(block.source);
    if (block.type === "document" && typeof source?.data === "string" && source.type === "text") {
      out.push({ name: `${where}.source.data`, text: source.data });
    }
  }
}

/** The prompt text of a Messages body: the system prompt and every message's text blocks. */
export function anthropicPrompt(body: Record<string, unknown>): PromptPiece[] {
  const pieces: PromptPiece[] = [];
  if (body.system !== undefined) blockTexts(body.system, "system", pieces);
  for (const [i, message] of objectsOf(body.messages)) {
    blockTexts(message.content, `messages[${i}].content`, pieces);
  }
  return pieces.filter((p) => p.text !== "");
}

/** The field of each streamed delta type that carries model output. */
const deltaText = new Map([
  ["text_delta", "text"],
  ["input_json_delta", "partial_json"],
  ["thinking_delta", "thinking"],
]);

/**
 * Block types whose start event carries no text beyond the fields emptied below (a tool_use
 * block starts with an empty `input`; its JSON follows as deltas).
 */
const knownBlocks = new Set(["text", "thinking", "redacted_thinking", "tool_use"]);

/**
 * Splits one Messages stream event into parts. Each content block is a text channel
 * (`block:<index>`) whose deltas (text, tool input JSON, thinking) go through RedactStream;
 * `content_block_stop` closes it, `message_delta` and `message_stop` close all. Signature deltas
 * pass (a thinking block whose text was masked no longer matches its signature); unknown events
 * and delta types are masked whole.
 */
export function decodeAnthropicEvent(event: SseEvent): StreamPart[] {
  let data: Record<string, unknown> | undefined;
  try {
    data = asObject(JSON.parse(event.data));
  } catch {
    data = undefined;
  }
  if (!data) throw new SseFormatError("a stream event's data is not a JSON object");
  const channel = `block:${String(data.index)}`;
  switch (data.type) {
    case "ping":
      return [{ type: "pass", event }];
    case "content_block_stop":
      return [{ type: "pass", event, closes: (c) => c === channel }];
    case "message_delta":
    case "message_stop":
      return [{ type: "pass", event, closes: allChannels }];
    case "message_start": {
      const content = asObject(data.message)?.content;
      const empty = Array.isArray(content) && content.length === 0;
      return [{ type: empty ? "pass" : "mask", event }];
    }
    case "content_block_start": {
      const block = asObject(data.content_block) ?? {};
      const input = asObject(block.input);
      const filledInput = input !== undefined && Object.keys(input).length > 0;
      if (!knownBlocks.has(String(block.type)) || filledInput) return [{ type: "mask", event }];
      const parts: StreamPart[] = [];
      const emptied = { ...block };
      for (const field of ["text", "thinking"]) {
        const text = block[field];
        if (typeof text === "string" && text !== "") {
          emptied[field] = "";
          parts.push(
            textPart(data, channel, field === "text" ? "text_delta" : "thinking_delta", text),
          );
        }
      }
      return [
        { type: "pass", event: withData(event, { ...data, content_block: emptied }) },
        ...parts,
      ];
    }
    case "content_block_delta": {
      const delta = asObject(data.delta) ?? {};
      const field = deltaText.get(String(delta.type));
      if (delta.type === "signature_delta") return [{ type: "pass", event }];
      if (field === undefined || typeof delta[field] !== "string") return [{ type: "mask", event }];
      return [textPart(data, channel, String(delta.type), delta[field] as string)];
    }
    case "error":
      return [{ type: "mask", event, closes: allChannels }];
    default:
      return [{ type: "mask", event }];
  }
}

function withData(event: SseEvent, data: unknown): SseEvent {
  return { ...event, data: JSON.stringify(data) };
}

function textPart(
  data: Record<string, unknown>,
  channel: string,
  deltaType: string,
  text: string,
): StreamPart {
  const field = deltaText.get(deltaType) as string;
  return {
    type: "text",
    channel,
    text,
    render: (masked) => ({
      event: "content_block_delta",
      data: JSON.stringify({
        type: "content_block_delta",
        index: data.index,
        delta: { type: deltaType, [field]: masked },
      }),
    }),
  };
}

/** Anthropic Messages (`POST /v1/messages`). */
export const anthropicApi: LlmApi = {
  name: "anthropic",
  path: "/v1/messages",
  summarize(body) {
    const model = requireModelAndMessages(body);
    return { model, stream: body.stream === true, prompt: anthropicPrompt(body) };
  },
  credentialHeaders: (key) => ({ "x-api-key": key }),
  errorBody: (error) => ({
    type: "error",
    error: {
      type: errorTypes[error.status] ?? "api_error",
      message: error.message,
      code: error.code,
    },
  }),
  errorEvent(error) {
    return { event: "error", data: JSON.stringify(this.errorBody(error)) };
  },
  decodeEvent: decodeAnthropicEvent,
};
