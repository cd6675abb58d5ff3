import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { CallDeadlineError } from "../errors.js";

/** Options for {@link createCallDeadlineInterceptor}. */
export interface CallDeadlineOptions {
  /**
   * Deadline of a unary call that sends none, and the cap on one it sends, in milliseconds.
   * 0 = only the client's deadline. Default 60000.
   */
  timeoutMs?: number;
  /** Counts calls cut by the server's deadline (`request_timeout`). */
  onRefused?: (limit: string) => void;
}

/**
 * Ends unary calls at the server's deadline with `DeadlineExceeded`, or sooner at the client's
 * own (`grpc-timeout`, `connect-timeout-ms`, which Connect turns into the call's signal). The
 * handler gets a signal that aborts at whichever comes first, so work that watches
 * `context.signal` stops there; work that does not runs on unanswered, and the slots of the
 * call limits (inside this interceptor) stay taken until it has ended, so it still counts.
 *
 * Streams get no server deadline: `WatchApproval` and `Health/Watch` are meant to stay open
 * until something changes, `ExportRecords` of a large log and a `RedactStream` following an
 * LLM answer may rightly take minutes, and a `RecordStream` lasts as long as its session.
 * Their client's deadline still applies, and the per-caller and in-flight limits bound how
 * many a caller and the server hold. Connect's own `maxTimeoutMs` is not used: it refuses a
 * longer client deadline with `InvalidArgument` instead of capping it.
 */
export function createCallDeadlineInterceptor(options: CallDeadlineOptions = {}): Interceptor {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return (next) => async (request) => {
    if (request.stream) return next(request);
    const client = request.signal;
    const deadline = new AbortController();
    let reject: (reason: unknown) => void = () => undefined;
    const cutShort = new Promise<never>((_, rejectWith) => {
      reject = rejectWith;
    });
    const stop = (reason: unknown) => {
      deadline.abort(reason);
      reject(reason);
    };
    const onClientAbort = () => stop(ConnectError.from(client.reason));
    if (client.aborted) onClientAbort();
    else client.addEventListener("abort", onClientAbort, { once: true });
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            options.onRefused?.("request_timeout");
            stop(new CallDeadlineError(timeoutMs));
          }, timeoutMs)
        : undefined;
    const work = next({ ...request, signal: deadline.signal });
    // The call may still fail after it was answered with DeadlineExceeded; that is not news.
    work.catch(() => undefined);
    try {
      return await Promise.race([work, cutShort]);
    } finally {
      // Unlinked once answered: the handler's work is over, and Connect aborting every finished
      // call's signal would otherwise build an error per call that nobody reads.
      clearTimeout(timer);
      client.removeEventListener("abort", onClientAbort);
    }
  };
}
