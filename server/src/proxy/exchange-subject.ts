import { create, type JsonObject } from "@bufbuild/protobuf";
import {
  ContentKind,
  type Principal,
  type RegisteredSecret,
  RegisteredSecretSchema,
  type Resource,
  ResourceSchema,
} from "../../../gen/vigil/v1/common_pb.js";
import {
  type AuthorizeRequest,
  AuthorizeRequestSchema,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import type { ApiName, RequestSummary } from "./llm-api.js";
import { BadRequestError } from "./proxy-errors.js";

/** Who and what one proxied exchange is about; every Vigil call of the exchange names it. */
export interface ExchangeSubject {
  principal: Principal;
  action: string;
  resource: Resource;
  sessionId: string;
  requestId: string;
  /** The upstream key and the caller's token: masked wherever they appear. */
  registeredSecrets: RegisteredSecret[];
}

/** What an exchange's subject is made from. */
export interface SubjectParts {
  api: ApiName;
  model: string;
  principal: Principal;
  /** The caller's proxy token. */
  callerToken: string;
  upstreamKey: string;
  sessionId: string;
  requestId: string;
  /** Attributes of the `llm` resource (`--attr`). */
  resourceAttributes: JsonObject;
}

/**
 * The subject of an exchange: action `llm.complete` on resource `llm` `<api>:<model>`. The
 * upstream key and the caller's own token are registered secrets on every Redact, RedactStream
 * and Record call, so neither passes even if a prompt or an answer (an upstream error message
 * quoting the key) carries it.
 */
export function exchangeSubject(parts: SubjectParts): ExchangeSubject {
  return {
    principal: parts.principal,
    action: "llm.complete",
    resource: create(ResourceSchema, {
      kind: "llm",
      id: `${parts.api}:${parts.model}`,
      attributes: parts.resourceAttributes,
    }),
    sessionId: parts.sessionId,
    requestId: parts.requestId,
    // Vigil refuses registered values under 8 characters (they would mask too much).
    registeredSecrets: [
      registered("UPSTREAM_API_KEY", parts.upstreamKey),
      registered("PROXY_CALLER_TOKEN", parts.callerToken),
    ].filter((s) => s.value.case === "text" && [...s.value.value].length >= 8),
  };
}

/** The fields every Redact and RedactStream call of the exchange carries. */
export function maskingFields(subject: ExchangeSubject) {
  const { registeredSecrets, principal, action, resource, sessionId } = subject;
  return { registeredSecrets, principal, action, resource, sessionId };
}

/**
 * The Authorize request for an exchange: each piece of prompt text as PROMPT content named by
 * where it sits (`messages[2].content`), and the API and stream flag as context.
 */
export function authorizeRequestOf(
  subject: ExchangeSubject,
  api: ApiName,
  summary: RequestSummary,
): AuthorizeRequest {
  return create(AuthorizeRequestSchema, {
    principal: subject.principal,
    action: subject.action,
    resource: subject.resource,
    contents: summary.prompt.map((p) => ({
      kind: ContentKind.PROMPT,
      name: p.name,
      body: { case: "text" as const, value: p.text },
    })),
    context: { via: "vigil proxy", api, stream: summary.stream },
    sessionId: subject.sessionId,
    requestId: subject.requestId,
  });
}

/** `x-vigil-session`: the caller's session id (an agent run), so its requests group together. */
const sessionPattern = /^[\w.:@/+=-]{1,128}$/;

/**
 * The session id a caller sent in `x-vigil-session`, undefined without one; a
 * {@link BadRequestError} for one that is not 1 to 128 safe characters.
 */
export function sessionIdOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== "string" || !sessionPattern.test(header)) {
    throw new BadRequestError("x-vigil-session must be 1 to 128 letters, digits or ._:@/+=-");
  }
  return header;
}

function registered(name: string, value: string): RegisteredSecret {
  return create(RegisteredSecretSchema, { name, value: { case: "text", value } });
}
