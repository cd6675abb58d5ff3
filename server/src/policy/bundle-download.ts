import { BundleFetchError, ConfigError, describeError } from "../errors.js";

/*
 * The HTTP side of the bundle URL source: URL checks, request headers, a size-bounded body
 * read, and error text that never carries the URL's credentials or query.
 */

/**
 * Renders a URL without userinfo, query or fragment, which may carry tokens, so that it can
 * go into logs, status and error messages.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : url;
  } catch {
    return "[invalid URL]";
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/** Parses a bundle URL, accepting only http: and https:; throws {@link ConfigError}. */
export function parseBundleUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The text is not echoed: it may hold a token even when it does not parse.
    throw new ConfigError("bundle URL is not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new ConfigError(`bundle URL ${redactUrl(url)} must use http: or https:`);
  return url;
}

/**
 * The headers of every poll: the configured ones, plus credentials from the URL's userinfo
 * as Basic auth (fetch refuses URLs that carry them, and would print the URL doing so).
 */
export function requestHeaders(url: URL, extra: Record<string, string> | undefined): Headers {
  let headers: Headers;
  try {
    headers = new Headers(extra);
  } catch {
    throw new ConfigError("bundle source headers contain an invalid name or value");
  }
  if (!headers.has("accept"))
    headers.set("accept", "application/gzip, application/octet-stream, */*");
  if ((url.username || url.password) && !headers.has("authorization")) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.set("authorization", `Basic ${Buffer.from(credentials).toString("base64")}`);
  }
  return headers;
}

/** Reads the body chunk by chunk and gives up as soon as it exceeds `maxBytes`. */
export async function readBounded(response: Response, maxBytes: number, location: string) {
  const tooLarge = () => new BundleFetchError(location, `body exceeds ${maxBytes} bytes`);
  if (Number(response.headers.get("content-length")) > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** Names the cause of a fetch failure (undici nests it) without the URLs in `secrets`. */
export function describeNetworkError(error: unknown, secrets: string[], location: string): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause ?? error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  let message = describeError(cause);
  for (const secret of secrets) message = message.split(secret).join(location);
  if (typeof code !== "string") return message || "unknown";
  return message.includes(code) ? message : `${message ? `${message} ` : ""}(${code})`.trim();
}
