import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Approval, ApprovalState } from "../../../gen/vigil/v1/approval_pb.js";
import { Decision } from "../../../gen/vigil/v1/common_pb.js";
import {
  type AuthorizeRequest,
  AuthorizeRequestSchema,
  type AuthorizeResponse,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import { stateName } from "../approvals/approval-votes.js";
import { CallerClosedError, RequestDeniedError, VigilUnavailableError } from "./proxy-errors.js";
import type { VigilClients } from "./vigil-clients.js";

/** What {@link authorizeExchange} needs. */
export interface AuthorizeExchangeOptions {
  vigil: VigilClients;
  /** Deadline of each unary Vigil call. */
  vigilTimeoutMs: number;
  /** How long to wait for reviewers when the policy requires approval. */
  approvalTimeoutMs: number;
  /** Told when the request starts waiting for an approval (for the log). */
  onPending?: (approvalId: string, decisionId: string) => void;
  /** Aborted when the caller goes away: the wait stops. */
  signal: AbortSignal;
}

/**
 * Asks Vigil whether the request may go on; resolves with the allowing decision. A deny is a
 * {@link RequestDeniedError} with the policy's reasons (codes and messages, never content).
 * When approval is required it waits on WatchApproval for `approvalTimeoutMs`, then redeems the
 * approval with a second Authorize naming it; an approval denied, expired or still pending by
 * then is a deny naming its id. Any failure to ask is a {@link VigilUnavailableError}: the
 * request is not forwarded.
 */
export async function authorizeExchange(
  options: AuthorizeExchangeOptions,
  request: AuthorizeRequest,
): Promise<AuthorizeResponse> {
  const { vigil, signal } = options;
  const ask = (approvalId: string) =>
    vigil.policy
      .authorize(create(AuthorizeRequestSchema, { ...request, approvalId }), {
        timeoutMs: options.vigilTimeoutMs,
        signal,
      })
      .catch((error: unknown) => unavailable(error, signal, "Authorize"));
  const first = await ask("");
  if (first.decision !== Decision.REQUIRE_APPROVAL) return allowed(first);
  const id = first.approval?.id;
  if (!id) throw new VigilUnavailableError("Vigil required an approval without naming one");
  options.onPending?.(id, first.decisionId);
  let last: Approval | undefined = first.approval;
  try {
    const stream = vigil.approvals.watchApproval(
      { id },
      { timeoutMs: options.approvalTimeoutMs, signal },
    );
    for await (const { approval } of stream) if (approval) last = approval;
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.DeadlineExceeded && !signal.aborted) {
      throw new RequestDeniedError(
        `approval ${id} was not decided within ${options.approvalTimeoutMs / 1000}s; denied`,
        first.decisionId,
      );
    }
    unavailable(error, signal, "WatchApproval");
  }
  if (last?.state !== ApprovalState.APPROVED) {
    const state = last ? stateName(last.state) : "unknown";
    throw new RequestDeniedError(`approval ${id} is ${state}; denied`, first.decisionId);
  }
  return allowed(await ask(id));
}

function allowed(res: AuthorizeResponse): AuthorizeResponse {
  if (res.decision === Decision.ALLOW) return res;
  const why = res.reasons.map((r) => `${r.code}: ${r.message}`).join("; ") || "no reason given";
  const what = res.decision === Decision.REQUIRE_APPROVAL ? "still requires approval" : "denied";
  throw new RequestDeniedError(
    `${what} by policy (decision ${res.decisionId}): ${why}`,
    res.decisionId,
  );
}

function unavailable(error: unknown, signal: AbortSignal, call: string): never {
  if (signal.aborted) throw new CallerClosedError();
  const detail =
    error instanceof ConnectError ? `${Code[error.code]}: ${error.rawMessage}` : "no answer";
  throw new VigilUnavailableError(`Vigil ${call} failed (${detail}); not forwarded`, {
    cause: error,
  });
}
