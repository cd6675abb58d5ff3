import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Approval, ApprovalState, Verdict } from "../../gen/vigil/v1/approval_pb.js";
import { AuditRecordKind } from "../../gen/vigil/v1/audit_pb.js";
import { Decision } from "../../gen/vigil/v1/common_pb.js";
import { AuthorizeRequestSchema } from "../../gen/vigil/v1/policy_service_pb.js";
import { auditClient } from "../../server/src/cli/server-client.js";
import {
  clientsFor,
  people,
  peopleAuthArgs,
  policyWithApprovals,
  productionRead,
} from "../support/approval-fixtures.js";
import { expectConnectError } from "../support/connect-error.js";
import { destructiveAgentCommand } from "../support/requests.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "../support/vigil-process.js";

// One server for the lifecycle: production reads need one sre-oncall approval and expire after
// a few seconds; an agent's destructive command needs two.
const pendingTtlSeconds = 4;

let vigil: VigilProcess;
let policyDir: string;
let tokensDir: string;
let args: string[];

beforeAll(async () => {
  policyDir = await policyWithApprovals((approval) => {
    approval.production_access = {
      rules: [{ group: "sre-oncall", required: 1 }],
      ttl_seconds: pendingTtlSeconds,
      grant_ttl_seconds: 600,
    };
    approval.destructive_production = {
      rules: [{ group: "sre-oncall", required: 2 }],
      ttl_seconds: 600,
    };
  });
  tokensDir = await tempDir("vigil-tokens-");
  args = [...(await peopleAuthArgs(tokensDir)), "--approval-sweep-interval-ms", "200"];
  vigil = await startVigil({ policy: policyDir, args });
});

afterAll(async () => {
  await vigil?.stop();
  if (vigil) await removeDir(vigil.dataDir);
  await removeDir(policyDir);
  await removeDir(tokensDir);
});

const as = (person?: keyof typeof people, protocol: "grpc" | "connect" = "grpc") =>
  clientsFor(vigil.baseUrl, person ? people[person].token : undefined, protocol);

/** Asks for something that needs approval and returns the pending approval. */
async function pending(request = productionRead()): Promise<Approval> {
  const res = await as().policy.authorize(request);
  expect(res.decision).toBe(Decision.REQUIRE_APPROVAL);
  expect(res.approval?.state).toBe(ApprovalState.PENDING);
  return res.approval as Approval;
}

const redeem = (request: ReturnType<typeof productionRead>, approvalId: string) =>
  as().policy.authorize(create(AuthorizeRequestSchema, { ...request, approvalId }));

const approve = (id: string, person: keyof typeof people, comment = "") =>
  as(person).approvals.decideApproval({ id, verdict: Verdict.APPROVE, comment });

