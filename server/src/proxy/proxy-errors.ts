/**
 * Why the proxy answered a request itself instead of relaying the model's answer. Each error
 * carries the HTTP status the caller gets and a stable code; {@link LlmApi.errorBody} turns it
 * into the provider's error JSON. Messages never hold a secret, a prompt or a token: they are
 * sent to the caller and logged.
 */
export class ProxyError extends Error {
  override name = "ProxyError";
  constructor(
    /** HTTP status for the caller. */
    readonly status: number,
    /** Stable machine-readable code, e.g. `vigil_unavailable`; sent as the error's `code`. */
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** 401: the caller sent no credential, or one the callers file does not list. */
export class CallerUnauthenticatedError extends ProxyError {
  override name = "CallerUnauthenticatedError";
  constructor(message: string) {
    super(401, "invalid_api_key", message);
  }
}

/** 400: the body is not JSON, or not a request this proxy can enforce policy on. */
export class BadRequestError extends ProxyError {
  override name = "BadRequestError";
  constructor(message: string, options?: ErrorOptions) {
    super(400, "invalid_request", message, options);
  }
}

/** 404: the proxy relays one endpoint per API, nothing else. */
export class RouteNotFoundError extends ProxyError {
  override name = "RouteNotFoundError";
  constructor(method: string, path: string, allowed: string) {
    super(404, "not_found", `vigil proxy relays only POST ${allowed}, not ${method} ${path}`);
  }
}

/** 413: the request body is over `--max-body-bytes`, or over what Vigil masks. */
export class BodyTooLargeError extends ProxyError {
  override name = "BodyTooLargeError";
  constructor(message: string, options?: ErrorOptions) {
    super(413, "request_too_large", message, options);
  }
}

/** 403: the policy denied the request, an approval was not granted, or the plan refused it. */
export class RequestDeniedError extends ProxyError {
  override name = "RequestDeniedError";
  constructor(
    message: string,
    /** The decision (or redaction) that denied, for the caller's support ticket. */
    readonly decisionId = "",
    options?: ErrorOptions,
  ) {
    super(403, "denied_by_policy", message, options);
  }
}

/** 503: Vigil could not be asked or could not mask; the request is not forwarded (fail closed). */
export class VigilUnavailableError extends ProxyError {
  override name = "VigilUnavailableError";
  constructor(message: string, options?: ErrorOptions) {
    super(503, "vigil_unavailable", message, options);
  }
}

/** 502: the upstream could not be reached, or answered something that cannot be relayed. */
export class UpstreamFailedError extends ProxyError {
  override name = "UpstreamFailedError";
  constructor(message: string, options?: ErrorOptions) {
    super(502, "upstream_error", message, options);
  }
}

/** 504: the upstream sent nothing for `--upstream-timeout` seconds. */
export class UpstreamTimeoutError extends ProxyError {
  override name = "UpstreamTimeoutError";
  constructor(timeoutMs: number) {
    super(504, "upstream_timeout", `the upstream sent nothing for ${timeoutMs / 1000}s`);
  }
}

/** The caller went away; nothing more is sent and the upstream request is aborted. */
export class CallerClosedError extends ProxyError {
  override name = "CallerClosedError";
  constructor() {
    // 499 is nginx's "client closed request": logged, never sent.
    super(499, "caller_closed", "the caller closed the connection");
  }
}
