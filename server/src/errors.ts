/**
 * Domain errors. They carry no secret values in their messages and are mapped to
 * `ConnectError` codes in one place, at the RPC edge (`rpc/error-mapping.ts`).
 */

/** Base class for every error Vigil raises on purpose. */
export class VigilError extends Error {
  override name = "VigilError";
}

/** A request field is missing or malformed. `field` is the proto path, e.g. `principal.id`. */
export class InvalidInputError extends VigilError {
  override name = "InvalidInputError";
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** A feature that the contract defines but this build does not provide yet. */
export class NotImplementedError extends VigilError {
  override name = "NotImplementedError";
}

/** A policy bundle could not be compiled, read or loaded. */
export class PolicyLoadError extends VigilError {
  override name = "PolicyLoadError";
}

/**
 * A policy bundle could not be downloaded: an unexpected HTTP status, a network error, a
 * timeout or an oversized body. `location` must already be safe to show (no userinfo, no
 * query), because the message goes to logs and to status.
 */
export class BundleFetchError extends PolicyLoadError {
  override name = "BundleFetchError";
  /** The HTTP status when the server answered with an unexpected one. */
  readonly status: number | undefined;
  constructor(
    readonly location: string,
    readonly problem: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(
      `fetching bundle from ${location} failed: ${problem}`,
      "cause" in options ? { cause: options.cause } : undefined,
    );
    this.status = options.status;
  }
}

/**
 * A bundle failed signature verification: it is unsigned, its `.signatures.json` is malformed or
 * not signed by the configured key, or its files differ from the ones the signature lists.
 */
export class BundleSignatureError extends PolicyLoadError {
  override name = "BundleSignatureError";
}

/** The audit store cannot accept writes; callers must treat the request as denied. */
export class StoreUnavailableError extends VigilError {
  override name = "StoreUnavailableError";
}

/**
 * The audit store on disk is damaged (truncated, overwritten, half deleted). Vigil refuses to
 * start rather than create a new empty log over the evidence.
 */
export class StoreCorruptedError extends VigilError {
  override name = "StoreCorruptedError";
}

/** The thing a request names does not exist (an audit record id, an approval). */
export class NotFoundError extends VigilError {
  override name = "NotFoundError";
}

/** The caller may not do this (decide its own request, act outside its reviewer groups). */
export class NotPermittedError extends VigilError {
  override name = "NotPermittedError";
}

/** The caller presented a credential Vigil does not accept (unknown, malformed, revoked). */
export class UnauthenticatedError extends VigilError {
  override name = "UnauthenticatedError";
}

/**
 * The request is valid but the thing it acts on is in the wrong state: an approval already
 * decided, expired or voted on by this reviewer.
 */
export class WrongStateError extends VigilError {
  override name = "WrongStateError";
}

/**
 * Quotes text taken from untrusted input (a file name in a bundle, a claim) for an error message:
 * JSON quoting keeps a crafted value from forging log lines, and a long one is cut short.
 */
export function quoteUntrusted(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

/** Returns a loggable message for anything thrown, including the plain strings opa-wasm throws. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  return String(error);
}

/** The server configuration (flags or `VIGIL_*` variables) is invalid. */
export class ConfigError extends VigilError {
  override name = "ConfigError";
}

/** A policy evaluation failed (a Wasm trap, a conflict, memory exhausted). Becomes a deny. */
export class PolicyEvaluationError extends VigilError {
  override name = "PolicyEvaluationError";
}

/** More work is waiting than Vigil accepts; the caller should retry later. */
export class OverloadedError extends VigilError {
  override name = "OverloadedError";
}

/** More audit appends are waiting for the disk than the store accepts; nothing was written. */
export class AuditOverloadedError extends OverloadedError {
  override name = "AuditOverloadedError";
}

/** More evaluations are waiting than the worker pool accepts; the caller should retry later. */
export class PolicyOverloadedError extends OverloadedError {
  override name = "PolicyOverloadedError";
}

/** A content item is larger than the server masks; refused whole, never passed through. */
export class ContentTooLargeError extends VigilError {
  override name = "ContentTooLargeError";
  constructor(
    readonly field: string,
    readonly bytes: number,
    readonly limit: number,
    /** Which limit, as the operator or client knows it. */
    limitName = "the redaction limit (server flag --redact-max-bytes)",
  ) {
    super(`${field}: ${bytes} bytes is over ${limitName} of ${limit} bytes; split the content`);
  }
}

/** Masking did not finish in time. The content is not returned, masked or otherwise. */
export class RedactionTimeoutError extends VigilError {
  override name = "RedactionTimeoutError";
  constructor(
    readonly field: string,
    readonly timeoutMs: number,
  ) {
    super(
      `${field}: masking did not finish within ${timeoutMs} ms (server flag --redact-timeout-ms); nothing was returned`,
    );
  }
}

/** Masking failed for a reason other than the input (a crashed worker, a detector fault). */
export class RedactionFailedError extends VigilError {
  override name = "RedactionFailedError";
  constructor(
    readonly field: string,
    options?: ErrorOptions,
  ) {
    super(`${field}: redaction failed; nothing was returned`, options);
  }
}

/** The redact plan refuses this content outright (e.g. a private key bound for an external LLM). */
export class RedactionBlockedError extends VigilError {
  override name = "RedactionBlockedError";
  constructor(readonly reasons: { code: string; message: string }[]) {
    super(
      `content refused by the redact plan: ${reasons.map((r) => r.code).join(", ") || "blocked"}`,
    );
  }
}

/** What {@link LimitExceededError} says about the limit a call went over. */
export interface LimitBreach {
  /** Short name, also the `limit` label of `vigil_limit_refusals_total`, e.g. `json_depth`. */
  limit: string;
  /** What went over, e.g. `resource.attributes` or `this call`. */
  subject: string;
  /** The limit as an operator knows it, e.g. `per-caller concurrency limit`. */
  description: string;
  /** Its configured value, with the unit, e.g. `64 calls in flight`. */
  value: string;
  /** The server flag that sets it. */
  flag: string;
  /** What the caller can do, e.g. `retry in 200 ms`. */
  advice?: string;
}

/**
 * A call went over one of the server's request limits (`config/limit-config.ts`): too many calls
 * in flight, started too fast, or JSON nested too deep. The message names the limit, its value
 * and the flag that sets it, so a caller can tell it from a policy decision.
 */
export class LimitExceededError extends VigilError {
  override name = "LimitExceededError";
  readonly limit: string;
  constructor(breach: LimitBreach) {
    super(
      `${breach.subject} is over the ${breach.description} of ${breach.value} (server flag ${breach.flag})${breach.advice ? `; ${breach.advice}` : ""}`,
    );
    this.limit = breach.limit;
  }
}

/** A unary call ran past the server's deadline; its answer was abandoned. */
export class CallDeadlineError extends VigilError {
  override name = "CallDeadlineError";
  constructor(readonly timeoutMs: number) {
    super(
      `the call did not finish within the server's request deadline of ${timeoutMs} ms (server flag --request-timeout-ms)`,
    );
  }
}
