import type { ServerResponse } from "node:http";
import { ContentKind } from "../../../gen/vigil/v1/common_pb.js";
import { maskContent } from "./exchange-masking.js";
import type { RecordedSide } from "./exchange-recorder.js";
import { type ExchangeSubject, maskingFields } from "./exchange-subject.js";
import { type MaskAnswer, relayJsonAnswer } from "./json-answer.js";
import type { LlmApi } from "./llm-api.js";
import { openRedactChannel } from "./redact-channel.js";
import { relayStreamAnswer } from "./stream-answer.js";
import type { UpstreamAnswer } from "./upstream-call.js";
import type { VigilClients } from "./vigil-clients.js";

/** What {@link relayAnswer} needs. */
export interface RelayAnswerOptions {
  api: LlmApi;
  answer: UpstreamAnswer;
  res: ServerResponse;
  vigil: VigilClients;
  subject: ExchangeSubject;
  /** Redact profile for the completion, from the decision's obligations. */
  profile: string;
  /** Deadline of each unary Redact call. */
  timeoutMs: number;
  /** Largest non-streamed answer read. */
  maxBytes: number;
  /** Headers the proxy adds (decision and session ids). */
  headers: Record<string, string>;
  /** Aborted when the caller goes away. */
  signal: AbortSignal;
}

/**
 * Relays the upstream's answer to the caller, masked as COMPLETION content: a
 * `text/event-stream` answer event by event through RedactStream channels, anything else whole
 * through Redact. Resolves with the response side to record.
 */
export function relayAnswer(options: RelayAnswerOptions): Promise<RecordedSide> {
  const { api, answer, res, vigil, subject, profile, headers, signal } = options;
  const mask: MaskAnswer = (body) =>
    maskContent(
      { vigil, subject, timeoutMs: options.timeoutMs, signal },
      { kind: ContentKind.COMPLETION, name: "response body", body },
      profile,
    );
  const contentType = answer.headers.get("content-type") ?? "";
  if (!/^text\/event-stream\b/i.test(contentType)) {
    return relayJsonAnswer({ answer, res, headers, mask, maxBytes: options.maxBytes });
  }
  return relayStreamAnswer({
    api,
    answer,
    res,
    headers,
    mask,
    signal,
    openChannel: (stop) => (onText, onError) =>
      openRedactChannel({
        policy: vigil.policy,
        start: {
          kind: ContentKind.COMPLETION,
          profile,
          ...maskingFields(subject),
        },
        signal: AbortSignal.any([signal, stop]),
        onText,
        onError,
      }),
  });
}
