import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { v7 as uuidv7 } from "uuid";
import {
  type AuditRecord,
  AuditRecordKind,
  AuditRecordSchema,
  type Caller,
  type RecordedContent,
  RecordedContentSchema,
} from "../../../gen/vigil/v1/audit_pb.js";
import {
  type Content,
  type ContentKind,
  Decision,
  type Finding,
  type PolicyProvenance,
  type Principal,
  type Reason,
  ReasonSchema,
  type Resource,
} from "../../../gen/vigil/v1/common_pb.js";
import type { AuthorizeRequest, RecordEvent } from "../../../gen/vigil/v1/policy_service_pb.js";
import type { PolicyDecision } from "../policy/policy-decision.js";
import { toDecision, toObligations, toProvenance, toReasons } from "./decision-mapping.js";
import type { RecordedEventContent } from "./record-content.js";

/**
 * Content as metadata only: kind, name and size. Authorize keeps its contents this way (it
 * decides, it does not store), and so does Record when the plan refuses the content.
 */
export function contentMetadata(content: Content): RecordedContent {
  const body = content.body.value ?? "";
  return create(RecordedContentSchema, {
    kind: content.kind,
    name: content.name,
    originalLength: BigInt(Buffer.byteLength(body, "utf8")),
    stored: false,
  });
}

/** What every request says about who and what: the common head of each record kind. */
interface RequestSubject {
  principal?: Principal | undefined;
  action: string;
  resource?: Resource | undefined;
  sessionId: string;
  requestId?: string;
}

/** The fields every audit record starts with. */
function recordHead(
  kind: AuditRecordKind,
  request: RequestSubject,
  caller: Caller,
  id: string,
  time: Date,
) {
  return {
    id,
    time: timestampFromDate(time),
    kind,
    caller,
    principal: request.principal,
    action: request.action,
    resource: request.resource,
    sessionId: request.sessionId,
    requestId: request.requestId ?? "",
  };
}

/**
 * The audit record of an Authorize decision. `approvalId` is the approval it created or
 * redeemed; default the one the request named.
 */
export function decisionRecord(
  request: AuthorizeRequest,
  decision: PolicyDecision,
  caller: Caller,
  id: string,
  time: Date,
  approvalId = request.approvalId,
): AuditRecord {
  return create(AuditRecordSchema, {
    ...recordHead(AuditRecordKind.DECISION, request, caller, id, time),
    secrets: request.secrets,
    decision: toDecision(decision.outcome),
    reasons: toReasons(decision),
    obligations: toObligations(decision.obligations),
    policy: toProvenance(decision),
    approvalId,
    contents: request.contents.map(contentMetadata),
    attributes: request.context,
  });
}

/** The audit record of a Record or RecordStream event, its content already masked. */
export function eventRecord(
  event: RecordEvent,
  recorded: RecordedEventContent,
  caller: Caller,
  id: string,
  time: Date,
): AuditRecord {
  return create(AuditRecordSchema, {
    ...recordHead(AuditRecordKind.EVENT, event, caller, id, time),
    eventKind: event.kind,
    decisionId: event.decisionId,
    occurredAt: event.occurredAt ?? timestampFromDate(time),
    contents: recorded.contents,
    findings: recorded.findings,
    reasons: recorded.reasons,
    attributes: event.attributes,
  });
}

/** What a Redact or RedactStream call did, for its audit record. */
export interface RedactionOutcome {
  kind: ContentKind;
  name: string;
  /** UTF-8 bytes of content received. */
  bytes: number;
  findings: Finding[];
  /** The plan's reasons when it refused the content; empty when the content was masked. */
  refused: Reason[];
  policy: PolicyProvenance | undefined;
}

/**
 * The audit record of a Redact call: who asked, about what, what was found and whether the
 * plan refused it. The content itself is never kept: the caller has it, masked.
 */
export function redactionRecord(
  request: RequestSubject,
  outcome: RedactionOutcome,
  caller: Caller,
  id: string,
  time: Date,
): AuditRecord {
  return create(AuditRecordSchema, {
    ...recordHead(AuditRecordKind.REDACTION, request, caller, id, time),
    decision: outcome.refused.length > 0 ? Decision.DENY : Decision.ALLOW,
    reasons: outcome.refused,
    ...(outcome.policy ? { policy: outcome.policy } : {}),
    contents: [
      create(RecordedContentSchema, {
        kind: outcome.kind,
        name: outcome.name,
        originalLength: BigInt(outcome.bytes),
        stored: false,
      }),
    ],
    findings: outcome.findings,
  });
}

/**
 * The audit record of a call access control refused: the RPC as `action`, the caller as far as
 * it was proved, and the refusal as a reason. Nothing of the request is kept.
 */
export function accessRecord(
  rpc: string,
  caller: Caller,
  reason: "unauthenticated" | "permission_denied",
  message: string,
  id: string = uuidv7(),
  time: Date = new Date(),
): AuditRecord {
  return create(AuditRecordSchema, {
    ...recordHead(AuditRecordKind.ACCESS, { action: rpc, sessionId: "" }, caller, id, time),
    decision: Decision.DENY,
    reasons: [create(ReasonSchema, { code: reason, message })],
  });
}
