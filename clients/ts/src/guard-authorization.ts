import { create } from "@bufbuild/protobuf";
import { ReasonSchema } from "../../../gen/vigil/v1/common_pb.js";
import type { AuthorizeRequest } from "../../../gen/vigil/v1/policy_service_pb.js";
import { defaultApprovalTimeoutMs } from "./approval-wait.js";
import { denialOf, type VigilDecision } from "./decision.js";
import { VigilDeniedError } from "./errors.js";
import { obligationName, unhonouredObligations } from "./guard-obligations.js";
import type { GuardSpec } from "./guard-spec.js";
import type { VigilCalls } from "./vigil-calls.js";

/**
 * An allow decision whose obligations guard() can honour, after waiting for and redeeming an
 * approval when one is required. Sets `request.approvalId` when it redeems one.
 */
export async function authorized(
  vigil: VigilCalls,
  request: AuthorizeRequest,
  spec: GuardSpec,
): Promise<VigilDecision> {
  const call = spec.signal ? { signal: spec.signal } : {};
  let decision = await vigil.authorize(request, call);
  // guard() never fails open: without Vigil it could not mask the content either.
  if (decision.error) throw decision.error;
  const pending = decision.approval;
  if (decision.outcome === "require_approval" && pending?.id && spec.approval?.wait !== false) {
    await vigil.waitForApproval(pending.id, {
      timeoutMs: spec.approval?.timeoutMs ?? defaultApprovalTimeoutMs,
      ...call,
      ...(spec.approval?.onUpdate ? { onUpdate: spec.approval.onUpdate } : {}),
    });
    // Redeeming answers for any final state: allow for an approved grant, a deny naming why
    // (denied by whom, expired, used up) otherwise.
    request.approvalId = pending.id;
    decision = await vigil.authorize(request, call);
    if (decision.error) throw decision.error;
  }
  if (!decision.allowed) throw denialOf(decision);
  const unhonoured = unhonouredObligations(decision.obligations, spec.acceptObligation);
  if (unhonoured.length > 0) {
    const reasons = unhonoured.map((o) =>
      create(ReasonSchema, {
        code: "obligation_not_honoured",
        message: `guard() cannot honour the ${obligationName(o)} obligation; pass acceptObligation if the action does`,
      }),
    );
    throw new VigilDeniedError({
      decisionId: decision.decisionId,
      outcome: "deny",
      reasons,
      approval: decision.approval,
    });
  }
  return decision;
}
