import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import {
  CallDeadlineError,
  ConfigError,
  ContentTooLargeError,
  InvalidInputError,
  LimitExceededError,
  NotFoundError,
  NotImplementedError,
  NotPermittedError,
  OverloadedError,
  PolicyLoadError,
  RedactionBlockedError,
  RedactionFailedError,
  RedactionTimeoutError,
  StoreUnavailableError,
  UnauthenticatedError,
  WrongStateError,
} from "../errors.js";
import type { Logger } from "../logging/logger.js";

/**
 * Maps a domain error to the Connect error a client sees. Unknown errors become `Internal`
 * with a generic message: their text may carry request data, so it goes to the log only.
 */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof InvalidInputError)
    return new ConnectError(error.message, Code.InvalidArgument);
  if (error instanceof NotImplementedError)
    return new ConnectError(error.message, Code.Unimplemented);
  if (error instanceof NotFoundError) return new ConnectError(error.message, Code.NotFound);
  if (error instanceof RedactionBlockedError || error instanceof NotPermittedError)
    return new ConnectError(error.message, Code.PermissionDenied);
  if (error instanceof UnauthenticatedError)
    return new ConnectError(error.message, Code.Unauthenticated);
  if (error instanceof WrongStateError)
    return new ConnectError(error.message, Code.FailedPrecondition);
  if (
    error instanceof OverloadedError ||
    error instanceof ContentTooLargeError ||
    error instanceof LimitExceededError
  )
    return new ConnectError(error.message, Code.ResourceExhausted);
  if (error instanceof RedactionTimeoutError || error instanceof CallDeadlineError)
    return new ConnectError(error.message, Code.DeadlineExceeded);
  if (error instanceof RedactionFailedError) return new ConnectError(error.message, Code.Internal);
  if (error instanceof StoreUnavailableError)
    return new ConnectError(error.message, Code.Unavailable);
  if (error instanceof PolicyLoadError || error instanceof ConfigError) {
    return new ConnectError(error.message, Code.FailedPrecondition);
  }
  return new ConnectError("internal error", Code.Internal);
}

/**
 * The one place domain errors become Connect errors, for every handler. Unary handlers fail
 * inside `next()`; streaming handlers fail later, while their messages are read, so the
 * response stream is wrapped too.
 */
export function createErrorMappingInterceptor(logger: Logger): Interceptor {
  const map = (error: unknown, procedure: string): ConnectError => {
    const mapped = toConnectError(error);
    if (mapped.code === Code.Internal && !(error instanceof ConnectError)) {
      logger.error(
        { procedure, err: error instanceof Error ? error.stack : String(error) },
        "unhandled error in handler",
      );
    }
    return mapped;
  };
  return (next) => async (request) => {
    const procedure = request.method.name;
    let response: Awaited<ReturnType<typeof next>>;
    try {
      response = await next(request);
    } catch (error) {
      throw map(error, procedure);
    }
    if (!response.stream) return response;
    const messages = response.message;
    return {
      ...response,
      message: (async function* () {
        try {
          yield* messages;
        } catch (error) {
          throw map(error, procedure);
        }
      })(),
    };
  };
}
