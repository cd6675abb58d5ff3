import { create } from "@bufbuild/protobuf";
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import { type Caller, CallerSchema } from "../../../gen/vigil/v1/audit_pb.js";
import type { ClientCertificate, Identity } from "../auth/identity.js";

/** The remote address of the connection, set by the HTTP adapter for each request. */
export const peerAddressKey = createContextKey<string>("", { description: "peer address" });

/** The TLS client certificate of the connection, set by the HTTP adapter when there is one. */
export const clientCertificateKey = createContextKey<ClientCertificate | undefined>(undefined, {
  description: "client certificate",
});

/** The authenticated identity of the current call; undefined for an anonymous caller. */
export const identityKey = createContextKey<Identity | undefined>(undefined, {
  description: "authenticated identity",
});

/** The roles the current call runs with: the identity's, or the anonymous roles. */
export const grantedRolesKey = createContextKey<readonly string[]>([], {
  description: "granted roles",
});

/**
 * The caller of an RPC: the identity its credential proved, or `anonymous` without one, with
 * the roles access control granted; the peer address is recorded either way.
 */
export function callerOf(context: HandlerContext): Caller {
  const identity = context.values.get(identityKey);
  return create(CallerSchema, {
    id: identity?.id ?? "anonymous",
    method: identity?.method ?? "none",
    roles: [...context.values.get(grantedRolesKey)],
    groups: identity?.groups ?? [],
    peer: context.values.get(peerAddressKey),
  });
}
