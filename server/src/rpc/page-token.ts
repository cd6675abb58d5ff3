import { createHash } from "node:crypto";
import { InvalidInputError } from "../errors.js";

/**
 * Opaque page tokens: where the previous page stopped, bound to the query that produced it
 * (a digest of its filter and direction), so a token replayed against another query is
 * refused instead of silently skipping records.
 */
export function encodePageToken(position: bigint | string, query: Uint8Array): string {
  return Buffer.from(JSON.stringify({ p: String(position), q: queryDigest(query) })).toString(
    "base64url",
  );
}

/** The position in a token from {@link encodePageToken}; undefined for an empty token. */
export function decodePageToken(token: string, query: Uint8Array): bigint | undefined {
  const position = decodePosition(token, query, /^\d{1,20}$/);
  return position === undefined ? undefined : BigInt(position);
}

/** A key position (e.g. an approval id) in a token from {@link encodePageToken}. */
export function decodeKeyPageToken(token: string, query: Uint8Array): string | undefined {
  return decodePosition(token, query, /^[0-9a-zA-Z-]{1,64}$/);
}

function decodePosition(token: string, query: Uint8Array, shape: RegExp): string | undefined {
  if (token === "") return undefined;
  let parsed: { p?: unknown; q?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw new InvalidInputError("page_token", "is not a token this server issued");
  }
  if (typeof parsed.p !== "string" || !shape.test(parsed.p)) {
    throw new InvalidInputError("page_token", "is not a token this server issued");
  }
  if (parsed.q !== queryDigest(query)) {
    throw new InvalidInputError(
      "page_token",
      "belongs to a different query (filter or order changed)",
    );
  }
  return parsed.p;
}

function queryDigest(query: Uint8Array): string {
  return createHash("sha256").update(query).digest("hex").slice(0, 16);
}

/**
 * A request's page size: 0 means `limits.default`; negative or above `limits.max` is refused
 * naming `field`.
 */
export function pageSize(
  requested: number,
  field: string,
  limits: { default: number; max: number },
): number {
  if (requested < 0 || requested > limits.max) {
    throw new InvalidInputError(
      field,
      `must be between 0 and ${limits.max} (0 means ${limits.default})`,
    );
  }
  return requested === 0 ? limits.default : requested;
}
