import { BadRequestError, type ProxyError } from "./proxy-errors.js";
import type { SseEvent } from "./server-sent-events.js";

/** The request dialects the proxy speaks. */
export type ApiName = "openai" | "anthropic";

/** One piece of prompt text and where it sits in the request, e.g. `messages[2].content`. */
export interface PromptPiece {
  name: string;
  text: string;
}

/** What the proxy needs to know about a request body before it asks Vigil. */
export interface RequestSummary {
  model: string;
  /** The caller asked for a streamed answer. */
  stream: boolean;
  /** Message text (system prompt included), the content Authorize sees. */
  prompt: PromptPiece[];
}

/**
 * One step of relaying a streamed answer, decoded from one upstream event.
 *
 * - `text`: model output for a channel (a choice's content, a tool call's arguments, a content
 *   block). It goes through the channel's RedactStream; `render` builds the event that carries
 *   masked text in the same shape.
 * - `pass`: an event with no model text (a role, a finish reason, usage, a stop), sent as is.
 * - `mask`: an event the proxy does not know; its JSON is masked whole before it is sent.
 *
 * `closes`, on `pass` and `mask`: the channels that end with this event; they are flushed (all
 * held-back text sent) before the event is.
 */
export type StreamPart =
  | { type: "text"; channel: string; text: string; render: (masked: string) => SseEvent }
  | { type: "pass" | "mask"; event: SseEvent; closes?: (channel: string) => boolean };

/** Closes every channel: the answer is complete. */
export const allChannels = (): boolean => true;

/** One provider's request and stream formats. */
export interface LlmApi {
  name: ApiName;
  /** The one path the proxy relays for this API, e.g. `/v1/chat/completions`. */
  path: string;
  /**
   * Reads model, stream flag and prompt text from a parsed body; a `BadRequestError` for a body
   * the proxy cannot enforce policy on (no model, no messages, token log-probabilities).
   */
  summarize(body: Record<string, unknown>): RequestSummary;
  /** Headers that carry the upstream credential. */
  credentialHeaders(key: string): Record<string, string>;
  /** The provider's error JSON for an error the proxy answers itself. */
  errorBody(error: ProxyError): unknown;
  /** The provider's in-stream error event, for a stream that has to stop. */
  errorEvent(error: ProxyError): SseEvent;
  /** Decodes one upstream event; an `SseFormatError` for data that is not what the API sends. */
  decodeEvent(event: SseEvent): StreamPart[];
}

/** A JSON object (not an array, not null), or undefined. */
/** The model and messages every chat request names; a 400 when either is missing. */
export function requireModelAndMessages(body: Record<string, unknown>): string {
  if (typeof body.model !== "string" || body.model === "") {
    throw new BadRequestError('"model" must be a non-empty string');
  }
  if (!Array.isArray(body.messages)) throw new BadRequestError('"messages" must be an array');
  return body.model;
}

export function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The elements of an array that are objects, with their positions; nothing for a non-array. */
export function objectsOf(value: unknown): [number, Record<string, unknown>][] {
  if (!Array.isArray(value)) return [];
  const out: [number, Record<string, unknown>][] = [];
  value.forEach((item, i) => {
    const object = asObject(item);
    if (object) out.push([i, object]);
  });
  return out;
}
