import type { Interceptor } from "@connectrpc/connect";

/** An interceptor sending `Authorization: Bearer <token>`; none for an anonymous caller. */
export function bearer(token: string | undefined): Interceptor[] {
  if (!token) return [];
  return [
    (next) => (request) => {
      request.header.set("authorization", `Bearer ${token}`);
      return next(request);
    },
  ];
}
