/**
 * Vigil's TypeScript client: `createVigilClient()` for Authorize, Redact, Record and approvals,
 * failing closed, and `guard()` to run an agent's action under Vigil's control in one call.
 *
 * @packageDocumentation
 */

export {
  type Approval,
  ApprovalState,
} from "../../../gen/vigil/v1/approval_pb.js";
export {
  ContentKind,
  Decision,
  type Finding,
  PrincipalKind,
  type Reason,
} from "../../../gen/vigil/v1/common_pb.js";
export type { Obligation } from "../../../gen/vigil/v1/obligation_pb.js";
export { RecordEventKind } from "../../../gen/vigil/v1/policy_service_pb.js";
export { defaultApprovalTimeoutMs, type WaitForApprovalOptions } from "./approval-wait.js";
export { type DecisionOutcome, noAnswerReason, type VigilDecision } from "./decision.js";
export {
  ApprovalTimeoutError,
  type DenialDetails,
  VigilDeniedError,
  VigilError,
  VigilRecordError,
  VigilUnavailableError,
} from "./errors.js";
export type { RedactionMode } from "./guard-obligations.js";
export type {
  GuardAction,
  GuardActionContext,
  GuardResult,
  GuardSpec,
} from "./guard-spec.js";
export type { RecordOptions, VigilCallOptions, VigilCalls } from "./vigil-calls.js";
export { createVigilClient, type VigilClient, type VigilClientOptions } from "./vigil-client.js";
export type { VigilProtocol } from "./vigil-transport.js";
