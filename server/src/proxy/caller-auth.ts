import type { IncomingHttpHeaders } from "node:http";
import { create } from "@bufbuild/protobuf";
import { type Principal, PrincipalKind, PrincipalSchema } from "../../../gen/vigil/v1/common_pb.js";
import type { TokenAuthenticator } from "../auth/api-tokens.js";
import { bearerToken } from "../auth/bearer-token.js";
import { UnauthenticatedError } from "../errors.js";
import { CallerUnauthenticatedError } from "./proxy-errors.js";

/** An authenticated caller: the principal Authorize sees, and the token it presented. */
export interface ProxyCaller {
  principal: Principal;
  /** Registered with every Redact and Record call, so a caller's own token never passes. */
  token: string;
}

/** Roles in the callers file that name the principal's kind. */
const kindRoles = new Map<string, PrincipalKind>([
  ["agent", PrincipalKind.AGENT],
  ["user", PrincipalKind.USER],
  ["service", PrincipalKind.SERVICE],
  ["ci_job", PrincipalKind.CI_JOB],
]);

/**
 * The token a caller presented: `x-api-key` (what Anthropic SDKs send), else
 * `Authorization: Bearer` (what OpenAI SDKs send). Either works with either API.
 */
export function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const apiKey = headers["x-api-key"];
  if (typeof apiKey === "string" && apiKey.trim() !== "") return apiKey.trim();
  return bearerToken(headers.authorization);
}

/**
 * The principal for a callers-file identity: its id and groups, and the kind its roles name
 * (`agent`, `user`, `service` or `ci_job`, the first that appears); an agent when no role names
 * one, since what calls an LLM through this proxy is usually an agent.
 */
export function principalOf(identity: {
  id: string;
  roles: string[];
  groups: string[];
}): Principal {
  const kind = identity.roles.map((r) => kindRoles.get(r)).find((k) => k !== undefined);
  return create(PrincipalSchema, {
    id: identity.id,
    kind: kind ?? PrincipalKind.AGENT,
    groups: identity.groups,
  });
}

/**
 * Authenticates a request against the callers file; a {@link CallerUnauthenticatedError} (401)
 * when it carries no token or one the file does not list.
 */
export function authenticateCaller(
  headers: IncomingHttpHeaders,
  callers: TokenAuthenticator,
): ProxyCaller {
  const token = presentedToken(headers);
  if (token === undefined) {
    throw new CallerUnauthenticatedError(
      "no credential: send your proxy token as Authorization: Bearer or x-api-key",
    );
  }
  try {
    return { principal: principalOf(callers.authenticate(token)), token };
  } catch (error) {
    if (error instanceof UnauthenticatedError) {
      throw new CallerUnauthenticatedError("the token is not one this proxy accepts");
    }
    throw error;
  }
}
