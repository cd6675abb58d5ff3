import { randomUUID } from "node:crypto";
import { create, type JsonObject } from "@bufbuild/protobuf";
import type { ContentKind } from "../../../gen/vigil/v1/common_pb.js";
import {
  AuthorizeRequestSchema,
  RecordEventKind,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import { VigilRecordError } from "./errors.js";
import { authorized } from "./guard-authorization.js";
import { type MaskedContent, maskContent } from "./guard-masking.js";
import { defaultResultKind } from "./guard-obligations.js";
import type { GuardAction, GuardResult, GuardSpec } from "./guard-spec.js";
import type { VigilCalls } from "./vigil-calls.js";

/**
 * Authorizes, waits for approval if required, masks the content, records the REQUEST event,
 * runs `action` with the masked content, masks its result, records the RESPONSE event.
 *
 * Everything before the action fails closed: a deny, a refused or expired approval, an
 * obligation nobody honours, content the plan refuses, or Vigil failing at any step throws
 * (`VigilDeniedError`, `ApprovalTimeoutError`, `VigilUnavailableError`) and the action never
 * runs. `failOpen` does not apply: content is never sent unmasked. After the action, its raw
 * result is never returned: if masking it fails, that error is thrown (the RESPONSE event notes
 * the result was withheld). If the RESPONSE event cannot be recorded, `VigilRecordError` is
 * thrown carrying the masked `result`; if the action throws, its error is rethrown after the
 * failure is recorded (or wrapped in `VigilRecordError` if that recording fails).
 */
export async function runGuard(
  vigil: VigilCalls,
  spec: GuardSpec,
  action: GuardAction,
): Promise<GuardResult> {
  const sessionId = spec.sessionId || randomUUID();
  const requestId = spec.requestId || randomUUID();
  const call = spec.signal ? { signal: spec.signal } : {};
  const { principal, resource, content } = spec;
  const subject = { principal, action: spec.action, resource, sessionId, requestId };
  const text = (kind: ContentKind, value: string) => ({
    kind,
    name: content.name ?? "",
    body: { case: "text" as const, value },
  });
  const request = create(AuthorizeRequestSchema, {
    ...subject,
    secrets: spec.secrets ?? [],
    contents: [text(content.kind, content.text)],
    ...(spec.context ? { context: spec.context } : {}),
  });
  const decision = await authorized(vigil, request, spec);

  const redaction = spec.redaction ?? "always";
  const mask = (kind: ContentKind, value: string): Promise<MaskedContent> =>
    maskContent(
      vigil,
      { ...subject, context: spec.context, registered: spec.registeredSecrets },
      {
        kind,
        name: content.name ?? "",
        text: value,
        obligations: decision.obligations,
        mode: redaction,
        call,
      },
    );
  const event = (
    kind: RecordEventKind,
    body?: { kind: ContentKind; text: string },
    note?: JsonObject,
  ) => ({
    ...subject,
    kind,
    decisionId: decision.decisionId,
    ...(body ? { content: text(body.kind, body.text) } : {}),
    ...(note ? { attributes: note } : {}),
  });
  const recordOptions = { ...call, registeredSecrets: spec.registeredSecrets ?? [] };
  const recordAfterAction = async (note: JsonObject, originalError: unknown) => {
    await vigil
      .record(event(RecordEventKind.RESPONSE, undefined, note), recordOptions)
      .catch((cause: unknown) => {
        throw new VigilRecordError({ originalError }, { cause });
      });
  };

  const outgoing = await mask(content.kind, content.text);
  // Recorded before the action runs: a trail that cannot take the request stops it, and the
  // request is on record even if the process dies inside the action.
  const requestRecord = await vigil.record(
    event(RecordEventKind.REQUEST, { kind: content.kind, text: outgoing.text }),
    recordOptions,
  );
  spec.signal?.throwIfAborted();

  let raw: string;
  try {
    raw = await action(outgoing.text, {
      decision,
      sessionId,
      requestId,
      findings: outgoing.findings,
      signal: spec.signal,
    });
  } catch (error) {
    await recordAfterAction({ outcome: "action_failed", error: errorName(error) }, error);
    throw error;
  }

  const resultKind = spec.resultKind ?? defaultResultKind(content.kind);
  let masked: MaskedContent;
  try {
    masked = await mask(resultKind, raw);
  } catch (error) {
    await recordAfterAction({ outcome: "result_withheld", error: errorName(error) }, error);
    throw error;
  }
  const result: GuardResult = {
    result: masked.text,
    decisionId: decision.decisionId,
    sessionId,
    requestId,
    approvalId: request.approvalId,
    findings: { content: outgoing.findings, result: masked.findings },
    recordIds: { request: requestRecord.recordId, response: "" },
  };
  const responseRecord = await vigil
    .record(event(RecordEventKind.RESPONSE, { kind: resultKind, text: masked.text }), recordOptions)
    .catch((cause: unknown) => {
      throw new VigilRecordError({ result }, { cause });
    });
  result.recordIds.response = responseRecord.recordId;
  return result;
}

/** An error's class name for the audit trail: its message might carry the very data masked. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
