import { createHash } from "node:crypto";
import type { JsonObject } from "@bufbuild/protobuf";
import type { Principal, Resource, SecretRef } from "../../../gen/vigil/v1/common_pb.js";
import { canonicalJson } from "../policy/canonical-json.js";

/** Content as an approval keeps it: already masked, never the raw text. */
export interface MaskedContent {
  /** Short kind name, e.g. `prompt`, `command`. */
  kind: string;
  name: string;
  /** The masked body, or a note that the policy withheld it. */
  text: string;
}

/** The request an approval is for: what the action digest binds. */
export interface ApprovalSubject {
  principal: Principal | undefined;
  action: string;
  resource: Resource | undefined;
  secrets: readonly SecretRef[];
  contents: readonly MaskedContent[];
}

/**
 * Hex SHA-256 over the canonical JSON of who, what, on what, with which secrets, a digest of
 * the masked content and the policy revision: an approval is redeemable only for a request
 * with the same digest. The content enters masked, so the digest cannot be used to guess a
 * secret offline, and secrets enter by reference (name, store, labels), never by value.
 */
export function actionDigest(subject: ApprovalSubject, policyRevision: string): string {
  const doc = {
    principal: { id: subject.principal?.id ?? "", kind: subject.principal?.kind ?? 0 },
    action: subject.action,
    resource: {
      kind: subject.resource?.kind ?? "",
      id: subject.resource?.id ?? "",
      attributes: (subject.resource?.attributes ?? {}) as JsonObject,
    },
    secrets: subject.secrets
      .map((s) => ({ name: s.name, store: s.store, labels: { ...s.labels } }))
      .sort((a, b) => compare(`${a.name}\u0000${a.store}`, `${b.name}\u0000${b.store}`)),
    content: sha256(JSON.stringify(subject.contents.map((c) => [c.kind, c.name, c.text]))),
    policy_revision: policyRevision,
  };
  return sha256(canonicalJson(Buffer.from(JSON.stringify(doc))));
}

/** What a reviewer reads: each content item, masked, under its kind and name. */
export function contentPreview(contents: readonly MaskedContent[], maxChars = 4000): string {
  const text = contents
    .map((c) => `[${c.kind}${c.name ? ` ${c.name}` : ""}]\n${c.text}`)
    .join("\n\n");
  return text.length > maxChars
    ? `${text.slice(0, maxChars)}\n… (${text.length - maxChars} more characters)`
    : text;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
