import type * as http from "node:http";
import type * as http2 from "node:http2";
import type { Registry } from "prom-client";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

/**
 * Serves `GET /metrics` in the Prometheus text format on the RPC port, so a scrape needs no
 * second listener. Returns false for any other request, which then goes to the RPC router.
 */
export function createMetricsRoute(registry: Registry): (req: Request, res: Response) => boolean {
  return (req, res) => {
    if ((req.url ?? "").split("?")[0] !== "/metrics" || req.method !== "GET") return false;
    registry.metrics().then(
      (text) => {
        (res as http.ServerResponse).writeHead(200, { "content-type": registry.contentType });
        res.end(text);
      },
      () => {
        (res as http.ServerResponse).writeHead(500, { "content-type": "text/plain" });
        res.end("metrics collection failed\n");
      },
    );
    return true;
  };
}
