import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Content, ContentKind } from "../../../gen/vigil/v1/common_pb.js";
import { RedactRequestSchema } from "../../../gen/vigil/v1/policy_service_pb.js";
import { type ExchangeSubject, maskingFields } from "./exchange-subject.js";
import {
  BodyTooLargeError,
  CallerClosedError,
  RequestDeniedError,
  UpstreamFailedError,
  VigilUnavailableError,
} from "./proxy-errors.js";
import type { VigilClients } from "./vigil-clients.js";

/** What {@link maskContent} needs. */
export interface MaskOptions {
  vigil: VigilClients;
  subject: ExchangeSubject;
  /** Deadline of the Redact call. */
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * Masks one content item with Redact and returns the masked body, in the form it was sent
 * (JSON stays JSON). Nothing is returned unmasked: a refusal by the redact plan is a
 * {@link RequestDeniedError} (403), content over Vigil's limit a {@link BodyTooLargeError} for
 * the prompt or an {@link UpstreamFailedError} for the answer, and anything else a
 * {@link VigilUnavailableError} (503).
 */
export async function maskContent(
  options: MaskOptions,
  content: { kind: ContentKind; name: string; body: Content["body"] },
  profile: string,
): Promise<string> {
  const { subject, signal } = options;
  const prompt = content.kind === ContentKind.PROMPT;
  const request = create(RedactRequestSchema, {
    content,
    profile,
    ...maskingFields(subject),
    requestId: subject.requestId,
  });
  let res: Awaited<ReturnType<VigilClients["policy"]["redact"]>>;
  try {
    res = await options.vigil.policy.redact(request, { timeoutMs: options.timeoutMs, signal });
  } catch (error) {
    if (signal.aborted) throw new CallerClosedError();
    const what = prompt ? "the prompt" : "the answer";
    if (error instanceof ConnectError && error.code === Code.PermissionDenied) {
      throw new RequestDeniedError(`${what} was refused: ${error.rawMessage}`, "", {
        cause: error,
      });
    }
    if (error instanceof ConnectError && error.code === Code.ResourceExhausted) {
      const message = `${what} is larger than Vigil masks: ${error.rawMessage}`;
      throw prompt
        ? new BodyTooLargeError(message, { cause: error })
        : new UpstreamFailedError(message, { cause: error });
    }
    const detail = error instanceof ConnectError ? `${Code[error.code]}: ${error.rawMessage}` : "";
    throw new VigilUnavailableError(`Vigil Redact failed (${detail || "no answer"}); not sent`, {
      cause: error,
    });
  }
  const body = res.content?.body;
  if (body === undefined || body.case !== content.body.case || typeof body.value !== "string") {
    throw new VigilUnavailableError("Vigil Redact answered without content; not sent");
  }
  return body.value;
}
