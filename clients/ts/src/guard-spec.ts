import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import type { Approval } from "../../../gen/vigil/v1/approval_pb.js";
import type {
  ContentKind,
  Finding,
  PrincipalSchema,
  RegisteredSecretSchema,
  ResourceSchema,
  SecretRefSchema,
} from "../../../gen/vigil/v1/common_pb.js";
import type { Obligation } from "../../../gen/vigil/v1/obligation_pb.js";
import type { VigilDecision } from "./decision.js";
import type { RedactionMode } from "./guard-obligations.js";

/** What `guard()` protects: who acts, on what, with which content. */
export interface GuardSpec {
  /** On whose behalf, e.g. `{ id: "agent:support-bot", kind: PrincipalKind.AGENT }`. */
  principal: MessageInitShape<typeof PrincipalSchema>;
  /** What is attempted, e.g. `llm.complete` or `tool.call`. */
  action: string;
  /** The target, e.g. `{ kind: "llm", id: "openai:gpt-4o" }`. */
  resource: MessageInitShape<typeof ResourceSchema>;
  /** The outgoing content (a prompt, a command); Authorize inspects it, the action gets it masked. */
  content: { kind: ContentKind; text: string; name?: string };
  /** Kind of the action's result, which picks its redact plan. Default: from the content kind (a prompt's result is a completion, a command's a tool result). */
  resultKind?: ContentKind;
  /** Secrets the action uses, by name. Default: none. */
  secrets?: MessageInitShape<typeof SecretRefSchema>[];
  /** Secret values the runtime holds (API keys in its environment): masked wherever they appear, in every encoding. Default: none. */
  registeredSecrets?: MessageInitShape<typeof RegisteredSecretSchema>[];
  /** Free-form context for the policy. Default: none. */
  context?: JsonObject;
  /** Groups the decision, redactions and events with the rest of the agent run. Default: a new UUID. */
  sessionId?: string;
  /** Correlates this call's records. Default: a new UUID. */
  requestId?: string;
  /** When approval is required. Default: wait up to 15 minutes. */
  approval?: {
    /** Wait for reviewers, then redeem; `false` throws `VigilDeniedError` at once. Default: `true`. */
    wait?: boolean;
    /** How long to wait. Default: 15 minutes. */
    timeoutMs?: number;
    /** Called with the pending approval (tell the user its id), then on every change. */
    onUpdate?: (approval: Approval) => void;
  };
  /** `always` masks all content and results; `obligated` only what redact obligations name. Default: `always`. */
  redaction?: RedactionMode;
  /** Obligations besides redact and record that the action honours (e.g. strip_headers); any other one is a deny. Default: none. */
  acceptObligation?: (obligation: Obligation) => boolean;
  /** Cancels the guard; once the action runs, it is the action's to honour. */
  signal?: AbortSignal;
}

/** What the action gets besides the masked content. */
export interface GuardActionContext {
  /** The allow decision, with its obligations. */
  decision: VigilDecision;
  sessionId: string;
  requestId: string;
  /** What masking the content found (no values). */
  findings: Finding[];
  signal: AbortSignal | undefined;
}

/** The work `guard()` protects: gets the masked content, returns its result as text. */
export type GuardAction = (
  content: string,
  context: GuardActionContext,
) => Promise<string> | string;

/** What `guard()` returns once the action ran and both events are recorded. */
export interface GuardResult {
  /** The action's result, masked. */
  result: string;
  decisionId: string;
  sessionId: string;
  requestId: string;
  /** The approval redeemed, or `""`. */
  approvalId: string;
  /** What masking found in the outgoing content and in the result (no values). */
  findings: { content: Finding[]; result: Finding[] };
  /** Audit record ids of the REQUEST and RESPONSE events (`response` is `""` if unrecorded). */
  recordIds: { request: string; response: string };
}
