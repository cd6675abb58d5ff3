import { create } from "@bufbuild/protobuf";
import type { Caller, RecordedContent } from "../../../gen/vigil/v1/audit_pb.js";
import type { Finding, Reason } from "../../../gen/vigil/v1/common_pb.js";
import { ReasonSchema } from "../../../gen/vigil/v1/common_pb.js";
import type { RecordEvent } from "../../../gen/vigil/v1/policy_service_pb.js";
import { RedactionBlockedError } from "../errors.js";
import type { ContentRedactor } from "../redact/content-redactor.js";
import type { RegisteredValue } from "../redact/registered-values.js";
import { contentMetadata } from "./audit-records.js";
import { contentBody, redactPlanInput, requireContent } from "./redact-input.js";
import { toFinding } from "./redact-mapping.js";

/** An event's content as the audit log will keep it, and what was masked to get there. */
export interface RecordedEventContent {
  contents: RecordedContent[];
  findings: Finding[];
  /** Why content was kept as metadata only (the plan refused it); empty when it was stored. */
  reasons: Reason[];
}

/**
 * Masks a Record event's content with the policy's plan for destination `audit`, and the
 * registered values, before anything reaches the store. When the plan refuses the content,
 * the event is still recorded, with the content's metadata only and the plan's reasons: the
 * trail keeps the fact, never the refused text. Size, timeout and malformed-JSON errors fail
 * the call, so the caller knows the event was not recorded.
 */
export async function recordedContent(
  event: RecordEvent,
  field: string,
  deps: {
    redactor: ContentRedactor;
    registered: readonly RegisteredValue[];
    caller: Caller;
    now: Date;
  },
): Promise<RecordedEventContent> {
  const content = event.content;
  if (!content) return { contents: [], findings: [], reasons: [] };
  const body = requireContent(content, `${field}.content`);
  const planInput = redactPlanInput(event, content.kind, content.name, {
    caller: deps.caller,
    now: deps.now,
    destination: "audit",
  });
  try {
    const masked = await deps.redactor.redact(body, `${field}.content`, deps.registered, planInput);
    const stored = contentMetadata(content);
    stored.body = contentBody(masked.content);
    stored.stored = true;
    return {
      contents: [stored],
      findings: masked.findings.map(toFinding),
      reasons: [],
    };
  } catch (error) {
    if (!(error instanceof RedactionBlockedError)) throw error;
    return {
      contents: [contentMetadata(content)],
      findings: [],
      reasons: error.reasons.map((r) => create(ReasonSchema, { code: r.code, message: r.message })),
    };
  }
}
