import { clone, create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { v7 as uuidv7 } from "uuid";
import {
  type Approval,
  ApprovalSchema,
  ApprovalState,
  type Verdict,
} from "../../../gen/vigil/v1/approval_pb.js";
import { type Caller, CallerSchema } from "../../../gen/vigil/v1/audit_pb.js";
import type { AuditStore } from "../audit/audit-store.js";
import { describeError, NotFoundError, quoteUntrusted, WrongStateError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import type { ApprovalSpec } from "../policy/policy-decision.js";
import { type ApprovalSubject, actionDigest, contentPreview } from "./action-digest.js";
import type { ApprovalEvent, ApprovalEventSink, ApprovalEventType } from "./approval-events.js";
import { approvalRecord } from "./approval-records.js";
import type { ApprovalListQuery, ApprovalPage, ApprovalStore } from "./approval-store.js";
import { castVote, isPastExpiry, type Reviewer, stateName } from "./approval-votes.js";

/** Options for {@link createApprovalWorkflow}. */
export interface ApprovalWorkflowOptions {
  store: ApprovalStore;
  /** Every transition is appended here before the call that caused it returns. */
  audit: AuditStore;
  /** Told about every durable change (watchers, webhooks). Default none. */
  sinks?: ApprovalEventSink[];
  logger: Logger;
  /** Clock, replaceable in tests. Default: `() => new Date()`. */
  now?: () => Date;
}

/** What the policy decided and why, for a new approval. */
export interface ApprovalRequest {
  subject: ApprovalSubject;
  spec: ApprovalSpec;
  /** The policy's reasons, joined for the reviewer. */
  reason: string;
  decisionId: string;
  policyRevision: string;
  caller: Caller;
  time: Date;
}

/** Why an approval cannot be redeemed for a request; becomes a deny reason. */
export interface RedemptionProblem {
  code: string;
  message: string;
}

/** The approval lifecycle: request, vote, redeem, expire. */
export interface ApprovalWorkflow {
  /** Creates, audits and announces a pending approval. */
  request(request: ApprovalRequest): Promise<Approval>;
  /** The approval with this id; `NotFoundError` if none. */
  get(id: string): Promise<Approval>;
  list(query: ApprovalListQuery): Promise<ApprovalPage>;
  /** Applies a reviewer's verdict (see `castVote`), audited and announced. */
  decide(
    id: string,
    reviewer: Reviewer,
    vote: { verdict: Verdict; comment: string },
    caller: Caller,
  ): Promise<Approval>;
  /** The approval with this id, or undefined; for a caller that checks it next. */
  find(id: string): Promise<Approval | undefined>;
  /**
   * Checks an approval named by an Authorize request (as {@link find} read it, undefined when
   * there is none) against that request: a problem when it is unknown, bound to a different
   * request, denied, expired or used up; else nothing.
   */
  check(
    id: string,
    approval: Approval | undefined,
    subject: ApprovalSubject,
    policyRevision: string,
  ): RedemptionProblem | undefined;
  /**
   * Takes one use of an approved grant, atomically: the approval after it, or a problem when it
   * was used up, expired or changed since {@link check}.
   */
  redeem(
    id: string,
    digest: string,
    caller: Caller,
  ): Promise<{ approval: Approval } | { problem: RedemptionProblem }>;
  /** Marks approvals past their expiry as expired. Returns how many. */
  expireDue(): Promise<number>;
}

const systemCaller = create(CallerSchema, { id: "vigil", method: "system" });

/** Creates the workflow over a store; see {@link ApprovalWorkflow}. */
export function createApprovalWorkflow(options: ApprovalWorkflowOptions): ApprovalWorkflow {
  const { store, audit, logger } = options;
  const sinks = options.sinks ?? [];
  const now = options.now ?? (() => new Date());

  /** Records and announces a committed transition. */
  const committed = async (type: ApprovalEventType, approval: Approval, caller: Caller) => {
    const time = now();
    try {
      await audit.append(approvalRecord(type, approval, caller, time));
    } catch (error) {
      // The change is already durable in the approval store; say loudly that its record is not.
      logger.error(
        { approvalId: approval.id, event: type, err: describeError(error) },
        "approval change committed but its audit record failed",
      );
      throw error;
    } finally {
      const event: ApprovalEvent = { type, approval, time };
      for (const sink of sinks) sink.publish(event);
    }
  };

  const get = async (id: string) => {
    const approval = await store.get(id);
    if (!approval) throw new NotFoundError(`no approval has id ${quoteUntrusted(id)}`);
    return approval;
  };

  return {
    async request(r) {
      const approval = create(ApprovalSchema, {
        id: uuidv7(),
        state: ApprovalState.PENDING,
        actionDigest: actionDigest(r.subject, r.policyRevision),
        principal: r.subject.principal,
        action: r.subject.action,
        resource: r.subject.resource,
        secrets: [...r.subject.secrets],
        contentPreview: contentPreview(r.subject.contents),
        rules: r.spec.rules,
        reason: r.reason,
        decisionId: r.decisionId,
        policyRevision: r.policyRevision,
        createdAt: timestampFromDate(r.time),
        expiresAt: timestampFromDate(new Date(r.time.getTime() + r.spec.ttlSeconds * 1000)),
        bypassGroups: r.spec.bypassGroups,
        uses: r.spec.uses,
        grantTtl: durationFromMs(r.spec.grantTtlSeconds * 1000),
        requesterId: r.caller.id === "anonymous" ? "" : r.caller.id,
      });
      await store.create(approval);
      await committed("created", approval, r.caller);
      return approval;
    },

    get,

    list: (query) => store.list(query),

    async decide(id, reviewer, vote, caller) {
      let event: ApprovalEventType = "voted";
      const approval = await store.update(id, (current) => {
        const outcome = castVote(current, reviewer, vote, now());
        event = outcome.event;
        return outcome.approval;
      });
      await committed(event, approval, caller);
      return approval;
    },

    find: (id) => store.get(id),

    check(id, approval, subject, policyRevision) {
      if (!approval) {
        return { code: "approval_not_found", message: `no approval has id ${quoteUntrusted(id)}` };
      }
      if (approval.actionDigest !== actionDigest(subject, policyRevision)) {
        return {
          code: "approval_mismatch",
          message: `approval ${id} was granted for a different request (principal, action, resource, secrets, content or policy revision differ)`,
        };
      }
      return stateProblem(approval, now());
    },

    async redeem(id, digest, caller) {
      try {
        const approval = await store.update(id, (current) => {
          const problem =
            current.actionDigest !== digest
              ? `was granted for a different request`
              : current.state !== ApprovalState.APPROVED
                ? `is ${stateName(current.state)}`
                : isPastExpiry(current, now())
                  ? "has expired"
                  : undefined;
          if (problem) throw new WrongStateError(`approval ${id} ${problem}`);
          const next = clone(ApprovalSchema, current);
          next.usesRemaining = Math.max(0, current.usesRemaining - 1);
          if (next.usesRemaining === 0) next.state = ApprovalState.CONSUMED;
          return next;
        });
        await committed("consumed", approval, caller);
        return { approval };
      } catch (error) {
        if (!(error instanceof WrongStateError)) throw error;
        return { problem: { code: "approval_unusable", message: error.message } };
      }
    },

    async expireDue() {
      let expired = 0;
      for (const candidate of await store.open()) {
        if (!isPastExpiry(candidate, now())) continue;
        let changed = false;
        const approval = await store.update(candidate.id, (current) => {
          changed = isOpen(current) && isPastExpiry(current, now());
          if (!changed) return current;
          const next = clone(ApprovalSchema, current);
          next.state = ApprovalState.EXPIRED;
          return next;
        });
        if (!changed) continue;
        expired++;
        await committed("expired", approval, systemCaller);
      }
      return expired;
    },
  };
}

function isOpen(approval: Approval): boolean {
  return approval.state === ApprovalState.PENDING || approval.state === ApprovalState.APPROVED;
}

/** Why an approval in this state cannot be redeemed; undefined when it is approved or pending. */
function stateProblem(approval: Approval, now: Date): RedemptionProblem | undefined {
  const id = approval.id;
  switch (approval.state) {
    case ApprovalState.PENDING:
    case ApprovalState.APPROVED:
      return isPastExpiry(approval, now)
        ? { code: "approval_expired", message: `approval ${id} has expired` }
        : undefined;
    case ApprovalState.DENIED: {
      const by = approval.votes.at(-1)?.reviewerId ?? "a reviewer";
      return { code: "approval_denied", message: `approval ${id} was denied by ${by}` };
    }
    case ApprovalState.EXPIRED:
      return { code: "approval_expired", message: `approval ${id} has expired` };
    case ApprovalState.CONSUMED:
      return { code: "approval_consumed", message: `approval ${id} has already been used` };
    default:
      return { code: "approval_unusable", message: `approval ${id} is in no usable state` };
  }
}
