/**
 * The token of an `Authorization: Bearer <token>` header value; `undefined` for no header or
 * another scheme. Callers decide whether another scheme is an error (the RPC edge) or just
 * not a credential of this kind (the proxy, which also takes `x-api-key`).
 */
export function bearerToken(authorization: string | null | undefined): string | undefined {
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "")?.[1];
}

/** A compact JWS: three base64url parts. API tokens (`vgl_…`) never have dots. */
const jwsShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Whether a bearer token is shaped like a JWT, so it goes to the JWT verifier. */
export function looksLikeJwt(token: string): boolean {
  return jwsShape.test(token);
}
