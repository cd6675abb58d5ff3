import {
  type Client,
  Code,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ApprovalService } from "../../../gen/vigil/v1/approval_pb.js";
import { AuditService } from "../../../gen/vigil/v1/audit_pb.js";
import { PolicyService } from "../../../gen/vigil/v1/policy_service_pb.js";

/** Exit code when the server cannot be reached: the caller must treat it as a deny. */
export const unreachableExitCode = 3;

/** The server address from `--server`, then `VIGIL_SERVER`, then the local default. */
export function serverUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? (env.VIGIL_SERVER || "http://127.0.0.1:8444");
}

/**
 * The Connect protocol over HTTP/1.1 (what proxies pass through), with a 30 s deadline for
 * unary calls (calls over the whole log lift it per call), and the API token, when given, as
 * a bearer credential.
 */
function serverTransport(baseUrl: string, token: string | undefined): Transport {
  const interceptors: Interceptor[] = token
    ? [
        (next) => (request) => {
          request.header.set("authorization", `Bearer ${token}`);
          return next(request);
        },
      ]
    : [];
  return createConnectTransport({
    baseUrl,
    httpVersion: "1.1",
    defaultTimeoutMs: 30_000,
    interceptors,
  });
}

/** A PolicyService client; `token` is an API token (`VIGIL_TOKEN`). */
export function policyClient(baseUrl: string, token?: string): Client<typeof PolicyService> {
  return createClient(PolicyService, serverTransport(baseUrl, token));
}

/** An AuditService client; `token` is an API token (`VIGIL_TOKEN`). */
export function auditClient(baseUrl: string, token?: string): Client<typeof AuditService> {
  return createClient(AuditService, serverTransport(baseUrl, token));
}

/** An ApprovalService client; `token` is an API token (`VIGIL_TOKEN`). */
export function approvalClient(baseUrl: string, token?: string): Client<typeof ApprovalService> {
  return createClient(ApprovalService, serverTransport(baseUrl, token));
}

/**
 * Whether the call failed for want of a working server (no answer, a timeout, or a server
 * that says it is unavailable), as opposed to the server refusing the request.
 */
export function isUnreachable(error: unknown): boolean {
  return (
    error instanceof ConnectError &&
    (error.code === Code.Unavailable || error.code === Code.DeadlineExceeded)
  );
}
