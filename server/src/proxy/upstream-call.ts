import {
  CallerClosedError,
  ProxyError,
  UpstreamFailedError,
  UpstreamTimeoutError,
} from "./proxy-errors.js";

/** Options for {@link callUpstream}. */
export interface UpstreamCallOptions {
  /** The full upstream URL. */
  url: URL;
  headers: Record<string, string>;
  /** The masked body: the only body ever sent. */
  body: string;
  /** Longest wait for the response headers, and for each piece of the body after them. */
  timeoutMs: number;
  /** The caller's signal: aborting it aborts the upstream request. */
  signal: AbortSignal;
}

/** An upstream answer whose body has not been read yet. */
export interface UpstreamAnswer {
  status: number;
  headers: Headers;
  /** The body piece by piece, each read under the timeout. */
  chunks(): AsyncGenerator<Uint8Array>;
  /** The whole body, at most `maxBytes` (an {@link UpstreamFailedError} beyond). */
  text(maxBytes: number): Promise<string>;
  /** Stops the request: the upstream sees the connection close. */
  abort(): void;
}

/**
 * POSTs the masked body upstream with `fetch`. Redirects are refused rather than followed: a
 * redirect would carry the injected credential to wherever the upstream points. Failures are
 * proxy errors: {@link UpstreamTimeoutError} (504) when the upstream is silent for
 * `timeoutMs`, {@link CallerClosedError} when the caller went away, {@link UpstreamFailedError}
 * (502) for anything else.
 */
export async function callUpstream(options: UpstreamCallOptions): Promise<UpstreamAnswer> {
  const controller = new AbortController();
  let timedOut = false;
  const stop = () => controller.abort();
  options.signal.addEventListener("abort", stop, { once: true });
  const within = async <T>(work: Promise<T>, what: string): Promise<T> => {
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeoutMs);
    try {
      return await work;
    } catch (error) {
      if (timedOut) throw new UpstreamTimeoutError(options.timeoutMs);
      if (options.signal.aborted) throw new CallerClosedError();
      if (error instanceof ProxyError) throw error;
      throw new UpstreamFailedError(`${what} (${describeFetchError(error)})`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };
  const response = await within(
    fetch(options.url, {
      method: "POST",
      headers: options.headers,
      body: options.body,
      redirect: "error",
      signal: controller.signal,
    }),
    `the upstream ${options.url.host} could not be reached`,
  );
  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (!response.body) return;
    const reader = response.body.getReader();
    try {
      for (;;) {
        const next = await within(reader.read(), "the upstream connection failed mid-answer");
        if (next.done) return;
        yield next.value;
      }
    } finally {
      options.signal.removeEventListener("abort", stop);
      // A reader that stops early (a failed relay) must not leave the upstream connection open.
      await reader.cancel().catch(() => {});
    }
  }
  return {
    status: response.status,
    headers: response.headers,
    chunks,
    async text(maxBytes) {
      const parts: Uint8Array[] = [];
      let bytes = 0;
      for await (const chunk of chunks()) {
        bytes += chunk.length;
        if (bytes > maxBytes) {
          controller.abort();
          throw new UpstreamFailedError(`the upstream answer is over ${maxBytes} bytes`);
        }
        parts.push(chunk);
      }
      return Buffer.concat(parts).toString("utf8");
    },
    abort: stop,
  };
}

/** The network-level reason of a failed fetch (`ECONNREFUSED`, …), without URLs or bodies. */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return error instanceof Error ? error.message : "unknown error";
}
