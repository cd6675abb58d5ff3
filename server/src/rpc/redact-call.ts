import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { v7 as uuidv7 } from "uuid";
import { ContentSchema } from "../../../gen/vigil/v1/common_pb.js";
import {
  type RedactRequest,
  type RedactResponse,
  RedactResponseSchema,
  type RedactStreamRequest,
  type RedactStreamResponse,
  RedactStreamResponseSchema,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import { ContentTooLargeError, InvalidInputError } from "../errors.js";
import type { ContentRedactor } from "../redact/content-redactor.js";
import type { TextFinding } from "../redact/mask-text.js";
import { createStreamRedactor } from "../redact/stream-redactor.js";
import { callerOf } from "./caller.js";
import { redactPlanInput, registeredValues, requireContent } from "./redact-input.js";
import { toFinding } from "./redact-mapping.js";

/**
 * Stream chunks are masked on the event loop as they arrive, so each is bounded; model output
 * and trace chunks are far smaller.
 */
export const maxStreamChunkBytes = 64 * 1024;

/** Creates the Redact handler: validates, asks the policy for a plan, masks, answers. */
export function createRedactCall(deps: {
  redactor: ContentRedactor;
  now: () => Date;
}): (request: RedactRequest, context: HandlerContext) => Promise<RedactResponse> {
  return async (request, context) => {
    const content = requireContent(request.content, "content");
    const registered = registeredValues(request.registeredSecrets, "registered_secrets");
    const planInput = redactPlanInput(request, request.content?.kind ?? 0, request.content?.name, {
      caller: callerOf(context),
      now: deps.now(),
    });
    const result = await deps.redactor.redact(content, "content", registered, planInput);
    return create(RedactResponseSchema, {
      redactionId: uuidv7(),
      content: create(ContentSchema, {
        kind: request.content?.kind ?? 0,
        name: request.content?.name ?? "",
        body:
          "json" in result.content
            ? { case: "json", value: result.content.json }
            : { case: "text", value: result.content.text },
      }),
      findings: result.findings.map(toFinding),
      modified: result.modified,
      policy: {
        bundleRevision: result.provenance.revision,
        entrypoint: result.provenance.entrypoint,
        bundleDigest: result.provenance.digest,
      },
    });
  };
}

/**
 * Creates the RedactStream handler: the first message says what the stream is, every later
 * one is a chunk of text. Output lags input by the carry window and never holds part of a
 * secret; findings are located in the whole stream.
 */
export function createRedactStreamCall(deps: {
  redactor: ContentRedactor;
  now: () => Date;
}): (
  requests: AsyncIterable<RedactStreamRequest>,
  context: HandlerContext,
) => AsyncIterable<RedactStreamResponse> {
  return async function* (requests, context) {
    const iterator = requests[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done || first.value.frame.case !== "start") {
      throw new InvalidInputError("start", "must be the first message of the stream");
    }
    const start = first.value.frame.value;
    const registered = registeredValues(start.registeredSecrets, "start.registered_secrets");
    const planInput = redactPlanInput(start, start.kind, undefined, {
      caller: callerOf(context),
      now: deps.now(),
    });
    const { redactor, checkFindings } = await deps.redactor.textRedactorFor(registered, planInput);
    const stream = createStreamRedactor({ redactor });
    const seen = new Set<string>();
    // A plan may refuse the stream once it knows what was found; ask before emitting more.
    const check = async (findings: readonly TextFinding[]) => {
      const before = seen.size;
      for (const finding of findings) seen.add(finding.detector);
      if (seen.size > before) await checkFindings(seen);
    };
    const reply = (out: { text: string; findings: TextFinding[] }) =>
      create(RedactStreamResponseSchema, {
        chunk: out.text,
        findings: out.findings.map(toFinding),
      });
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      const frame = next.value.frame;
      if (frame.case !== "chunk") {
        throw new InvalidInputError("start", "may only be sent once, as the first message");
      }
      const bytes = Buffer.byteLength(frame.value, "utf8");
      if (bytes > maxStreamChunkBytes) {
        throw new ContentTooLargeError(
          "chunk",
          bytes,
          maxStreamChunkBytes,
          "the stream chunk limit",
        );
      }
      const out = stream.push(frame.value);
      await check(out.findings);
      if (out.text !== "" || out.findings.length > 0) yield reply(out);
    }
    const rest = stream.end();
    await check(rest.findings);
    if (rest.text !== "" || rest.findings.length > 0) yield reply(rest);
  };
}
