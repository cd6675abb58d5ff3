import { create, type JsonObject } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Approval } from "../../../gen/vigil/v1/approval_pb.js";
import {
  ContentKind,
  Decision,
  type PolicyProvenance,
  PolicyProvenanceSchema,
  type Reason,
  ReasonSchema,
} from "../../../gen/vigil/v1/common_pb.js";
import { type Obligation, ObligationSchema } from "../../../gen/vigil/v1/obligation_pb.js";
import {
  type AuthorizeResponse,
  AuthorizeResponseSchema,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import type { AppendReceipt } from "../audit/audit-store.js";
import type { ObligationSpec, Outcome, PolicyDecision } from "../policy/policy-decision.js";

const decisionOf: Record<Outcome, Decision> = {
  allow: Decision.ALLOW,
  deny: Decision.DENY,
  require_approval: Decision.REQUIRE_APPROVAL,
};

/** Maps a policy outcome to the wire enum. */
export function toDecision(outcome: Outcome): Decision {
  return decisionOf[outcome];
}

/** Maps policy reasons to the wire type. */
export function toReasons(decision: PolicyDecision): Reason[] {
  return decision.reasons.map((r) => create(ReasonSchema, r));
}

/** Maps the deciding bundle to the wire type. */
export function toProvenance(decision: PolicyDecision): PolicyProvenance {
  const { revision, entrypoint, digest } = decision.provenance;
  return create(PolicyProvenanceSchema, {
    bundleRevision: revision,
    entrypoint,
    bundleDigest: digest,
  });
}

/**
 * Maps policy obligations (`{"type": "redact", "profile": "default"}`) to typed obligations.
 * Types Vigil does not know become `custom`, which clients must treat as a deny.
 */
export function toObligations(specs: ObligationSpec[]): Obligation[] {
  return specs.map((spec) => {
    const { type, ...params } = spec;
    switch (type) {
      case "redact":
        return create(ObligationSchema, {
          kind: {
            case: "redact",
            value: {
              profile: typeof params.profile === "string" ? params.profile : "default",
              kinds: stringList(params.kinds).map(contentKindFromName),
            },
          },
        });
      case "record":
        return create(ObligationSchema, {
          kind: { case: "record", value: { session: params.session === true } },
        });
      case "strip_headers":
        return create(ObligationSchema, {
          kind: { case: "stripHeaders", value: { headers: stringList(params.headers) } },
        });
      default:
        return create(ObligationSchema, {
          kind: { case: "custom", value: { type, params: params as JsonObject } },
        });
    }
  });
}

/**
 * Assembles the Authorize answer once the decision's audit record is durable. `approval` is
 * the one to wait for (require_approval) or the one redeemed or refused.
 */
export function toAuthorizeResponse(
  decision: PolicyDecision,
  decisionId: string,
  decidedAt: Date,
  receipt: AppendReceipt,
  approval?: Approval,
): AuthorizeResponse {
  return create(AuthorizeResponseSchema, {
    decisionId,
    decision: toDecision(decision.outcome),
    reasons: toReasons(decision),
    obligations: toObligations(decision.obligations),
    approval,
    policy: toProvenance(decision),
    cacheTtl: durationFromMs(decision.cacheTtlSeconds * 1000),
    decidedAt: timestampFromDate(decidedAt),
    sequence: receipt.sequence,
  });
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function contentKindFromName(name: string): ContentKind {
  const value = ContentKind[name.toUpperCase() as keyof typeof ContentKind];
  return typeof value === "number" ? value : ContentKind.UNSPECIFIED;
}
