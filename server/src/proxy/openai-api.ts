import {
  allChannels,
  asObject,
  type LlmApi,
  objectsOf,
  type PromptPiece,
  requireModelAndMessages,
  type StreamPart,
} from "./llm-api.js";
import { BadRequestError, type ProxyError } from "./proxy-errors.js";
import { type SseEvent, SseFormatError } from "./server-sent-events.js";

/** OpenAI's error `type` for a status; its SDKs branch on the status, people read the type. */
function errorType(status: number): string {
  if (status === 403) return "permission_error";
  if (status === 504) return "timeout";
  return status < 500 ? "invalid_request_error" : "server_error";
}

/** The prompt text of a Chat Completions body: every message's text, tool-call arguments too. */
export function openAiPrompt(body: Record<string, unknown>): PromptPiece[] {
  const pieces: PromptPiece[] = [];
  for (const [i, message] of objectsOf(body.messages)) {
    const at = `messages[${i}]`;
    if (typeof message.content === "string") {
      pieces.push({ name: `${at}.content`, text: message.content });
    }
    for (const [j, part] of objectsOf(message.content)) {
      if (typeof part.text === "string") {
        pieces.push({ name: `${at}.content[${j}].text`, text: part.text });
      }
    }
    for (const [j, call] of objectsOf(message.tool_calls)) {
      const args = asObject(call.function)?.arguments;
      if (typeof args === "string") {
        pieces.push({ name: `${at}.tool_calls[${j}].function.arguments`, text: args });
      }
    }
  }
  return pieces.filter((p) => p.text !== "");
}

/** Choice fields besides the delta that carry no model text (Azure's content filter verdicts). */
const choiceMetadata = new Set(["content_filter_results", "content_filter_offsets"]);

/**
 * Splits one `chat.completion.chunk` into parts. Every string in a choice's `delta` except the
 * role (content, refusal, reasoning text a compatible server adds) is a text channel per choice;
 * tool-call arguments are one channel per tool call, whose id and name pass in a head event.
 * A finish reason closes its choice's channels. Log-probabilities are dropped: they spell out
 * the raw tokens. Fields the proxy does not know are masked whole, never passed raw.
 */
export function decodeOpenAiEvent(event: SseEvent): StreamPart[] {
  if (event.data.trim() === "[DONE]") return [{ type: "pass", event, closes: allChannels }];
  let chunk: Record<string, unknown> | undefined;
  try {
    chunk = asObject(JSON.parse(event.data));
  } catch {
    chunk = undefined;
  }
  if (!chunk) throw new SseFormatError("a stream event's data is not a JSON object");
  if ("error" in chunk) return [{ type: "mask", event, closes: allChannels }];
  const { choices, usage, ...envelope } = chunk;
  if (!Array.isArray(choices)) return [{ type: "mask", event }];
  const emit = (extra: Record<string, unknown>): SseEvent => ({
    data: JSON.stringify({ ...envelope, ...extra }),
  });
  const parts = objectsOf(choices).flatMap(([position, choice]) =>
    choiceParts(choice, position, emit),
  );
  if ((usage !== undefined && usage !== null) || parts.length === 0) {
    parts.push({ type: "pass", event: emit({ choices: [], ...(usage == null ? {} : { usage }) }) });
  }
  return parts;
}

/** The parts of one choice: a head event (role, tool-call ids), texts, then the finish. */
function choiceParts(
  choice: Record<string, unknown>,
  position: number,
  emit: (extra: Record<string, unknown>) => SseEvent,
): StreamPart[] {
  const { delta, finish_reason: finish, logprobs: _dropped, index: _index, ...rest } = choice;
  const index = typeof choice.index === "number" ? choice.index : position;
  const base: Record<string, unknown> = { index };
  const head: Record<string, unknown> = {};
  let unknown = false;
  for (const [key, value] of Object.entries(rest)) {
    if (choiceMetadata.has(key)) base[key] = value;
    else {
      head[key] = value;
      unknown = true;
    }
  }
  const headDelta: Record<string, unknown> = {};
  const texts: StreamPart[] = [];
  const text = (channel: string, value: string, shape: (masked: string) => unknown) => {
    texts.push({
      type: "text",
      channel: `choice:${index}:${channel}`,
      text: value,
      render: (masked) =>
        emit({ choices: [{ ...base, delta: shape(masked), finish_reason: null }] }),
    });
  };
  for (const [key, value] of Object.entries(asObject(delta) ?? {})) {
    if (key === "role" || value === null || value === "") headDelta[key] = value;
    else if (typeof value === "string") text(key, value, (m) => ({ [key]: m }));
    else if (key === "tool_calls" && Array.isArray(value)) {
      const calls: unknown[] = [];
      for (const [p, call] of objectsOf(value)) {
        const at = typeof call.index === "number" ? call.index : p;
        const { arguments: args, ...fn } = asObject(call.function) ?? {};
        if (typeof args === "string" && args !== "") {
          text(`tool:${at}`, args, (m) => ({
            tool_calls: [{ index: at, function: { arguments: m } }],
          }));
        } else if (args !== undefined && typeof args !== "string") unknown = true;
        const { function: _fn, index: _at, ...ids } = call;
        if (Object.keys(ids).length > 0 || Object.keys(fn).length > 0 || unknown) {
          const kept = typeof args === "string" ? "" : args;
          calls.push({ ...ids, index: at, function: { ...fn, arguments: kept } });
        }
      }
      if (calls.length > 0) headDelta.tool_calls = calls;
    } else {
      headDelta[key] = value;
      unknown = true;
    }
  }
  const parts: StreamPart[] = [];
  if (unknown || Object.values(headDelta).some((v) => v !== null && v !== "")) {
    parts.push({
      type: unknown ? "mask" : "pass",
      event: emit({ choices: [{ ...base, ...head, delta: headDelta, finish_reason: null }] }),
    });
  }
  parts.push(...texts);
  if (finish !== undefined && finish !== null) {
    parts.push({
      type: "pass",
      event: emit({ choices: [{ ...base, delta: {}, finish_reason: finish }] }),
      closes: (channel) => channel.startsWith(`choice:${index}:`),
    });
  }
  return parts;
}

/** OpenAI Chat Completions (`POST /v1/chat/completions`), the format most servers copy. */
export const openAiApi: LlmApi = {
  name: "openai",
  path: "/v1/chat/completions",
  summarize(body) {
    const model = requireModelAndMessages(body);
    if (body.logprobs === true || (body.top_logprobs ?? null) !== null) {
      throw new BadRequestError(
        "log-probabilities are not relayed: they list the raw tokens, which cannot be masked",
      );
    }
    return { model, stream: body.stream === true, prompt: openAiPrompt(body) };
  },
  credentialHeaders: (key) => ({ authorization: `Bearer ${key}` }),
  errorBody: (error: ProxyError) => ({
    error: { message: error.message, type: errorType(error.status), param: null, code: error.code },
  }),
  errorEvent(error) {
    return { data: JSON.stringify(this.errorBody(error)) };
  },
  decodeEvent: decodeOpenAiEvent,
};
