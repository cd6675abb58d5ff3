import type { ServerResponse } from "node:http";
import { ContentKind } from "../../../gen/vigil/v1/common_pb.js";
import type { RecordedSide } from "./exchange-recorder.js";
import type { MaskAnswer } from "./json-answer.js";
import type { LlmApi } from "./llm-api.js";
import {
  CallerClosedError,
  ProxyError,
  UpstreamFailedError,
  VigilUnavailableError,
} from "./proxy-errors.js";
import { callerResponseHeaders } from "./proxy-headers.js";
import type { OpenRedactChannel } from "./redact-channel.js";
import {
  createSseParser,
  formatSseEvent,
  type SseEvent,
  SseFormatError,
} from "./server-sent-events.js";
import { createStreamRelay } from "./stream-relay.js";
import type { UpstreamAnswer } from "./upstream-call.js";

/** What {@link relayStreamAnswer} needs. */
export interface StreamAnswerOptions {
  api: LlmApi;
  answer: UpstreamAnswer;
  res: ServerResponse;
  /** Opens a RedactStream for one channel; `signal` stops it when the relay stops. */
  openChannel: (signal: AbortSignal) => OpenRedactChannel;
  /** Masks an event the API decoder does not know, as JSON. */
  mask: MaskAnswer;
  /** Headers the proxy adds (decision and session ids). */
  headers: Record<string, string>;
  /** Aborted when the caller goes away. */
  signal: AbortSignal;
}

/**
 * Relays a streamed (`text/event-stream`) answer through a {@link createStreamRelay}. Headers go
 * out at once; events follow as their text is masked. When something fails mid-stream (the
 * upstream goes silent or sends what is not an event stream, or masking fails) the upstream
 * request is aborted, the caller gets the API's error event and the stream ends: text not yet
 * masked is never sent. When the caller goes away, the upstream request and every RedactStream
 * are aborted. Resolves with what to record: the masked text the caller was sent.
 */
export async function relayStreamAnswer(options: StreamAnswerOptions): Promise<RecordedSide> {
  const { api, answer, res } = options;
  const stop = new AbortController();
  res.writeHead(answer.status, {
    ...callerResponseHeaders(answer.headers),
    ...options.headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  });
  res.flushHeaders();
  const write = (event: SseEvent) => {
    if (!res.writableEnded && !res.destroyed) res.write(formatSseEvent(event));
  };
  const relay = createStreamRelay({
    decode: (event) => api.decodeEvent(event),
    openChannel: options.openChannel(stop.signal),
    maskEvent: (data) => options.mask({ case: "json", value: data }),
    write,
    onFailure: () => answer.abort(),
  });
  const parser = createSseParser();
  const decoder = new TextDecoder();
  const attributes: Record<string, string | number | boolean> = {
    status: answer.status,
    stream: true,
    outcome: "complete",
  };
  try {
    for await (const chunk of answer.chunks()) {
      for (const event of parser.push(decoder.decode(chunk, { stream: true }))) {
        await relay.push(event);
      }
    }
    for (const event of [...parser.push(decoder.decode()), ...parser.end()])
      await relay.push(event);
    await relay.finish();
  } catch (error) {
    stop.abort();
    answer.abort();
    // A failed channel aborts the upstream read, so the read's error is not the reason.
    const failure = options.signal.aborted
      ? new CallerClosedError()
      : streamFailure(relay.failure() ?? error);
    attributes.outcome = failure.code;
    attributes.error = failure.message;
    if (!(failure instanceof CallerClosedError)) write(api.errorEvent(failure));
  }
  res.end();
  return {
    content: {
      kind: ContentKind.COMPLETION,
      name: "streamed text",
      body: { case: "text", value: relay.transcript() },
    },
    attributes,
    occurredAt: new Date(),
  };
}

/** The proxy error a stream stopped for: the upstream's fault, the caller's, or Vigil's. */
function streamFailure(error: unknown): ProxyError {
  if (error instanceof ProxyError) return error;
  if (error instanceof SseFormatError) {
    return new UpstreamFailedError(`the upstream stream is malformed: ${error.message}`);
  }
  return new VigilUnavailableError("masking the stream failed; the stream was stopped", {
    cause: error,
  });
}
