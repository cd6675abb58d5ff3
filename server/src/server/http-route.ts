import type * as http from "node:http";
import type * as http2 from "node:http2";

/**
 * A plain HTTP endpoint served on the RPC port ahead of the RPC router (`/metrics`, the
 * console). Answers and returns true for its own paths; returns false for any other request,
 * which then goes on to the next route and finally to the RPC router.
 */
export type HttpRoute = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => boolean;
