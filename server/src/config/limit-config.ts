import { ConfigError } from "../errors.js";
import { nonNegativeInt, positiveInt } from "./flag-values.js";

/**
 * Request limits: how much one call, one caller and the whole server may take before Vigil
 * refuses work (`ResourceExhausted`, `DeadlineExceeded`) instead of slowing down for everyone.
 */
export interface LimitConfig {
  /**
   * Calls the whole server runs at once, streams included; more are shed before authentication.
   * 0 = no limit. Default 512.
   */
  maxInFlight: number;
  /**
   * Calls one caller (an API token, JWT subject or certificate; the peer address when
   * anonymous) runs at once; a stream counts until it ends. 0 = no limit. Default 64.
   */
  maxConcurrentPerCaller: number;
  /** Calls per second one caller may start, refilled continuously. 0 = no limit (default). */
  ratePerCaller: number;
  /** Calls one caller may start at once after an idle spell. Default: the rate (one second's worth). */
  rateBurst: number;
  /**
   * Deepest nesting of objects and arrays inside the JSON fields of a request (`context`,
   * `attributes`, `params`). Default 32.
   */
  maxJsonDepth: number;
  /**
   * Most requests one AuthorizeBatch may carry. At least 1: an unbounded batch would let one
   * call queue any number of evaluations and audit appends. Default 256.
   */
  maxBatchSize: number;
  /**
   * Deadline of a unary call that sends none, and the cap on one it sends. Streams are not cut
   * (see `rpc/call-deadline.ts`). 0 = only the client's deadline. Default 60 s.
   */
  requestTimeoutMs: number;
  /** Connection-level bounds of the HTTP server. */
  transport: TransportLimitConfig;
}

/** Bounds applied by the HTTP/2 and HTTP/1.1 servers before a call reaches Connect. */
export interface TransportLimitConfig {
  /** HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS` advertised to each connection. Default 128. */
  maxStreamsPerConnection: number;
  /** Memory one HTTP/2 connection may use before new streams are refused, in MiB. Default 10. */
  http2MaxSessionMemoryMb: number;
  /** HTTP/1.1: time to receive a request's headers. Default 10 s. */
  http1HeadersTimeoutMs: number;
  /** HTTP/1.1: time to receive a whole request, body included; 0 = none. Default 120 s. */
  http1RequestTimeoutMs: number;
  /** HTTP/1.1: how long an idle keep-alive connection stays open. Default 5 s. */
  http1KeepAliveTimeoutMs: number;
}

/** The transport bounds used when none are configured. */
export const transportLimitDefaults: Readonly<TransportLimitConfig> = {
  maxStreamsPerConnection: 128,
  http2MaxSessionMemoryMb: 10,
  http1HeadersTimeoutMs: 10_000,
  http1RequestTimeoutMs: 120_000,
  http1KeepAliveTimeoutMs: 5_000,
};

/** Flags of the limits section, for `parseArgs`. */
export const limitFlagSpec = {
  "max-in-flight": { type: "string" },
  "max-concurrent-per-caller": { type: "string" },
  "rate-limit-per-caller": { type: "string" },
  "rate-limit-burst": { type: "string" },
  "max-json-depth": { type: "string" },
  "max-batch-size": { type: "string" },
  "request-timeout-ms": { type: "string" },
  "max-streams-per-connection": { type: "string" },
  "http2-max-session-memory-mb": { type: "string" },
  "http1-headers-timeout-ms": { type: "string" },
  "http1-request-timeout-ms": { type: "string" },
  "http1-keep-alive-timeout-ms": { type: "string" },
} as const;

