import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { v7 as uuidv7 } from "uuid";
import type { Approval } from "../../../gen/vigil/v1/approval_pb.js";
import { Verdict } from "../../../gen/vigil/v1/approval_pb.js";
import {
  type AuditRecord,
  AuditRecordKind,
  AuditRecordSchema,
  type Caller,
} from "../../../gen/vigil/v1/audit_pb.js";
import type { ApprovalEventType } from "./approval-events.js";
import { stateName } from "./approval-votes.js";

/**
 * The audit record of one approval transition: who caused it (the requester's caller for
 * `created` and `consumed`, the reviewer for a vote, Vigil itself for `expired`), the
 * request it is about, and in `attributes` the event, the new state, the votes so far and,
 * for a vote, its verdict and (masked) comment.
 */
export function approvalRecord(
  event: ApprovalEventType,
  approval: Approval,
  caller: Caller,
  time: Date,
): AuditRecord {
  const vote =
    event === "created" || event === "expired" || event === "consumed"
      ? undefined
      : approval.votes.at(-1);
  return create(AuditRecordSchema, {
    id: uuidv7(),
    time: timestampFromDate(time),
    kind: AuditRecordKind.APPROVAL,
    caller,
    principal: approval.principal,
    action: approval.action,
    resource: approval.resource,
    secrets: approval.secrets,
    approvalId: approval.id,
    decisionId: approval.decisionId,
    attributes: {
      event,
      state: stateName(approval.state),
      action_digest: approval.actionDigest,
      policy_revision: approval.policyRevision,
      votes: approval.votes.map((v) => ({
        reviewer: v.reviewerId,
        verdict: v.verdict === Verdict.APPROVE ? "approve" : "deny",
        group: v.group,
      })),
      ...(vote ? { reviewer: vote.reviewerId, comment: vote.comment } : {}),
      ...(event === "consumed" || event === "approved"
        ? { uses_remaining: approval.usesRemaining }
        : {}),
    },
  });
}
