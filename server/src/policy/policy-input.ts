import type { JsonObject } from "@bufbuild/protobuf";
import type { Caller } from "../../../gen/vigil/v1/audit_pb.js";
import {
  type Content,
  ContentKind,
  type Principal,
  PrincipalKind,
  type Resource,
} from "../../../gen/vigil/v1/common_pb.js";
import type { AuthorizeRequest } from "../../../gen/vigil/v1/policy_service_pb.js";
import { InvalidInputError } from "../errors.js";

/** The document Rego sees as `input` for `vigil/authz/decision`. Documented in the README. */
export interface AuthorizeInput {
  caller: { id: string; method: string; roles: string[]; groups: string[]; peer: string };
  principal: PrincipalInput;
  action: string;
  resource: { kind: string; id: string; attributes: JsonObject };
  secrets: { name: string; store: string; labels: Record<string, string> }[];
  contents: ContentInput[];
  context: JsonObject;
  approval_id: string;
  /** The approved grant being redeemed, once Vigil has bound it to this request. */
  grant?: GrantInput;
  session_id: string;
  request_id: string;
  time: { unix_ms: number; rfc3339: string };
}

/** An approved grant as Rego sees it (`data.vigil.lib.grants`). */
export interface GrantInput {
  id: string;
  state: string;
  approvers: { id: string; group: string }[];
  expires_at_ns: number | undefined;
}

/** The principal part of the input document. */
export interface PrincipalInput {
  id: string;
  kind: string;
  groups: string[];
  attributes: JsonObject;
}

/** Content as Rego sees it: `text` for text, `json` parsed for JSON content. */
export interface ContentInput {
  kind: string;
  name: string;
  text?: string;
  json?: unknown;
}

/**
 * Shapes a validated Authorize request into the policy input document. Enum values become
 * short lower-case names (`PRINCIPAL_KIND_CI_JOB` → `ci_job`), absent structs become `{}`,
 * and JSON content is parsed so policies can walk it.
 */
export function buildAuthorizeInput(
  request: AuthorizeRequest,
  caller: Caller,
  now: Date,
): AuthorizeInput {
  return {
    caller: callerInput(caller),
    principal: principalInput(request.principal),
    action: request.action,
    resource: resourceInput(request.resource),
    secrets: request.secrets.map((s) => ({
      name: s.name,
      store: s.store,
      labels: { ...s.labels },
    })),
    contents: request.contents.map((c, i) => contentInput(c, `contents[${i}]`)),
    context: request.context ?? {},
    approval_id: request.approvalId,
    session_id: request.sessionId,
    request_id: request.requestId,
    time: { unix_ms: now.getTime(), rfc3339: now.toISOString() },
  };
}

/** The caller as Rego sees it, in Authorize and redact-plan inputs alike. */
export function callerInput(caller: Caller): AuthorizeInput["caller"] {
  return {
    id: caller.id,
    method: caller.method,
    roles: [...caller.roles],
    groups: [...caller.groups],
    peer: caller.peer,
  };
}

/** `PRINCIPAL_KIND_CI_JOB` → `ci_job`; the short names Rego policies compare against. */
export function principalKindName(kind: PrincipalKind): string {
  return (PrincipalKind[kind] ?? "unspecified").toLowerCase();
}

/** `CONTENT_KIND_TOOL_CALL` → `tool_call`. */
export function contentKindName(kind: ContentKind): string {
  return (ContentKind[kind] ?? "unspecified").toLowerCase();
}

/** The principal as Rego sees it; `{}`-shaped defaults when absent. */
export function principalInput(principal: Principal | undefined): PrincipalInput {
  return {
    id: principal?.id ?? "",
    kind: principalKindName(principal?.kind ?? PrincipalKind.UNSPECIFIED),
    groups: [...(principal?.groups ?? [])],
    attributes: principal?.attributes ?? {},
  };
}

/** The resource as Rego sees it; empty strings and `{}` when absent. */
export function resourceInput(resource: Resource | undefined): AuthorizeInput["resource"] {
  return {
    kind: resource?.kind ?? "",
    id: resource?.id ?? "",
    attributes: resource?.attributes ?? {},
  };
}

/**
 * Content as Rego sees it. Throws `InvalidInputError` naming `field` for JSON that does not
 * parse or a missing body.
 */
export function contentInput(
  content: Pick<Content, "kind" | "name" | "body">,
  field: string,
): ContentInput {
  const base = { kind: contentKindName(content.kind), name: content.name };
  switch (content.body.case) {
    case "text":
      return { ...base, text: content.body.value };
    case "json":
      try {
        return { ...base, json: JSON.parse(content.body.value) };
      } catch {
        throw new InvalidInputError(`${field}.json`, "is not valid JSON");
      }
    default:
      throw new InvalidInputError(field, "one of text or json is required");
  }
}
