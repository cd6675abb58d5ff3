import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuditService } from "../../../gen/vigil/v1/audit_pb.js";
import { PolicyService } from "../../../gen/vigil/v1/policy_service_pb.js";

/** Exit code when the server cannot be reached: the caller must treat it as a deny. */
export const unreachableExitCode = 3;

/** The server address from `--server`, then `VIGIL_SERVER`, then the local default. */
export function serverUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? (env.VIGIL_SERVER || "http://127.0.0.1:8444");
}

/** A PolicyService client over the Connect protocol (HTTP/1.1, what proxies pass through). */
export function policyClient(baseUrl: string): Client<typeof PolicyService> {
  return createClient(
    PolicyService,
    createConnectTransport({ baseUrl, httpVersion: "1.1", defaultTimeoutMs: 30_000 }),
  );
}

/**
 * An AuditService client over the Connect protocol (HTTP/1.1). Unary calls get the same 30 s
 * deadline as policy calls; calls over the whole log (export, verify) lift it per call.
 */
export function auditClient(baseUrl: string): Client<typeof AuditService> {
  return createClient(
    AuditService,
    createConnectTransport({ baseUrl, httpVersion: "1.1", defaultTimeoutMs: 30_000 }),
  );
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
