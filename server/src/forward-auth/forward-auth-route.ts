import type * as http from "node:http";
import type * as http2 from "node:http2";
import { codeToHttpStatus, codeToString } from "@connectrpc/connect/protocol-connect";
import { Decision } from "../../../gen/vigil/v1/common_pb.js";
import type { AuthorizeResponse } from "../../../gen/vigil/v1/policy_service_pb.js";
import { toConnectError } from "../rpc/error-mapping.js";
import type { InProcessAuthorize } from "../rpc/in-process-authorize.js";
import type { HttpRoute } from "../server/http-route.js";
import { forwardAuthRequest } from "./forward-auth-request.js";

/** Options for {@link createForwardAuthRoute}. */
export interface ForwardAuthRouteOptions {
  /** Authorize, run through the server's own interceptors. */
  authorize: InProcessAuthorize;
  /** Where the endpoint listens; longer paths are accepted too (Envoy appends the original path). Default `/authz/forward`. */
  path?: string;
}

const decisionNames: Record<Decision, string> = {
  [Decision.UNSPECIFIED]: "deny",
  [Decision.ALLOW]: "allow",
  [Decision.DENY]: "deny",
  [Decision.REQUIRE_APPROVAL]: "require_approval",
};

/**
 * The endpoint for nginx `auth_request`, Traefik ForwardAuth and Envoy's HTTP `ext_authz`:
 * it maps the subrequest's headers to an Authorize request (see `forward-auth-request.ts`) and
 * answers 200 for allow, 403 for deny or a pending approval, 401 when the proxy named no
 * principal. Any other failure answers 4xx/5xx, which these proxies treat as a refusal too, so
 * a broken policy or an unreachable audit log never lets a request through.
 */
export function createForwardAuthRoute(options: ForwardAuthRouteOptions): HttpRoute {
  const base = options.path ?? "/authz/forward";
  return (req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (path !== base && !path.startsWith(`${base}/`)) return false;
    // The decision never depends on the body; nginx sends none, others may.
    req.resume();
    void answer(options.authorize, req, res as http.ServerResponse, path.slice(base.length));
    return true;
  };
}

async function answer(
  authorize: InProcessAuthorize,
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse,
  pathSuffix: string,
): Promise<void> {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  };
  const hangUp = new AbortController();
  res.once("close", () => hangUp.abort());
  try {
    const request = forwardAuthRequest({ header, method: req.method ?? "GET", pathSuffix });
    const decision = await authorize(request, {
      token: header("x-vigil-token"),
      peer: req.socket?.remoteAddress ?? "",
      signal: hangUp.signal,
    });
    send(res, decision.decision === Decision.ALLOW ? 200 : 403, decisionHeaders(decision), {
      decision: decisionNames[decision.decision],
      decisionId: decision.decisionId,
      reasons: decision.reasons.map((r) => ({ code: r.code, message: r.message })),
      ...(decision.approval ? { approvalId: decision.approval.id } : {}),
    });
  } catch (error) {
    if (hangUp.signal.aborted) return;
    const connectError = toConnectError(error);
    // The Connect protocol's status for the code: Unauthenticated 401, PermissionDenied 403,
    // InvalidArgument 400, Unavailable 503, …
    send(
      res,
      codeToHttpStatus(connectError.code),
      { "x-vigil-decision": "deny" },
      {
        decision: "deny",
        code: codeToString(connectError.code),
        message: connectError.rawMessage,
      },
    );
  }
}

function decisionHeaders(decision: AuthorizeResponse): Record<string, string> {
  const headers: Record<string, string> = {
    "x-vigil-decision": decisionNames[decision.decision],
    "x-vigil-decision-id": decision.decisionId,
  };
  if (decision.reasons.length > 0) {
    headers["x-vigil-reasons"] = decision.reasons.map((r) => r.code).join(", ");
  }
  if (decision.approval) headers["x-vigil-approval-id"] = decision.approval.id;
  return headers;
}

function send(
  res: http.ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Record<string, unknown>,
): void {
  if (res.headersSent || res.destroyed) return;
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
