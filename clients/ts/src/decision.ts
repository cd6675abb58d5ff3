import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import type { Approval } from "../../../gen/vigil/v1/approval_pb.js";
import { Decision, type Reason, ReasonSchema } from "../../../gen/vigil/v1/common_pb.js";
import type { Obligation } from "../../../gen/vigil/v1/obligation_pb.js";
import type {
  AuthorizeBatchResult,
  AuthorizeResponse,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import { VigilDeniedError, VigilUnavailableError } from "./errors.js";

/** The three answers a policy gives, in the words the policy uses. */
export type DecisionOutcome = "allow" | "deny" | "require_approval";

/** Reason code of a decision the client made itself because Vigil gave no usable answer. */
export const noAnswerReason = "vigil_no_answer";

/**
 * The outcome of `authorize()`. When Vigil answered, `response` is its answer; when it did not,
 * `error` says why and the outcome is a deny (or an allow, with `failedOpen`, when the client
 * was created with `failOpen` and Vigil was unreachable).
 */
export interface VigilDecision {
  /** `allow`, `deny` or `require_approval`; a decision value this client does not know is `deny`. */
  outcome: DecisionOutcome;
  /** True only for `allow`: the one outcome that lets the action proceed. */
  allowed: boolean;
  /** Vigil's decision id (also its audit record id); `""` when Vigil did not answer. */
  decisionId: string;
  /** Why; when Vigil did not answer, one reason with code {@link noAnswerReason}. */
  reasons: Reason[];
  /** What the caller must do if it proceeds; one it does not understand means do not proceed. */
  obligations: Obligation[];
  /** The approval to wait for (`require_approval`), or the one redeemed. */
  approval: Approval | undefined;
  /** Vigil's full answer; `undefined` when it gave none. */
  response: AuthorizeResponse | undefined;
  /** Why Vigil gave no answer; `undefined` when it answered. */
  error: VigilUnavailableError | undefined;
  /** True when the client allowed without an answer because the caller opted into `failOpen`. */
  failedOpen: boolean;
}

/** Vigil's answer as a {@link VigilDecision}. */
export function decisionFromResponse(response: AuthorizeResponse): VigilDecision {
  const outcome = outcomeOf(response.decision);
  return {
    outcome,
    allowed: outcome === "allow",
    decisionId: response.decisionId,
    reasons: response.reasons,
    obligations: response.obligations,
    approval: response.approval,
    response,
    error: undefined,
    failedOpen: false,
  };
}

/**
 * The decision the client makes when Vigil gave no usable answer: a deny, or an allow only when
 * the caller opted into failing open and Vigil was unreachable (not when it answered an error).
 */
export function unansweredDecision(error: VigilUnavailableError, failOpen: boolean): VigilDecision {
  const failedOpen = failOpen && error.unreachable;
  const reason = create(ReasonSchema, {
    code: noAnswerReason,
    message: `${failedOpen ? "allowed without an answer (fail-open)" : "denied"}: ${error.message}`,
  });
  return {
    outcome: failedOpen ? "allow" : "deny",
    allowed: failedOpen,
    decisionId: "",
    reasons: [reason],
    obligations: [],
    approval: undefined,
    response: undefined,
    error,
    failedOpen,
  };
}

/**
 * One result of an AuthorizeBatch as a {@link VigilDecision}. A result carrying an error (or
 * missing) is a deny with that error, never failed open: Vigil answered, it refused the request.
 */
export function decisionFromBatchResult(result: AuthorizeBatchResult | undefined): VigilDecision {
  if (result?.result.case === "response") return decisionFromResponse(result.result.value);
  const { code, message } =
    result?.result.case === "error"
      ? result.result.value
      : { code: "internal", message: "Vigil sent no result for this request" };
  const cause = new ConnectError(message, codeFromString(code) ?? Code.Unknown);
  return unansweredDecision(new VigilUnavailableError("AuthorizeBatch", cause), false);
}

/** The error that says why `decision` does not let the action proceed. */
export function denialOf(decision: VigilDecision): VigilDeniedError {
  return new VigilDeniedError(
    {
      decisionId: decision.decisionId,
      outcome: decision.outcome,
      reasons: decision.reasons,
      approval: decision.approval,
    },
    decision.error ? { cause: decision.error } : undefined,
  );
}

function outcomeOf(decision: Decision): DecisionOutcome {
  switch (decision) {
    case Decision.ALLOW:
      return "allow";
    case Decision.REQUIRE_APPROVAL:
      return "require_approval";
    default:
      return "deny";
  }
}
