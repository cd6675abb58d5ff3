import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { ApprovalSchema, ApprovalState, Verdict } from "../../gen/vigil/v1/approval_pb.js";
import { castVote, type Reviewer } from "../../server/src/approvals/approval-votes.js";
import { NotPermittedError, WrongStateError } from "../../server/src/errors.js";

const now = new Date("2026-11-22T10:00:00.000Z");
const approve = { verdict: Verdict.APPROVE, comment: "" };
const reviewer = (id: string, groups: string[], roles: string[] = []): Reviewer => ({
  id,
  groups,
  roles,
});

function pending(init: MessageInitShape<typeof ApprovalSchema> = {}) {
  const base: MessageInitShape<typeof ApprovalSchema> = {
    id: "ap-1",
    state: ApprovalState.PENDING,
    principal: { id: "svc:reporting" },
    rules: [{ group: "sre-oncall", required: 1 }],
    expiresAt: timestampFromDate(new Date(now.getTime() + 60_000)),
    uses: 1,
    grantTtl: durationFromMs(600_000),
  };
  return create(ApprovalSchema, { ...base, ...init } as MessageInitShape<typeof ApprovalSchema>);
}

describe("castVote", () => {
  it("approves when every rule has its count, starting the grant's clock", () => {
    const approval = pending({
      rules: [
        { group: "sre-oncall", required: 1 },
        { group: "security", required: 1 },
      ],
    });
    const first = castVote(approval, reviewer("alice", ["sre-oncall"]), approve, now);
    expect([first.event, first.approval.state]).toEqual(["voted", ApprovalState.PENDING]);
    const second = castVote(first.approval, reviewer("sam", ["security"]), approve, now);
    expect([second.event, second.approval.state]).toEqual(["approved", ApprovalState.APPROVED]);
    expect(second.approval.usesRemaining).toBe(1);
    expect(second.approval.expiresAt?.seconds).toBe(BigInt(now.getTime() / 1000 + 600));
  });

  it("counts a member of two groups towards the one still short of votes", () => {
    const approval = pending({
      rules: [
        { group: "sre-oncall", required: 1 },
        { group: "security", required: 1 },
      ],
    });
    const first = castVote(approval, reviewer("alice", ["sre-oncall"]), approve, now);
    const both = castVote(first.approval, reviewer("bo", ["sre-oncall", "security"]), approve, now);
    expect(both.approval.votes.map((v) => v.group)).toEqual(["sre-oncall", "security"]);
    expect(both.event).toBe("approved");
  });

  it("lets one deny decide, even before the quorum", () => {
    const approval = pending({ rules: [{ group: "sre-oncall", required: 2 }] });
    const denied = castVote(
      approval,
      reviewer("alice", ["sre-oncall"]),
      { verdict: Verdict.DENY, comment: "no" },
      now,
    );
    expect([denied.event, denied.approval.state]).toEqual(["denied", ApprovalState.DENIED]);
  });

  it("lets a policy-named bypass group approve alone, and nobody else", () => {
    const approval = pending({
      rules: [{ group: "sre-oncall", required: 2 }],
      bypassGroups: ["security-leads"],
    });
    const bypass = castVote(approval, reviewer("lee", ["security-leads"]), approve, now);
    expect(bypass.event).toBe("approved");
    expect(() => castVote(approval, reviewer("root", [], ["admin"]), approve, now)).toThrow(
      NotPermittedError,
    );
  });

  it("needs the approver role when the policy names no group", () => {
    const approval = pending({ rules: [] });
    expect(() => castVote(approval, reviewer("alice", ["sre-oncall"]), approve, now)).toThrow(
      "alice does not have the approver role this approval needs",
    );
    expect(castVote(approval, reviewer("ann", [], ["approver"]), approve, now).event).toBe(
      "approved",
    );
  });

  it("refuses the principal, the requesting caller, a second vote and a closed or expired approval", () => {
    const approval = pending({ requesterId: "proxy-1" });
    expect(() =>
      castVote(approval, reviewer("svc:reporting", ["sre-oncall"]), approve, now),
    ).toThrow(NotPermittedError);
    expect(() => castVote(approval, reviewer("proxy-1", ["sre-oncall"]), approve, now)).toThrow(
      "proxy-1 cannot decide its own request",
    );
    const voted = castVote(
      pending({ rules: [{ group: "sre-oncall", required: 2 }] }),
      reviewer("alice", ["sre-oncall"]),
      approve,
      now,
    );
    expect(() => castVote(voted.approval, reviewer("alice", ["sre-oncall"]), approve, now)).toThrow(
      WrongStateError,
    );
    const closed = pending({ state: ApprovalState.DENIED });
    expect(() => castVote(closed, reviewer("bob", ["sre-oncall"]), approve, now)).toThrow(
      "approval ap-1 is denied; only a pending approval can be decided",
    );
    const later = new Date(now.getTime() + 61_000);
    expect(() => castVote(approval, reviewer("bob", ["sre-oncall"]), approve, later)).toThrow(
      "approval ap-1 has expired; it can no longer be decided",
    );
  });
});
