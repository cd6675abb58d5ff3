import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import {
  type AuthorizeBatchRequest,
  type AuthorizeBatchResponse,
  AuthorizeBatchResponseSchema,
  AuthorizeBatchResultSchema,
  type AuthorizeRequest,
  type AuthorizeResponse,
  type BatchError,
  BatchErrorSchema,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import { AuditOverloadedError, InvalidInputError, StoreUnavailableError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import { toConnectError } from "./error-mapping.js";

/** Dependencies of {@link createAuthorizeBatchCall}. */
export interface AuthorizeBatchCallDeps {
  /** The Authorize handler (`createAuthorizeCall`), run once per request of the batch. */
  authorize: (request: AuthorizeRequest, context: HandlerContext) => Promise<AuthorizeResponse>;
  /** Where unexpected errors are logged, as the error-mapping interceptor logs them. */
  logger: Logger;
}

/**
 * Whether an item's failure fails the whole batch: the audit or approval store refusing. The
 * other items' decisions may be unrecorded or about to fail the same way, so the caller gets
 * the store's error (`Unavailable`, `ResourceExhausted`) and retries, never decisions beside a
 * gap in the audit trail.
 */
export function failsWholeBatch(error: unknown): boolean {
  return error instanceof StoreUnavailableError || error instanceof AuditOverloadedError;
}

/**
 * The AuthorizeBatch handler: each request is decided by the Authorize handler itself, so it
 * gets its own decision id, approval and durable audit record. They run concurrently, so their
 * appends share group commits, and the answer keeps request order. A request Authorize would
 * refuse becomes that result's `BatchError` with Authorize's code and message; the batch size
 * and the rate limit are enforced before the handler (`batch-size.ts`, `call-limits.ts`).
 */
export function createAuthorizeBatchCall(deps: AuthorizeBatchCallDeps) {
  const { authorize, logger } = deps;

  /** The error Authorize would have answered, as a result; logged when it is a bug. */
  const failed = (error: unknown, index: number): BatchError => {
    const mapped = toConnectError(error);
    if (mapped.code === Code.Internal && !(error instanceof ConnectError)) {
      const err = error instanceof Error ? error.stack : String(error);
      logger.error({ procedure: "AuthorizeBatch", item: index, err }, "unhandled error in handler");
    }
    return create(BatchErrorSchema, {
      code: codeToString(mapped.code),
      message: mapped.rawMessage,
    });
  };

  return async (
    request: AuthorizeBatchRequest,
    context: HandlerContext,
  ): Promise<AuthorizeBatchResponse> => {
    if (request.requests.length === 0) {
      throw new InvalidInputError("requests", "is empty; send at least one request");
    }
    // Every item settles before the answer, so none is still deciding or writing after it.
    const settled = await Promise.allSettled(request.requests.map((r) => authorize(r, context)));
    const refusal = settled.find((s) => s.status === "rejected" && failsWholeBatch(s.reason));
    if (refusal?.status === "rejected") throw refusal.reason;
    return create(AuthorizeBatchResponseSchema, {
      results: settled.map((s, i) =>
        create(AuthorizeBatchResultSchema, {
          result:
            s.status === "fulfilled"
              ? { case: "response", value: s.value }
              : { case: "error", value: failed(s.reason, i) },
        }),
      ),
    });
  };
}
