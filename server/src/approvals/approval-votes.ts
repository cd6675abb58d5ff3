import { clone, create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, timestampMs } from "@bufbuild/protobuf/wkt";
import {
  type Approval,
  ApprovalSchema,
  ApprovalState,
  ApprovalVoteSchema,
  Verdict,
} from "../../../gen/vigil/v1/approval_pb.js";
import { NotPermittedError, WrongStateError } from "../errors.js";
import type { ApprovalEventType } from "./approval-events.js";

/** Who is deciding: the authenticated caller's id and groups. */
export interface Reviewer {
  id: string;
  groups: readonly string[];
  /** Roles from the credential; `approver` may decide approvals whose policy names no group. */
  roles: readonly string[];
}

/** The result of one vote: the approval after it, and what happened. */
export interface VoteOutcome {
  approval: Approval;
  event: Extract<ApprovalEventType, "voted" | "approved" | "denied">;
}

/** The role that may decide an approval whose policy names no reviewer group. */
export const approverRole = "approver";

/** A lower-case name for a state: `APPROVAL_STATE_PENDING` → `pending`. */
export function stateName(state: ApprovalState): string {
  return (ApprovalState[state] ?? "unspecified").toLowerCase();
}

/** True once `now` is past the approval's expiry (pending: waiting; approved: the grant). */
export function isPastExpiry(approval: Approval, now: Date): boolean {
  return approval.expiresAt !== undefined && timestampMs(approval.expiresAt) <= now.getTime();
}

/**
 * Applies one reviewer's verdict. A deny from any eligible reviewer denies; approvals count
 * towards the first rule group of the reviewer that still needs votes, and the request is
 * approved once every rule has its count, or at once by a member of a policy-set bypass group.
 * Approval starts the grant's clock: `uses` redemptions within `grant_ttl`.
 *
 * Throws `WrongStateError` (not pending, expired, already voted) or `NotPermittedError`
 * (the requester or principal itself, or a reviewer in none of the groups).
 */
export function castVote(
  current: Approval,
  reviewer: Reviewer,
  vote: { verdict: Verdict; comment: string },
  now: Date,
): VoteOutcome {
  if (current.state !== ApprovalState.PENDING) {
    throw new WrongStateError(
      `approval ${current.id} is ${stateName(current.state)}; only a pending approval can be decided`,
    );
  }
  if (isPastExpiry(current, now)) {
    throw new WrongStateError(`approval ${current.id} has expired; it can no longer be decided`);
  }
  if (reviewer.id === current.principal?.id || reviewer.id === current.requesterId) {
    throw new NotPermittedError(`${reviewer.id} cannot decide its own request`);
  }
  if (current.votes.some((v) => v.reviewerId === reviewer.id)) {
    throw new WrongStateError(`${reviewer.id} has already voted on approval ${current.id}`);
  }
  const group = countingGroup(current, reviewer);
  const bypass = current.bypassGroups.find((g) => reviewer.groups.includes(g));
  if (group === undefined && bypass === undefined) {
    throw new NotPermittedError(
      current.rules.length === 0
        ? `${reviewer.id} does not have the ${approverRole} role this approval needs`
        : `${reviewer.id} is in none of the reviewer groups this approval needs (${current.rules
            .map((r) => r.group)
            .join(", ")})`,
    );
  }

  const next = clone(ApprovalSchema, current);
  next.votes.push(
    create(ApprovalVoteSchema, {
      reviewerId: reviewer.id,
      verdict: vote.verdict,
      comment: vote.comment,
      time: timestampFromDate(now),
      group: group ?? bypass ?? "",
    }),
  );
  if (vote.verdict === Verdict.DENY) {
    next.state = ApprovalState.DENIED;
    next.decidedAt = timestampFromDate(now);
    return { approval: next, event: "denied" };
  }
  if ((group === undefined && bypass !== undefined) || quorumMet(next)) {
    next.state = ApprovalState.APPROVED;
    next.decidedAt = timestampFromDate(now);
    next.usesRemaining = next.uses;
    const grantMs = Number(next.grantTtl?.seconds ?? 0n) * 1000;
    next.expiresAt = timestampFromDate(new Date(now.getTime() + grantMs));
    return { approval: next, event: "approved" };
  }
  return { approval: next, event: "voted" };
}

/** Approvals still needed per rule group, for display (`sre-oncall 1 of 2`). */
export function quorumProgress(
  approval: Approval,
): { group: string; have: number; need: number }[] {
  return approval.rules.map((rule) => ({
    group: rule.group,
    have: approvesFor(approval, rule.group),
    need: rule.required,
  }));
}

/** The grant Rego sees as `input.grant` when an approved approval is redeemed. */
export function grantInput(approval: Approval) {
  return {
    id: approval.id,
    state: stateName(approval.state),
    approvers: approval.votes
      .filter((v) => v.verdict === Verdict.APPROVE)
      .map((v) => ({ id: v.reviewerId, group: v.group })),
    expires_at_ns: approval.expiresAt
      ? timestampDate(approval.expiresAt).getTime() * 1_000_000
      : undefined,
  };
}

/**
 * The rule group a reviewer's vote counts towards: the first of the reviewer's groups among
 * the rules that still needs approvals, else the first one it belongs to at all. Without rules
 * the `approver` role stands in for a group.
 */
function countingGroup(approval: Approval, reviewer: Reviewer): string | undefined {
  if (approval.rules.length === 0) {
    return reviewer.roles.includes(approverRole) ? approverRole : undefined;
  }
  const eligible = approval.rules.filter((r) => reviewer.groups.includes(r.group));
  const open = eligible.find((r) => approvesFor(approval, r.group) < r.required);
  return (open ?? eligible[0])?.group;
}

function quorumMet(approval: Approval): boolean {
  if (approval.rules.length === 0) return approvesFor(approval, approverRole) >= 1;
  return approval.rules.every((rule) => approvesFor(approval, rule.group) >= rule.required);
}

function approvesFor(approval: Approval, group: string): number {
  return approval.votes.filter((v) => v.verdict === Verdict.APPROVE && v.group === group).length;
}
