import { create } from "@bufbuild/protobuf";
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import { type Caller, CallerSchema } from "../../../gen/vigil/v1/audit_pb.js";

/** The remote address of the connection, set by the HTTP adapter for each request. */
export const peerAddressKey = createContextKey<string>("", { description: "peer address" });

/**
 * The authenticated caller of an RPC. Until caller authentication is configured every caller
 * is `anonymous` (and the server binds loopback by default); the peer address is recorded.
 */
export function callerOf(context: HandlerContext): Caller {
  return create(CallerSchema, {
    id: "anonymous",
    method: "none",
    roles: [],
    peer: context.values.get(peerAddressKey),
  });
}
