import type { HandlerContext } from "@connectrpc/connect";
import { v7 as uuidv7 } from "uuid";
import { type Approval, ApprovalState } from "../../../gen/vigil/v1/approval_pb.js";
import type { Caller } from "../../../gen/vigil/v1/audit_pb.js";
import type {
  AuthorizeRequest,
  AuthorizeResponse,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import type { ApprovalSubject, MaskedContent } from "../approvals/action-digest.js";
import { grantInput } from "../approvals/approval-votes.js";
import type { ApprovalWorkflow, RedemptionProblem } from "../approvals/approval-workflow.js";
import type { AuditStore } from "../audit/audit-store.js";
import { RedactionBlockedError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import type { PolicyDecision } from "../policy/policy-decision.js";
import type { PolicyEngine } from "../policy/policy-engine.js";
import { buildAuthorizeInput, contentKindName } from "../policy/policy-input.js";
import type { ContentRedactor } from "../redact/content-redactor.js";
import { decisionRecord } from "./audit-records.js";
import { callerOf } from "./caller.js";
import { toAuthorizeResponse } from "./decision-mapping.js";
import { redactPlanInput, requireContent } from "./redact-input.js";
import { requirePrincipal, requireResource, requireText } from "./request-validation.js";

/** Dependencies of {@link createAuthorizeCall}. */
export interface AuthorizeCallDeps {
  engine: PolicyEngine;
  store: AuditStore;
  approvals: ApprovalWorkflow;
  /** Masks content for the approval's preview and digest. */
  redactor: ContentRedactor;
  logger: Logger;
  now: () => Date;
}

/**
 * The Authorize handler. A `require_approval` decision creates a pending approval; a request
 * naming an approval is checked against it (same action digest, approved, not expired or used
 * up) and, when the policy allows with the grant, takes one use of it. Every problem with a
 * named approval is a deny with a reason, never an error and never a fresh approval.
 */
export function createAuthorizeCall(deps: AuthorizeCallDeps) {
  const { engine, store, approvals, logger, now } = deps;

  const subjectOf = async (
    request: AuthorizeRequest,
    caller: Caller,
    time: Date,
  ): Promise<ApprovalSubject> => ({
    principal: request.principal,
    action: request.action,
    resource: request.resource,
    secrets: request.secrets,
    contents: await maskedContents(request, caller, time, deps.redactor),
  });

  /** Decides a request that names an approval; see the function comment above. */
  const decideRedemption = async (
    request: AuthorizeRequest,
    caller: Caller,
    decidedAt: Date,
    subject: () => Promise<ApprovalSubject>,
  ): Promise<{ decision: PolicyDecision; approval?: Approval | undefined; fresh: boolean }> => {
    const input = buildAuthorizeInput(request, caller, decidedAt);
    const approval = await approvals.find(request.approvalId);
    if (approval?.state === ApprovalState.APPROVED) input.grant = grantInput(approval);
    const decision = await engine.authorize(input);
    const problem = approvals.check(
      request.approvalId,
      approval,
      await subject(),
      decision.provenance.revision,
    );
    if (problem || !approval) {
      // check() reports a missing approval as a problem, so `problem` is set here.
      return { decision: refused(decision, problem as RedemptionProblem), approval, fresh: false };
    }
    if (approval.state === ApprovalState.PENDING) {
      // Still waiting: the same approval again, not a second one.
      return { decision, approval, fresh: false };
    }
    if (decision.outcome === "allow") {
      const redeemed = await approvals.redeem(approval.id, approval.actionDigest, caller);
      if ("problem" in redeemed) {
        return { decision: refused(decision, redeemed.problem), approval, fresh: false };
      }
      return { decision, approval: redeemed.approval, fresh: false };
    }
    // The policy denied despite the grant, or found it unusable and asks again.
    return { decision, approval, fresh: decision.outcome === "require_approval" };
  };

  return async (request: AuthorizeRequest, context: HandlerContext): Promise<AuthorizeResponse> => {
    requirePrincipal(request.principal, "principal");
    requireText(request.action, "action");
    requireResource(request.resource, "resource");
    for (const [i, secret] of request.secrets.entries()) {
      requireText(secret.name, `secrets[${i}].name`);
    }
    const caller = callerOf(context);
    const decidedAt = now();
    const decisionId = uuidv7();
    // Masking the contents is a redaction: done at most once, and only on the approval paths.
    let masked: Promise<ApprovalSubject> | undefined;
    const subject = () => {
      masked ??= subjectOf(request, caller, decidedAt);
      return masked;
    };
    let { decision, approval, fresh } = request.approvalId
      ? await decideRedemption(request, caller, decidedAt, subject)
      : {
          decision: await engine.authorize(buildAuthorizeInput(request, caller, decidedAt)),
          approval: undefined,
          fresh: true,
        };
    if (decision.outcome === "require_approval" && decision.approval && fresh) {
      approval = await approvals.request({
        subject: await subject(),
        spec: decision.approval,
        reason: decision.reasons.map((r) => r.message).join("; "),
        decisionId,
        policyRevision: decision.provenance.revision,
        caller,
        time: decidedAt,
      });
    }
    // The decision is only returned once its record is durable: no unaudited decisions.
    const receipt = await store.append(
      decisionRecord(
        request,
        decision,
        caller,
        decisionId,
        decidedAt,
        approval?.id ?? request.approvalId,
      ),
    );
    // The audit log is the record of decisions; this line is for debugging only.
    logger.debug(
      {
        decisionId,
        decision: decision.outcome,
        reasons: decision.reasons.map((r) => r.code),
        action: request.action,
        principal: request.principal?.id,
        revision: decision.provenance.revision,
        approvalId: approval?.id,
      },
      "authorize",
    );
    return toAuthorizeResponse(decision, decisionId, decidedAt, receipt, approval);
  };
}

/** A deny carrying the approval problem as its one reason, with the policy's provenance. */
function refused(decision: PolicyDecision, problem: RedemptionProblem): PolicyDecision {
  return {
    outcome: "deny",
    reasons: [problem],
    obligations: [],
    approval: undefined,
    cacheTtlSeconds: 0,
    provenance: decision.provenance,
  };
}

/**
 * The request's contents masked with the policy's plan for the audit trail: what a reviewer
 * may read, and what the action digest binds. Content the plan refuses is represented by the
 * plan's reason codes, never by its text.
 */
async function maskedContents(
  request: AuthorizeRequest,
  caller: Caller,
  now: Date,
  redactor: ContentRedactor,
): Promise<MaskedContent[]> {
  return Promise.all(
    request.contents.map(async (content, i) => {
      const field = `contents[${i}]`;
      const kind = contentKindName(content.kind);
      const planInput = redactPlanInput(request, content.kind, content.name, {
        caller,
        now,
        destination: "audit",
      });
      try {
        const masked = await redactor.redact(requireContent(content, field), field, [], planInput);
        const text = "json" in masked.content ? masked.content.json : masked.content.text;
        return { kind, name: content.name, text };
      } catch (error) {
        if (!(error instanceof RedactionBlockedError)) throw error;
        const codes = error.reasons.map((r) => r.code).join(", ");
        return { kind, name: content.name, text: `[withheld by policy: ${codes}]` };
      }
    }),
  );
}
