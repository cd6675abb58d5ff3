import { isMessage, type Message } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { AuthorizeBatchRequestSchema } from "../../../gen/vigil/v1/policy_service_pb.js";
import { LimitExceededError } from "../errors.js";

/** Options for {@link createBatchSizeInterceptor}. */
export interface BatchSizeOptions {
  /** Most requests one AuthorizeBatch may carry. Default 256. */
  maxBatchSize?: number;
  /** Counts refusals (`batch_size`). */
  onRefused?: (limit: string) => void;
}

/** The number of requests in an AuthorizeBatch message; `undefined` for any other message. */
export function batchSizeOf(message: Message): number | undefined {
  return isMessage(message, AuthorizeBatchRequestSchema) ? message.requests.length : undefined;
}

/**
 * Refuses an AuthorizeBatch carrying more than `maxBatchSize` requests, before the per-caller
 * limits charge it and before any of them is decided: one call must not queue unbounded
 * policy evaluations and audit appends. Over the limit → {@link LimitExceededError},
 * `ResourceExhausted`, like every other request limit.
 */
export function createBatchSizeInterceptor(options: BatchSizeOptions = {}): Interceptor {
  const maxBatchSize = options.maxBatchSize ?? 256;
  return (next) => async (request) => {
    const size = request.stream ? undefined : batchSizeOf(request.message);
    if (size !== undefined && size > maxBatchSize) {
      options.onRefused?.("batch_size");
      throw new LimitExceededError({
        limit: "batch_size",
        subject: `this batch of ${size} requests`,
        description: "batch size limit",
        value: `${maxBatchSize} requests`,
        flag: "--max-batch-size",
        advice: "split the batch",
      });
    }
    return next(request);
  };
}
