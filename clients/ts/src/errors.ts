import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Approval } from "../../../gen/vigil/v1/approval_pb.js";
import { type Reason, ReasonSchema } from "../../../gen/vigil/v1/common_pb.js";
import type { DecisionOutcome } from "./decision.js";
import type { GuardResult } from "./guard-spec.js";

/** Base class of every error this client throws; `cause` holds the underlying error, if any. */
export class VigilError extends Error {
  override name = "VigilError";
}

/** What a {@link VigilDeniedError} knows about the refusal. */
export interface DenialDetails {
  /** The decision that refused, or `""` when the refusal did not come from Authorize. */
  decisionId: string;
  /** `deny`, or `require_approval` when approval was needed and not waited for. */
  outcome: DecisionOutcome;
  /** Why; codes are stable, messages are for humans and never carry a secret. */
  reasons: Reason[];
  /** The approval involved, if any: pending, denied, expired or consumed. */
  approval?: Approval | undefined;
}

/**
 * Vigil refused: a deny, an approval that was required and not granted, content the redact plan
 * refuses to pass, or an obligation the caller cannot honour. The action must not proceed.
 */
export class VigilDeniedError extends VigilError {
  override name = "VigilDeniedError";
  readonly decisionId: string;
  readonly outcome: DecisionOutcome;
  readonly reasons: Reason[];
  readonly approval: Approval | undefined;

  constructor(details: DenialDetails, options?: ErrorOptions) {
    const codes = details.reasons.map((r) => r.code).join(", ") || "no reason given";
    const decision = details.decisionId ? ` (decision ${details.decisionId})` : "";
    super(`vigil: ${details.outcome.replace("_", " ")}${decision}: ${codes}`, options);
    this.decisionId = details.decisionId;
    this.outcome = details.outcome;
    this.reasons = details.reasons;
    this.approval = details.approval;
  }
}

/**
 * Vigil gave no usable answer to `operation`: it could not be reached, did not answer in time,
 * or failed the call (`code` says which). The client failed closed: treat it as a deny.
 */
export class VigilUnavailableError extends VigilError {
  override name = "VigilUnavailableError";
  /** The RPC that failed, e.g. `Authorize`. */
  readonly operation: string;
  /** The Connect code of the failure, e.g. `Code.Unavailable` or `Code.DeadlineExceeded`. */
  readonly code: Code;

  constructor(operation: string, cause: ConnectError) {
    super(`vigil: ${operation} got no usable answer (${Code[cause.code]}): ${cause.rawMessage}`, {
      cause,
    });
    this.operation = operation;
    this.code = cause.code;
  }

  /** True when Vigil could not be reached or timed out, rather than answering with an error. */
  get unreachable(): boolean {
    return this.code === Code.Unavailable || this.code === Code.DeadlineExceeded;
  }
}

/** Nobody decided the approval within the time the caller was willing to wait. */
export class ApprovalTimeoutError extends VigilError {
  override name = "ApprovalTimeoutError";
  readonly approvalId: string;
  readonly timeoutMs: number;
  /** The last state seen, if the watch got that far. */
  readonly approval: Approval | undefined;

  constructor(approvalId: string, timeoutMs: number, approval?: Approval, options?: ErrorOptions) {
    super(`vigil: approval ${approvalId} was not decided within ${timeoutMs} ms`, options);
    this.approvalId = approvalId;
    this.timeoutMs = timeoutMs;
    this.approval = approval;
  }
}

/**
 * The action ran, but its outcome could not be recorded in the audit trail (`cause`). `result`
 * is the masked result when the action succeeded (safe to use, but unrecorded); otherwise
 * `originalError` is the error the guard was about to throw.
 */
export class VigilRecordError extends VigilError {
  override name = "VigilRecordError";
  readonly result: GuardResult | undefined;
  readonly originalError: unknown;

  constructor(
    what: { result?: GuardResult; originalError?: unknown },
    options: ErrorOptions & { cause: unknown },
  ) {
    super(
      "vigil: the action ran but its outcome could not be recorded in the audit trail",
      options,
    );
    this.result = what.result;
    this.originalError = what.originalError;
  }
}

/**
 * The client's view of a failed call to `operation`: a `PermissionDenied` is Vigil refusing
 * (a {@link VigilDeniedError}); anything else is no usable answer.
 */
export function toVigilError(error: unknown, operation: string): VigilError {
  if (error instanceof VigilError) return error;
  const connectError = ConnectError.from(error);
  if (connectError.code === Code.PermissionDenied) {
    const reason = create(ReasonSchema, {
      code: "permission_denied",
      message: `${operation}: ${connectError.rawMessage}`,
    });
    return new VigilDeniedError(
      { decisionId: "", outcome: "deny", reasons: [reason] },
      { cause: connectError },
    );
  }
  return new VigilUnavailableError(operation, connectError);
}
