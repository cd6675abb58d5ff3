import type * as http from "node:http";
import type { Registry } from "prom-client";
import type { HttpRoute } from "./http-route.js";

/**
 * Serves `GET /metrics` in the Prometheus text format on the RPC port, so a scrape needs no
 * second listener. Returns false for any other request, which then goes to the RPC router.
 */
export function createMetricsRoute(registry: Registry): HttpRoute {
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
