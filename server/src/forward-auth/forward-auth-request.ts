import type { JsonObject } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { PrincipalKind } from "../../../gen/vigil/v1/common_pb.js";
import {
  type AuthorizeRequest,
  AuthorizeRequestSchema,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import { InvalidInputError, UnauthenticatedError } from "../errors.js";

/** Reads one request header by its lower-case name. */
export type HeaderReader = (name: string) => string | undefined;

/** The subrequest as the proxy sent it. */
export interface ForwardedRequest {
  header: HeaderReader;
  /** The subrequest's own method (nginx and Envoy repeat the original one). */
  method: string;
  /** What follows the endpoint's path, e.g. Envoy's original path after `path_prefix`. */
  pathSuffix: string;
}

/** The headers a proxy sets, by role. Lower-case, as Node delivers them. */
export const forwardAuthHeaders = {
  principal: "x-vigil-principal",
  principalKind: "x-vigil-principal-kind",
  principalGroups: "x-vigil-principal-groups",
  action: "x-vigil-action",
  resource: "x-vigil-resource",
  resourceAttributes: "x-vigil-resource-attributes",
  secrets: "x-vigil-secrets",
  session: "x-vigil-session",
  approval: "x-vigil-approval",
  requestId: "x-request-id",
} as const;

const principalKinds: Record<string, PrincipalKind> = {
  user: PrincipalKind.USER,
  service: PrincipalKind.SERVICE,
  ci_job: PrincipalKind.CI_JOB,
  agent: PrincipalKind.AGENT,
};

const maxListItems = 64;

/**
 * Maps an `auth_request` / ForwardAuth / ext_authz subrequest to an Authorize request.
 *
 * The proxy states who and what with `X-Vigil-*` headers (it must set them itself, so a client
 * cannot); the original request's method, host and path come from the usual forwarding
 * headers and become the resource's attributes. The query string is never used: it can carry
 * credentials (`?api_key=`), and it would land in the audit trail.
 */
export function forwardAuthRequest(sub: ForwardedRequest): AuthorizeRequest {
  const h = forwardAuthHeaders;
  const principal = sub.header(h.principal)?.trim();
  if (!principal) {
    throw new UnauthenticatedError(
      "no principal: the proxy must set X-Vigil-Principal to the identity it authenticated",
    );
  }
  const kindName = (sub.header(h.principalKind) ?? "user").trim().toLowerCase();
  const kind = principalKinds[kindName];
  if (kind === undefined) {
    throw new InvalidInputError(
      "X-Vigil-Principal-Kind",
      `must be one of ${Object.keys(principalKinds).join(", ")}`,
    );
  }

  const method = (
    sub.header("x-original-method") ??
    sub.header("x-forwarded-method") ??
    sub.method
  ).toUpperCase();
  const uri =
    sub.header("x-original-uri") ?? sub.header("x-forwarded-uri") ?? (sub.pathSuffix || "/");
  const path = uri.split("?")[0] || "/";
  const host = (
    sub.header("x-original-host") ??
    sub.header("x-forwarded-host") ??
    sub.header("host") ??
    ""
  ).toLowerCase();
  const attributes: JsonObject = {
    ...keyValues(sub.header(h.resourceAttributes), "X-Vigil-Resource-Attributes"),
    method,
    host,
    path,
    ...(sub.header("x-forwarded-proto") ? { scheme: sub.header("x-forwarded-proto") ?? "" } : {}),
  };

  const named = sub.header(h.resource)?.trim();
  const separator = named ? named.indexOf(":") : -1;
  if (named && separator <= 0) {
    throw new InvalidInputError("X-Vigil-Resource", "must be KIND:ID, e.g. service:billing-api");
  }
  const resource = named
    ? { kind: named.slice(0, separator), id: named.slice(separator + 1), attributes }
    : { kind: "http", id: `${host}${path}`, attributes };

  return create(AuthorizeRequestSchema, {
    principal: {
      id: principal,
      kind,
      groups: list(sub.header(h.principalGroups), "X-Vigil-Principal-Groups"),
    },
    action: sub.header(h.action)?.trim() || "http.request",
    resource,
    secrets: list(sub.header(h.secrets), "X-Vigil-Secrets").map((name) => ({ name })),
    sessionId: sub.header(h.session)?.trim() ?? "",
    approvalId: sub.header(h.approval)?.trim() ?? "",
    requestId: sub.header(h.requestId)?.trim() ?? "",
  });
}

/** "a, b, c" → ["a", "b", "c"], at most {@link maxListItems}. */
function list(value: string | undefined, header: string): string[] {
  const items = (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  if (items.length > maxListItems) {
    throw new InvalidInputError(header, `lists more than ${maxListItems} items`);
  }
  return items;
}

/** "k=v, k2=v2" → { k: "v", k2: "v2" }. */
function keyValues(value: string | undefined, header: string): JsonObject {
  const out: JsonObject = {};
  for (const item of list(value, header)) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new InvalidInputError(header, "must be KEY=VALUE pairs separated by commas");
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}
