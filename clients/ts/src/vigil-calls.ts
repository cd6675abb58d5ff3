import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Approval } from "../../../gen/vigil/v1/approval_pb.js";
import type { RegisteredSecretSchema } from "../../../gen/vigil/v1/common_pb.js";
import type {
  AuthorizeRequestSchema,
  RecordEventSchema,
  RecordResponse,
  RedactRequestSchema,
  RedactResponse,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import type { WaitForApprovalOptions } from "./approval-wait.js";
import type { VigilDecision } from "./decision.js";

/** Per-call options. */
export interface VigilCallOptions {
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this call (all attempts together). */
  timeoutMs?: number;
}

/** Options of `record()`. */
export interface RecordOptions extends VigilCallOptions {
  /** Values to scrub from the event's content before it is stored. Default: none. */
  registeredSecrets?: MessageInitShape<typeof RegisteredSecretSchema>[];
}

/** The calls of a Vigil client, each failing closed. */
export interface VigilCalls {
  /**
   * Asks whether an action may proceed. Never rejects for a failed call: when Vigil gives no
   * usable answer the decision is a deny carrying the error (an allow with `failedOpen` only when
   * the client was created with `failOpen` and Vigil was unreachable). Retried on `Unavailable`.
   */
  authorize(
    request: MessageInitShape<typeof AuthorizeRequestSchema>,
    options?: VigilCallOptions,
  ): Promise<VigilDecision>;
  /**
   * Asks about several actions in one call (`AuthorizeBatch`): one decision per request, in
   * order, each exactly what `authorize()` would give (its own decision id and audit record).
   * Never rejects: a request Vigil refused (e.g. a missing principal) is a deny carrying that
   * error; when the whole call gets no usable answer every decision is a deny (an allow with
   * `failedOpen` only under `failOpen` when Vigil was unreachable). Retried on `Unavailable`.
   * An empty list resolves to `[]` without a call; the server refuses more than its
   * `--max-batch-size` (256 by default), so split longer lists.
   */
  authorizeBatch(
    requests: MessageInitShape<typeof AuthorizeRequestSchema>[],
    options?: VigilCallOptions,
  ): Promise<VigilDecision[]>;
  /**
   * Masks content with the policy's redact plan. Rejects rather than hand back unmasked text:
   * `VigilDeniedError` when the plan refuses the content, `VigilUnavailableError` when Vigil gives
   * no usable answer. Retried on `Unavailable`.
   */
  redact(
    request: MessageInitShape<typeof RedactRequestSchema>,
    options?: VigilCallOptions,
  ): Promise<RedactResponse>;
  /**
   * Appends one event to the audit trail and resolves once it is durable. Never retried: the
   * server does not de-duplicate events, so a retry after a lost answer would record it twice.
   * Rejects with `VigilUnavailableError` when Vigil gives no usable answer.
   */
  record(
    event: MessageInitShape<typeof RecordEventSchema>,
    options?: RecordOptions,
  ): Promise<RecordResponse>;
  /**
   * Waits (with `WatchApproval`, no polling) until the approval is decided, and resolves with it
   * in its final state, approved or not; redeem it by repeating Authorize with `approvalId`.
   * Rejects with `ApprovalTimeoutError` when nobody decides in time.
   */
  waitForApproval(id: string, options?: WaitForApprovalOptions): Promise<Approval>;
}
