import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import type { Content } from "../../../gen/vigil/v1/common_pb.js";
import { RecordEventKind, RecordRequestSchema } from "../../../gen/vigil/v1/policy_service_pb.js";
import { describeError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import type { ExchangeSubject } from "./exchange-subject.js";
import type { VigilClients } from "./vigil-clients.js";

/** One side of an exchange as it is recorded. */
export interface RecordedSide {
  /** The masked content, when there is some (a timed-out upstream has none). */
  content?: Pick<Content, "kind" | "name" | "body">;
  /** What happened, e.g. `{status: 200, outcome: "complete", stream: true}`. */
  attributes: JsonObject;
  occurredAt: Date;
}

/** What {@link recordExchange} needs. */
export interface RecordExchangeOptions {
  vigil: VigilClients;
  subject: ExchangeSubject;
  /** The Authorize decision the exchange followed from. */
  decisionId: string;
  /** Deadline of each Record call. */
  timeoutMs: number;
  logger: Logger;
}

/**
 * Records the request and then the response as two events of the exchange's session, both
 * naming the decision. The caller already has its answer, so a failure is not thrown: it is
 * logged as an error with the decision id (resolving false), for an operator to follow up.
 * Vigil masks the content again with its `audit` plan before storing it.
 */
export async function recordExchange(
  options: RecordExchangeOptions,
  request: RecordedSide,
  response: RecordedSide,
): Promise<boolean> {
  const { subject } = options;
  const record = (kind: RecordEventKind, side: RecordedSide) =>
    options.vigil.policy.record(
      create(RecordRequestSchema, {
        event: {
          kind,
          sessionId: subject.sessionId,
          requestId: subject.requestId,
          principal: subject.principal,
          action: subject.action,
          resource: subject.resource,
          decisionId: options.decisionId,
          attributes: side.attributes,
          occurredAt: timestampFromDate(side.occurredAt),
          ...(side.content ? { content: side.content } : {}),
        },
        registeredSecrets: subject.registeredSecrets,
      }),
      { timeoutMs: options.timeoutMs },
    );
  try {
    // In order: the session reads request, then response.
    await record(RecordEventKind.REQUEST, request);
    await record(RecordEventKind.RESPONSE, response);
    return true;
  } catch (error) {
    options.logger.error(
      {
        decisionId: options.decisionId,
        requestId: subject.requestId,
        sessionId: subject.sessionId,
        err: error instanceof ConnectError ? error.rawMessage : describeError(error),
      },
      "recording the exchange failed; the caller was answered",
    );
    return false;
  }
}
