import type { IncomingHttpHeaders } from "node:http";

/**
 * Request headers passed to the upstream, by name or prefix. Everything else stays behind: the
 * caller's credential, cookies, hop-by-hop and proxy headers, `content-length` (the masked body
 * has its own), and every custom header, because headers are not masked and one could carry a
 * secret past the redaction.
 */
const requestHeaders = new Set([
  "accept",
  "user-agent",
  "anthropic-version",
  "anthropic-beta",
  "openai-beta",
  "openai-organization",
  "openai-project",
  "idempotency-key",
]);
/** The OpenAI and Anthropic SDKs describe themselves in `x-stainless-*` (OS, runtime, retry count). */
const requestPrefixes = ["x-stainless-"];

/** Response headers passed back to the caller: request ids, rate limits, retry hints. */
const responseHeaders = new Set(["retry-after", "retry-after-ms", "x-request-id", "request-id"]);
const responsePrefixes = ["x-ratelimit-", "anthropic-ratelimit-", "openai-"];

const allowed = (name: string, names: Set<string>, prefixes: string[]) =>
  names.has(name) || prefixes.some((p) => name.startsWith(p));

/**
 * The headers for the upstream request: the allowed caller headers (less any an obligation
 * strips), then `content-type: application/json` and the upstream credential, which always win.
 */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  credential: Record<string, string>,
  strip: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || strip.includes(name)) continue;
    if (!allowed(name, requestHeaders, requestPrefixes)) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return { ...out, "content-type": "application/json", ...credential };
}

/** The upstream response headers the caller gets (content type and length are set anew). */
export function callerResponseHeaders(upstream: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  upstream.forEach((value, name) => {
    if (allowed(name, responseHeaders, responsePrefixes)) out[name] = value;
  });
  return out;
}
