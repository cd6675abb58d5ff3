import type { ServerResponse } from "node:http";
import { ContentKind } from "../../../gen/vigil/v1/common_pb.js";
import type { RecordedSide } from "./exchange-recorder.js";
import { UpstreamFailedError } from "./proxy-errors.js";
import { callerResponseHeaders } from "./proxy-headers.js";
import type { UpstreamAnswer } from "./upstream-call.js";

/** Masks an answer's body as COMPLETION content (JSON or text); resolves with the masked body. */
export type MaskAnswer = (body: { case: "json" | "text"; value: string }) => Promise<string>;

/** What {@link relayJsonAnswer} needs. */
export interface JsonAnswerOptions {
  answer: UpstreamAnswer;
  res: ServerResponse;
  mask: MaskAnswer;
  /** Largest answer read (`--max-body-bytes`). */
  maxBytes: number;
  /** Headers the proxy adds (decision and session ids). */
  headers: Record<string, string>;
}

/**
 * Relays a non-streamed answer, masked whole. JSON is masked as JSON, so the caller's SDK
 * parses it as usual. An answer that says it is JSON but is not, or a success that is neither
 * JSON nor a stream, is a 502 and its body is dropped: there is nothing in it the caller's SDK
 * could use, and passing it on would pass it unmasked. An error answer in another format (an
 * HTML page from a gateway) is masked as text and passed on with its status.
 */
export async function relayJsonAnswer(options: JsonAnswerOptions): Promise<RecordedSide> {
  const { answer, res } = options;
  const contentType = answer.headers.get("content-type") ?? "";
  const text = await options.answer.text(options.maxBytes);
  const ok = answer.status >= 200 && answer.status < 300;
  let kind: "json" | "text";
  if (/\bjson\b/i.test(contentType)) {
    try {
      JSON.parse(text);
    } catch {
      throw new UpstreamFailedError(
        `the upstream answered ${answer.status} with invalid JSON (${Buffer.byteLength(text)} bytes, dropped)`,
      );
    }
    kind = "json";
  } else if (ok) {
    throw new UpstreamFailedError(
      `the upstream answered ${answer.status} as ${contentType || "no content type"}, not JSON (dropped)`,
    );
  } else {
    kind = "text";
  }
  const masked = await options.mask({ case: kind, value: text });
  res.writeHead(answer.status, {
    ...callerResponseHeaders(answer.headers),
    ...options.headers,
    "content-type": kind === "json" ? "application/json" : "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(masked),
  });
  res.end(masked);
  return {
    content: {
      kind: ContentKind.COMPLETION,
      name: "response body",
      body: { case: kind, value: masked },
    },
    attributes: { status: answer.status, stream: false, outcome: "complete" },
    occurredAt: new Date(),
  };
}
