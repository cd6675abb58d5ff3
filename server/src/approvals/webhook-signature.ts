import { createHmac, timingSafeEqual } from "node:crypto";

/** The request header carrying the signature of a webhook body. */
export const webhookSignatureHeader = "vigil-signature";

/** A shared webhook secret: raw bytes, or text used as its UTF-8 bytes. */
export type WebhookSecret = Uint8Array | string;

/**
 * Signs a webhook body: returns the `vigil-signature` header value
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The time is signed with the body
 * (as Stripe does) so a receiver can refuse a captured request replayed later.
 */
export function signWebhook(
  secret: WebhookSecret,
  body: string | Uint8Array,
  time: Date = new Date(),
): string {
  const t = Math.floor(time.getTime() / 1000);
  return `t=${t},v1=${hmac(secret, t, body).toString("hex")}`;
}

/** Options for {@link verifyWebhookSignature}. */
export interface VerifyWebhookSignatureOptions {
  /** Largest accepted distance between the signed time and `now`, either way. Default 300 s. */
  toleranceSeconds?: number;
  /** The receiver's current time. Default: the clock. */
  now?: Date;
}

/**
 * Checks a `vigil-signature` header against the raw request body, as a receiver should before
 * trusting a Vigil webhook. True only if a `v1` signature is the HMAC of this body under
 * `secret` and the signed time is within the tolerance of `now`. Use the body bytes as received,
 * not a re-serialised parse of them, then de-duplicate on the `vigil-delivery` header: a retried
 * delivery is the same body signed again at a new time.
 *
 * ```ts
 * if (!verifyWebhookSignature(secret, req.headers["vigil-signature"], rawBody)) reject(401);
 * ```
 */
export function verifyWebhookSignature(
  secret: WebhookSecret,
  header: string | readonly string[] | null | undefined,
  body: string | Uint8Array,
  options: VerifyWebhookSignatureOptions = {},
): boolean {
  // A repeated header is ambiguous; refuse rather than pick one.
  if (typeof header !== "string") return false;
  let t: number | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(value)) t = Number(value);
    // Several v1 values let a sender sign with an old and a new secret while they rotate.
    else if (key === "v1" && /^[0-9a-f]{64}$/i.test(value))
      candidates.push(Buffer.from(value, "hex"));
  }
  if (t === undefined || candidates.length === 0) return false;
  const nowSeconds = (options.now ?? new Date()).getTime() / 1000;
  if (Math.abs(nowSeconds - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = hmac(secret, t, body);
  return candidates.some((candidate) => timingSafeEqual(candidate, expected));
}

function hmac(secret: WebhookSecret, t: number, body: string | Uint8Array): Buffer {
  return createHmac("sha256", secret).update(`${t}.`).update(body).digest();
}
