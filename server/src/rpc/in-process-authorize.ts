import {
  type ConnectRouter,
  createClient,
  createRouterTransport,
  type Interceptor,
} from "@connectrpc/connect";
import {
  type AuthorizeRequest,
  type AuthorizeResponse,
  PolicyService,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import { peerAddressKey } from "./caller.js";

/** Who is calling, for an in-process Authorize. */
export interface InProcessCall {
  /** The caller's API token, checked like an RPC's bearer token. Default: anonymous. */
  token?: string | undefined;
  /** The remote address of the connection the call came in on. */
  peer: string;
  /** Aborts the call (e.g. the proxy hung up). */
  signal?: AbortSignal;
}

/** An Authorize call made inside the server for an HTTP endpoint. */
export type InProcessAuthorize = (
  request: AuthorizeRequest,
  call: InProcessCall,
) => Promise<AuthorizeResponse>;

// Only the in-process transport reads this header, so a network client cannot set its peer.
const peerHeader = "vigil-in-process-peer";

/**
 * Authorize through the server's own routes and interceptors, in memory: a plain HTTP endpoint
 * (nginx `auth_request`) gets exactly what an RPC gets (validation, authentication, error
 * mapping, approvals, the audit record) without a second code path.
 */
export function createInProcessAuthorize(
  routes: (router: ConnectRouter) => void,
  interceptors: Interceptor[],
): InProcessAuthorize {
  const peer: Interceptor = (next) => (request) => {
    request.contextValues.set(peerAddressKey, request.header.get(peerHeader) ?? "");
    request.header.delete(peerHeader);
    return next(request);
  };
  const client = createClient(
    PolicyService,
    createRouterTransport(routes, { router: { interceptors: [peer, ...interceptors] } }),
  );
  return (request, call) => {
    const headers: Record<string, string> = { [peerHeader]: call.peer };
    if (call.token) headers.authorization = `Bearer ${call.token}`;
    return client.authorize(request, { headers, ...(call.signal ? { signal: call.signal } : {}) });
  };
}
