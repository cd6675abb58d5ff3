import { create } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { type AuditRecord, CallerSchema } from "../../../gen/vigil/v1/audit_pb.js";
import type { Authenticator } from "../auth/authenticator.js";
import { bearerToken, looksLikeJwt } from "../auth/bearer-token.js";
import type { Credentials, Identity } from "../auth/identity.js";
import type { Role } from "../auth/roles.js";
import { NotPermittedError, UnauthenticatedError } from "../errors.js";
import { accessRecord } from "./audit-records.js";
import { clientCertificateKey, grantedRolesKey, identityKey, peerAddressKey } from "./caller.js";
import { accessOf } from "./method-roles.js";

/** Options for {@link createAccessControlInterceptor}. */
export interface AccessControlOptions {
  /** Proves identities from bearer credentials and client certificates. */
  authenticator: Authenticator;
  /** Roles of a caller without a credential (see `AuthConfig.anonymousRoles`). */
  anonymousRoles: readonly Role[];
  /**
   * Appends the audit record of a refused call. A failed append is reported through `onError`;
   * the call is refused either way.
   */
  record: (record: AuditRecord) => Promise<unknown>;
  /** Counts refusals (`unauthenticated`, `permission_denied`). */
  onRefused?: (reason: "unauthenticated" | "permission_denied") => void;
  onError?: (error: unknown) => void;
}

/**
 * Authenticates every call and checks its method's roles (`method-roles.ts`) before it runs.
 * No credential where the anonymous roles do not suffice → `Unauthenticated`; a credential
 * that does not verify → `Unauthenticated` (never downgraded to anonymous); a verified
 * identity without a granting role → `PermissionDenied`. Each refusal is written to the audit
 * trail before the error goes back.
 */
export function createAccessControlInterceptor(options: AccessControlOptions): Interceptor {
  const refuse = async (
    error: UnauthenticatedError | NotPermittedError,
    rpc: string,
    peer: string,
    identity: Identity | undefined,
    attempted: string,
  ): Promise<never> => {
    const reason = error instanceof UnauthenticatedError ? "unauthenticated" : "permission_denied";
    options.onRefused?.(reason);
    const caller = create(CallerSchema, {
      id: identity?.id ?? "anonymous",
      method: identity?.method ?? attempted,
      roles: identity?.roles ?? [],
      groups: identity?.groups ?? [],
      peer,
    });
    await options.record(accessRecord(rpc, caller, reason, error.message)).catch(options.onError);
    throw error;
  };

  return (next) => async (request) => {
    const rpc = `${request.service.typeName}/${request.method.name}`;
    const peer = request.contextValues.get(peerAddressKey);
    const access = accessOf(request.service.typeName, request.method.name);
    if (access === "public") return next(request);

    let credentials: Credentials;
    let identity: Identity | undefined;
    try {
      credentials = credentialsOf(request.header, request.contextValues.get(clientCertificateKey));
      identity = await options.authenticator.authenticate(credentials);
    } catch (error) {
      if (!(error instanceof UnauthenticatedError)) throw error;
      return refuse(error, rpc, peer, undefined, attemptedMethod(request.header));
    }
    const roles = identity ? identity.roles : options.anonymousRoles;
    if (access === undefined || !access.some((role) => roles.includes(role))) {
      const needs =
        access === undefined ? "a role no one holds" : `one of the roles ${access.join(", ")}`;
      const error = identity
        ? new NotPermittedError(
            `${identity.id} may not call ${rpc}: it needs ${needs}, and holds ${roles.length > 0 ? roles.join(", ") : "no role"}`,
          )
        : new UnauthenticatedError(
            `${rpc} needs a credential (${needs}); send an Authorization: Bearer token or a client certificate`,
          );
      return refuse(error, rpc, peer, identity, "none");
    }
    request.contextValues.set(identityKey, identity);
    request.contextValues.set(grantedRolesKey, roles);
    return next(request);
  };
}

/** Reads the bearer credential and the client certificate of a call. */
function credentialsOf(header: Headers, certificate: Credentials["certificate"]): Credentials {
  const credentials: Credentials = {};
  const authorization = header.get("authorization");
  if (authorization !== null) {
    const token = bearerToken(authorization);
    if (token === undefined) {
      throw new UnauthenticatedError('the authorization header must be "Bearer <token>"');
    }
    credentials.bearer = token;
  }
  if (certificate) credentials.certificate = certificate;
  return credentials;
}

/** The kind of credential a refused call tried, for its audit record. */
function attemptedMethod(header: Headers): string {
  const authorization = header.get("authorization");
  if (authorization === null) return "mtls";
  const token = bearerToken(authorization);
  return token !== undefined && looksLikeJwt(token) ? "jwt" : "token";
}
