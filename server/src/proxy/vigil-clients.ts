import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ApprovalService } from "../../../gen/vigil/v1/approval_pb.js";
import { PolicyService } from "../../../gen/vigil/v1/policy_service_pb.js";

/** Options for {@link createVigilClients}. */
export interface VigilClientsOptions {
  /** The Vigil server, e.g. `http://127.0.0.1:8444`. Required. */
  baseUrl: string;
  /** The proxy's own API token (`VIGIL_TOKEN`), sent as a bearer credential. Default: none. */
  token?: string | undefined;
}

/** The Vigil clients the proxy calls, over one HTTP/2 connection. */
export interface VigilClients {
  policy: Client<typeof PolicyService>;
  approvals: Client<typeof ApprovalService>;
  /** Closes the connection (at shutdown), failing any call still open. */
  close(): void;
}

/**
 * Creates the proxy's Vigil clients: the Connect protocol over HTTP/2 (h2c for `http:`), which
 * RedactStream needs because it is bidirectional. One session manager carries every call, so
 * shutdown can close the connection and let the process exit. Callers set deadlines per call:
 * unary calls get the proxy's Vigil timeout, streams live as long as the answer they mask.
 */
export function createVigilClients(options: VigilClientsOptions): VigilClients {
  const { token } = options;
  const interceptors: Interceptor[] = token
    ? [
        (next) => (request) => {
          request.header.set("authorization", `Bearer ${token}`);
          return next(request);
        },
      ]
    : [];
  const sessionManager = new Http2SessionManager(options.baseUrl);
  const transport = createConnectTransport({
    baseUrl: options.baseUrl,
    httpVersion: "2",
    sessionManager,
    interceptors,
  });
  return {
    policy: createClient(PolicyService, transport),
    approvals: createClient(ApprovalService, transport),
    close: () => sessionManager.abort(),
  };
}