describe("an approval's lifecycle", () => {
  it("allows a request approved by a second principal once, then denies it", async () => {
    const request = productionRead();
    const approval = await pending(request);
    expect(approval.actionDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(approval.rules.map((r) => [r.group, r.required])).toEqual([["sre-oncall", 1]]);
    expect(approval.reason).toContain("only with a human's approval");

    const decided = await approve(approval.id, "alice", "checked with the owner");
    expect(decided.approval?.state).toBe(ApprovalState.APPROVED);
    expect(decided.approval?.usesRemaining).toBe(1);
    expect(decided.approval?.votes.map((v) => [v.reviewerId, v.group, v.comment])).toEqual([
      [people.alice.id, "sre-oncall", "checked with the owner"],
    ]);

    const first = await redeem(request, approval.id);
    expect(first.decision).toBe(Decision.ALLOW);
    expect(first.reasons.map((r) => r.code)).toContain("approved");
    expect(first.approval?.state).toBe(ApprovalState.CONSUMED);

    const second = await redeem(request, approval.id);
    expect(second.decision).toBe(Decision.DENY);
    expect(second.reasons.map((r) => [r.code, r.message])).toEqual([
      ["approval_consumed", `approval ${approval.id} has already been used`],
    ]);
  });

  it("answers the same pending approval while it waits, not a new one", async () => {
    const request = productionRead("prod/waiting");
    const approval = await pending(request);
    const again = await redeem(request, approval.id);
    expect(again.decision).toBe(Decision.REQUIRE_APPROVAL);
    expect(again.approval?.id).toBe(approval.id);
    const inbox = await as("alice").approvals.listApprovals({ group: "sre-oncall" });
    expect(inbox.approvals.filter((a) => a.id === approval.id)).toHaveLength(1);
  });

  it("refuses an approval redeemed for a different request", async () => {
    const approval = await pending(productionRead("prod/one"));
    await approve(approval.id, "alice");
    const other = await redeem(productionRead("prod/other"), approval.id);
    expect(other.decision).toBe(Decision.DENY);
    expect(other.reasons.map((r) => r.code)).toEqual(["approval_mismatch"]);
    // Refusing the wrong request did not spend the grant.
    expect((await redeem(productionRead("prod/one"), approval.id)).decision).toBe(Decision.ALLOW);
  });

  it("denies after a reviewer denies, naming the reviewer", async () => {
    const request = productionRead("prod/denied");
    const approval = await pending(request);
    const decided = await as("bob").approvals.decideApproval({
      id: approval.id,
      verdict: Verdict.DENY,
      comment: "not during the freeze",
    });
    expect(decided.approval?.state).toBe(ApprovalState.DENIED);
    const res = await redeem(request, approval.id);
    expect(res.reasons.map((r) => [r.code, r.message])).toEqual([
      ["approval_denied", `approval ${approval.id} was denied by ${people.bob.id}`],
    ]);
  });

  it("denies a request naming an approval that does not exist", async () => {
    const res = await redeem(productionRead(), "0190e8a0-0000-7000-8000-000000000000");
    expect(res.decision).toBe(Decision.DENY);
    expect(res.reasons.map((r) => r.code)).toEqual(["approval_not_found"]);
  });

  it("needs two approvals for a destructive command: one leaves it pending", async () => {
    const request = destructiveAgentCommand();
    const approval = await pending(request);
    expect(approval.rules.map((r) => r.required)).toEqual([2]);
    expect(approval.contentPreview).toContain("kubectl delete namespace payments");

    const one = await approve(approval.id, "alice");
    expect(one.approval?.state).toBe(ApprovalState.PENDING);
    expect((await redeem(request, approval.id)).decision).toBe(Decision.REQUIRE_APPROVAL);

    const twice = await expectConnectError(approve(approval.id, "alice"));
    expect([twice.code, twice.rawMessage]).toEqual([
      Code.FailedPrecondition,
      `${people.alice.id} has already voted on approval ${approval.id}`,
    ]);

    const two = await approve(approval.id, "bob");
    expect(two.approval?.state).toBe(ApprovalState.APPROVED);
    expect((await redeem(request, approval.id)).decision).toBe(Decision.ALLOW);
  });
});

describe("who may decide", () => {
  it("refuses a principal approving its own request, and records no vote", async () => {
    const approval = await pending(productionRead("prod/self"));
    const error = await expectConnectError(approve(approval.id, "reporting"));
    expect([error.code, error.rawMessage]).toEqual([
      Code.PermissionDenied,
      `${people.reporting.id} cannot decide its own request`,
    ]);
    const { approval: after } = await as().approvals.getApproval({ id: approval.id });
    expect(after?.votes).toEqual([]);
    expect(after?.state).toBe(ApprovalState.PENDING);
  });

  it("refuses a reviewer outside the approval's groups", async () => {
    const approval = await pending(productionRead("prod/outsider"));
    const error = await expectConnectError(approve(approval.id, "dave"));
    expect([error.code, error.rawMessage]).toEqual([
      Code.PermissionDenied,
      `${people.dave.id} is in none of the reviewer groups this approval needs (sre-oncall)`,
    ]);
  });

  it("refuses an anonymous reviewer and an unknown token", async () => {
    const approval = await pending(productionRead("prod/anonymous"));
    const anonymous = await expectConnectError(
      as().approvals.decideApproval({ id: approval.id, verdict: Verdict.APPROVE }),
    );
    // No credential, and anonymous callers here only hold `client`: refused before it runs.
    expect(anonymous.code).toBe(Code.Unauthenticated);
    expect(anonymous.rawMessage).toMatch(
      /^vigil\.v1\.ApprovalService\/DecideApproval needs a credential \(one of the roles approver\)/,
    );
    const forged = clientsFor(vigil.baseUrl, "vgl_not_a_real_token");
    const unknown = await expectConnectError(
      forged.approvals.decideApproval({ id: approval.id, verdict: Verdict.APPROVE }),
    );
    expect([unknown.code, unknown.rawMessage]).toEqual([
      Code.Unauthenticated,
      "the bearer token is not one this server accepts",
    ]);
  });

  it("answers NotFound, FailedPrecondition and InvalidArgument for bad decisions", async () => {
    const unknown = await expectConnectError(
      approve("0190e8a0-0000-7000-8000-000000000001", "alice"),
    );
    expect(unknown.code).toBe(Code.NotFound);
    const approval = await pending(productionRead("prod/twice"));
    await approve(approval.id, "alice");
    const late = await expectConnectError(approve(approval.id, "bob"));
    expect([late.code, late.rawMessage]).toEqual([
      Code.FailedPrecondition,
      `approval ${approval.id} is approved; only a pending approval can be decided`,
    ]);
    const noVerdict = await expectConnectError(
      as("bob").approvals.decideApproval({ id: approval.id }),
    );
    expect(noVerdict.code).toBe(Code.InvalidArgument);
  });
});

describe("expiry", () => {
  it("expires a pending approval after the policy's TTL; it can then be neither decided nor redeemed", async () => {
    const request = productionRead("prod/expiring");
    const approval = await pending(request);
    const states: ApprovalState[] = [];
    for await (const change of as().approvals.watchApproval({ id: approval.id })) {
      states.push(change.approval?.state ?? ApprovalState.UNSPECIFIED);
    }
    expect(states).toEqual([ApprovalState.PENDING, ApprovalState.EXPIRED]);
    const late = await expectConnectError(approve(approval.id, "alice"));
    expect(late.code).toBe(Code.FailedPrecondition);
    const res = await redeem(request, approval.id);
    expect(res.reasons.map((r) => r.code)).toEqual(["approval_expired"]);
  }, 20_000);
});

describe.each(["grpc", "connect"] as const)("WatchApproval over %s", (protocol) => {
  it("delivers the decision to a client waiting on it", async () => {
    const approval = await pending(productionRead(`prod/watch-${protocol}`));
    const seen: Approval[] = [];
    const watching = (async () => {
      for await (const change of as(undefined, protocol).approvals.watchApproval({
        id: approval.id,
      })) {
        if (change.approval) seen.push(change.approval);
      }
    })();
    // The first message is the current state; decide only once the watcher has it.
    await expect.poll(() => seen.length).toBe(1);
    await approve(approval.id, "alice", "go ahead");
    await watching;
    expect(seen.map((a) => a.state)).toEqual([ApprovalState.PENDING, ApprovalState.APPROVED]);
    expect(seen[1]?.votes[0]?.comment).toBe("go ahead");
  });

  it("answers NotFound for an unknown approval", async () => {
    const stream = as(undefined, protocol).approvals.watchApproval({
      id: "0190e8a0-0000-7000-8000-000000000002",
    });
    const error = await expectConnectError(
      (async () => {
        for await (const _ of stream) {
          // no message is expected
        }
      })(),
    );
    expect(error.code).toBe(Code.NotFound);
  });
});

describe("the audit trail", () => {
  it("records every transition of an approval, with who caused it", async () => {
    const request = productionRead("prod/audited");
    const approval = await pending(request);
    await approve(approval.id, "alice", "fine");
    await redeem(request, approval.id);
    const audit = auditClient(vigil.baseUrl, people.alice.token);
    const res = await audit.queryRecords({
      filter: {
        kind: AuditRecordKind.APPROVAL,
        resourceKind: "secret",
        resourceId: "prod/audited",
      },
    });
    expect(
      res.records.map((r) => [r.attributes?.event, r.attributes?.state, r.caller?.id]),
    ).toEqual([
      ["created", "pending", "anonymous"],
      ["approved", "approved", people.alice.id],
      ["consumed", "consumed", "anonymous"],
    ]);
    expect(res.records.every((r) => r.approvalId === approval.id)).toBe(true);
    const decisions = await audit.queryRecords({
      filter: {
        kind: AuditRecordKind.DECISION,
        resourceKind: "secret",
        resourceId: "prod/audited",
      },
    });
    expect(decisions.records.map((r) => [r.decision, r.approvalId])).toEqual([
      [Decision.REQUIRE_APPROVAL, approval.id],
      [Decision.ALLOW, approval.id],
    ]);
  });
});

describe("a restart", () => {
  it("keeps pending approvals: one approved after the restart is redeemable", async () => {
    const request = productionRead("prod/restart");
    // Its own policy with a long pending TTL: two starts on a loaded machine can outlast the
    // suite's short one.
    const longLived = await policyWithApprovals((approval) => {
      approval.production_access = {
        rules: [{ group: "sre-oncall", required: 1 }],
        ttl_seconds: 600,
        grant_ttl_seconds: 600,
      };
    });
    const before = await startVigil({ policy: longLived, args });
    try {
      const res = await clientsFor(before.baseUrl).policy.authorize(request);
      const id = res.approval?.id ?? "";
      expect(await before.stop()).toBe(0);
      const after = await startVigil({ policy: longLived, args, dataDir: before.dataDir });
      try {
        const alice = clientsFor(after.baseUrl, people.alice.token);
        const { approval } = await alice.approvals.getApproval({ id });
        expect(approval?.state).toBe(ApprovalState.PENDING);
        await alice.approvals.decideApproval({ id, verdict: Verdict.APPROVE });
        const redeemed = await clientsFor(after.baseUrl).policy.authorize(
          create(AuthorizeRequestSchema, { ...request, approvalId: id }),
        );
        expect(redeemed.decision).toBe(Decision.ALLOW);
      } finally {
        await after.stop();
      }
    } finally {
      await before.stop();
      await removeDir(before.dataDir);
      await removeDir(longLived);
    }
  });
});
