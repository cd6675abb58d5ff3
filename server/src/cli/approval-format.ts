import { toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type Approval, ApprovalSchema, Verdict } from "../../../gen/vigil/v1/approval_pb.js";
import { quorumProgress, stateName } from "../approvals/approval-votes.js";

/** One line of the inbox: id, state, principal, action, resource, quorum, expiry. */
export function approvalLine(approval: Approval): string {
  const expires = approval.expiresAt ? timestampDate(approval.expiresAt).toISOString() : "-";
  return [
    approval.id,
    stateName(approval.state),
    approval.principal?.id ?? "-",
    approval.action,
    `${approval.resource?.kind ?? ""}:${approval.resource?.id ?? ""}`,
    quorum(approval),
    `expires ${expires}`,
  ].join("  ");
}

/** The approval field by field, with the masked preview and the votes, for a reviewer. */
export function approvalBlock(approval: Approval): string {
  const time = (t: Approval["createdAt"]) => (t ? timestampDate(t).toISOString() : "-");
  const lines = [
    `id:         ${approval.id}`,
    `state:      ${stateName(approval.state)}`,
    `principal:  ${approval.principal?.id ?? "-"}`,
    `action:     ${approval.action}`,
    `resource:   ${approval.resource?.kind ?? ""}:${approval.resource?.id ?? ""}`,
    `secrets:    ${approval.secrets.map((s) => s.name).join(", ") || "-"}`,
    `reason:     ${approval.reason}`,
    `needs:      ${quorum(approval)}`,
    `created:    ${time(approval.createdAt)}`,
    `expires:    ${time(approval.expiresAt)}`,
    `policy:     ${approval.policyRevision}`,
  ];
  for (const vote of approval.votes) {
    const verdict = vote.verdict === Verdict.APPROVE ? "approved" : "denied";
    const comment = vote.comment ? `: ${vote.comment}` : "";
    lines.push(`vote:       ${vote.reviewerId} (${vote.group}) ${verdict}${comment}`);
  }
  if (approval.contentPreview) {
    lines.push("content (masked):", ...approval.contentPreview.split("\n").map((l) => `  ${l}`));
  }
  return `${lines.join("\n")}\n`;
}

/** The approval as one protobuf JSON line. */
export function approvalJson(approval: Approval): string {
  return JSON.stringify(toJson(ApprovalSchema, approval));
}

function quorum(approval: Approval): string {
  const progress = quorumProgress(approval);
  if (progress.length === 0) return "1 approver";
  return progress.map((p) => `${p.group} ${p.have}/${p.need}`).join(", ");
}