/** Usage lines of the limits section. */
export const limitUsage = `Request limits (over a limit: ResourceExhausted naming the limit and its flag):
  --max-in-flight N          calls the server runs at once, 0 = no limit (VIGIL_MAX_IN_FLIGHT, default 512)
  --max-concurrent-per-caller N  calls one caller runs at once, streams until they end; a caller
                             is its token or identity, else its address
                             (VIGIL_MAX_CONCURRENT_PER_CALLER, default 64, 0 = no limit)
  --rate-limit-per-caller N  calls per second one caller may start, each request of an
                             AuthorizeBatch counting as one (VIGIL_RATE_LIMIT_PER_CALLER,
                             default 0 = no limit)
  --rate-limit-burst N       calls a caller may start at once after a pause
                             (VIGIL_RATE_LIMIT_BURST, default the rate)
  --max-json-depth N         deepest nesting in a request's JSON fields (context, attributes)
                             (VIGIL_MAX_JSON_DEPTH, default 32)
  --max-batch-size N         most requests in one AuthorizeBatch, at least 1
                             (VIGIL_MAX_BATCH_SIZE, default 256)
  --request-timeout-ms N     deadline of unary calls that send none, and cap on those they send;
                             streams keep the client's deadline (VIGIL_REQUEST_TIMEOUT_MS,
                             default 60000, 0 = client deadlines only)
  --max-streams-per-connection N  HTTP/2 concurrent streams per connection
                             (VIGIL_MAX_STREAMS_PER_CONNECTION, default 128)
  --http2-max-session-memory-mb N  memory per HTTP/2 connection before new streams are refused
                             (VIGIL_HTTP2_MAX_SESSION_MEMORY_MB, default 10)
  --http1-headers-timeout-ms N  HTTP/1.1 time to send request headers
                             (VIGIL_HTTP1_HEADERS_TIMEOUT_MS, default 10000)
  --http1-request-timeout-ms N  HTTP/1.1 time to send a whole request, 0 = none
                             (VIGIL_HTTP1_REQUEST_TIMEOUT_MS, default 120000)
  --http1-keep-alive-timeout-ms N  idle HTTP/1.1 connections are closed after N ms
                             (VIGIL_HTTP1_KEEP_ALIVE_TIMEOUT_MS, default 5000)
`;

/** Reads one flag, then its variable. */
export type LimitFlagReader = (
  flag: keyof typeof limitFlagSpec,
  variable: string,
) => string | undefined;

/** Resolves the limits section. Throws {@link ConfigError} naming the flag. */
export function parseLimitConfig(pick: LimitFlagReader): LimitConfig {
  const read = (
    flag: keyof typeof limitFlagSpec,
    fallback: string,
    parse: (flag: string, value: string) => number = nonNegativeInt,
  ) =>
    parse(`--${flag}`, pick(flag, `VIGIL_${flag.toUpperCase().replaceAll("-", "_")}`) ?? fallback);
  const ratePerCaller = read("rate-limit-per-caller", "0");
  const burst = pick("rate-limit-burst", "VIGIL_RATE_LIMIT_BURST");
  if (burst !== undefined && ratePerCaller === 0) {
    throw new ConfigError("--rate-limit-burst needs --rate-limit-per-caller");
  }
  const d = transportLimitDefaults;
  const transport: TransportLimitConfig = {
    maxStreamsPerConnection: read(
      "max-streams-per-connection",
      String(d.maxStreamsPerConnection),
      positiveInt,
    ),
    http2MaxSessionMemoryMb: read(
      "http2-max-session-memory-mb",
      String(d.http2MaxSessionMemoryMb),
      positiveInt,
    ),
    http1HeadersTimeoutMs: read(
      "http1-headers-timeout-ms",
      String(d.http1HeadersTimeoutMs),
      positiveInt,
    ),
    http1RequestTimeoutMs: read("http1-request-timeout-ms", String(d.http1RequestTimeoutMs)),
    http1KeepAliveTimeoutMs: read(
      "http1-keep-alive-timeout-ms",
      String(d.http1KeepAliveTimeoutMs),
      positiveInt,
    ),
  };
  // Node refuses to create a server whose headers may take longer than the whole request.
  if (
    transport.http1RequestTimeoutMs > 0 &&
    transport.http1HeadersTimeoutMs > transport.http1RequestTimeoutMs
  ) {
    throw new ConfigError(
      "--http1-headers-timeout-ms must not be longer than --http1-request-timeout-ms",
    );
  }
  return {
    maxInFlight: read("max-in-flight", "512"),
    maxConcurrentPerCaller: read("max-concurrent-per-caller", "64"),
    ratePerCaller,
    rateBurst:
      burst === undefined ? Math.max(1, ratePerCaller) : positiveInt("--rate-limit-burst", burst),
    maxJsonDepth: read("max-json-depth", "32", positiveInt),
    maxBatchSize: read("max-batch-size", "256", positiveInt),
    requestTimeoutMs: read("request-timeout-ms", "60000"),
    transport,
  };
}
