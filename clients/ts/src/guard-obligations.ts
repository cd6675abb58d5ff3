import { ContentKind } from "../../../gen/vigil/v1/common_pb.js";
import type { Obligation } from "../../../gen/vigil/v1/obligation_pb.js";

/**
 * When `guard()` masks content: `always` (every outgoing content and every result, with the
 * profile of any redact obligation that covers its kind, else the plan's default), or
 * `obligated` (only what a redact obligation covers).
 */
export type RedactionMode = "always" | "obligated";

/**
 * The redact profiles to apply, in order, to content of `kind`: each distinct profile of the
 * redact obligations covering the kind (an obligation without kinds covers all). With none,
 * `always` masks once with the plan's default profile (`""`) and `obligated` not at all.
 *
 * Masking is the default even without an obligation because the content is leaving for a model,
 * a shell or a tool, and a policy that forgot an obligation should not let a pasted credential
 * through: a Redact call costs milliseconds, a leaked key a rotation and an incident.
 */
export function redactProfiles(
  obligations: readonly Obligation[],
  kind: ContentKind,
  mode: RedactionMode,
): string[] {
  const profiles: string[] = [];
  for (const obligation of obligations) {
    if (obligation.kind.case !== "redact") continue;
    const { kinds, profile } = obligation.kind.value;
    if (kinds.length > 0 && !kinds.includes(kind)) continue;
    if (!profiles.includes(profile)) profiles.push(profile);
  }
  if (profiles.length === 0 && mode === "always") profiles.push("");
  return profiles;
}

/**
 * The obligations `guard()` cannot honour itself: anything but `redact` (it masks) and `record`
 * (it records the request and the response), unless `accept` says the caller honours it.
 * Vigil's rule is that an obligation nobody honours is a deny.
 */
export function unhonouredObligations(
  obligations: readonly Obligation[],
  accept: (obligation: Obligation) => boolean = () => false,
): Obligation[] {
  return obligations.filter(
    (o) => o.kind.case !== "redact" && o.kind.case !== "record" && !accept(o),
  );
}

/** A short name of an obligation for messages, e.g. `strip_headers` or `custom:notify-owner`. */
export function obligationName(obligation: Obligation): string {
  switch (obligation.kind.case) {
    case "redact":
      return "redact";
    case "record":
      return "record";
    case "stripHeaders":
      return "strip_headers";
    case "custom":
      return `custom:${obligation.kind.value.type}`;
    default:
      return "unknown";
  }
}

/**
 * The kind of what comes back from an action on content of `kind`, which picks the redact plan
 * for the result: a prompt yields a completion (returning to the caller); a command, tool call
 * or SQL statement yields a tool result (which an agent feeds back to its model, so it is
 * masked as model input); anything else comes back as its own kind.
 */
export function defaultResultKind(kind: ContentKind): ContentKind {
  switch (kind) {
    case ContentKind.PROMPT:
      return ContentKind.COMPLETION;
    case ContentKind.COMMAND:
    case ContentKind.TOOL_CALL:
    case ContentKind.SQL:
      return ContentKind.TOOL_RESULT;
    default:
      return kind;
  }
}
