import { create } from "@bufbuild/protobuf";
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import { type Caller, CallerSchema } from "../../../gen/vigil/v1/audit_pb.js";
import { identityKey } from "./authentication.js";

/** The remote address of the connection, set by the HTTP adapter for each request. */
export const peerAddressKey = createContextKey<string>("", { description: "peer address" });

/**
 * The caller of an RPC: the identity its credential proved, or `anonymous` without one (the
 * server binds loopback by default); the peer address is recorded either way.
 */
export function callerOf(context: HandlerContext): Caller {
  const identity = context.values.get(identityKey);
  return create(CallerSchema, {
    id: identity?.id ?? "anonymous",
    method: identity?.method ?? "none",
    roles: identity?.roles ?? [],
    groups: identity?.groups ?? [],
    peer: context.values.get(peerAddressKey),
  });
}
