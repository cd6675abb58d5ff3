import { ContentKind } from "../../../gen/vigil/v1/common_pb.js";
import type { Obligation } from "../../../gen/vigil/v1/obligation_pb.js";
import { RequestDeniedError } from "./proxy-errors.js";

/** How the proxy carries out a decision's obligations. */
export interface ProxyObligations {
  /** Redact profile for the prompt (empty: the plan's default). */
  promptProfile: string;
  /** Redact profile for the completion (empty: the plan's default). */
  completionProfile: string;
  /** Header names (lower case) never to forward, beyond those the proxy never forwards anyway. */
  stripHeaders: string[];
}

/**
 * Reads a decision's obligations. The proxy masks the prompt and the completion and records
 * both on every request whatever the decision says, so `redact` only chooses the profile and
 * `record` asks for nothing more; `strip_headers` is honoured. Any other obligation (a custom
 * one) is one the proxy cannot fulfil: a {@link RequestDeniedError}, as the contract asks
 * (an obligation the caller does not understand is a deny).
 */
export function proxyObligations(
  obligations: readonly Obligation[],
  decisionId: string,
): ProxyObligations {
  const out: ProxyObligations = { promptProfile: "", completionProfile: "", stripHeaders: [] };
  for (const { kind } of obligations) {
    switch (kind.case) {
      case "redact": {
        const covers = (k: ContentKind) =>
          kind.value.kinds.length === 0 || kind.value.kinds.includes(k);
        if (covers(ContentKind.PROMPT)) out.promptProfile = kind.value.profile;
        if (covers(ContentKind.COMPLETION)) out.completionProfile = kind.value.profile;
        break;
      }
      case "record":
        break;
      case "stripHeaders":
        out.stripHeaders.push(...kind.value.headers.map((h) => h.toLowerCase()));
        break;
      default:
        throw new RequestDeniedError(
          `the decision carries an obligation the proxy cannot fulfil (${kind.case === "custom" ? kind.value.type : "unknown"}); denied`,
          decisionId,
        );
    }
  }
  return out;
}
