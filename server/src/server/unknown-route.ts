import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

type NodeHandlerFn = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/**
 * Answers a request for a method Vigil does not serve with `Unimplemented` in the caller's
 * protocol: a trailers-only gRPC response, or a Connect JSON error with HTTP 404.
 */
export const unknownRouteHandler: NodeHandlerFn = (req, res) => {
  const path = (req.url ?? "").split("?")[0] ?? "";
  const message = `unknown method ${path}`;
  const contentType = String(req.headers["content-type"] ?? "");
  if (contentType.startsWith("application/grpc")) {
    res.writeHead(200, {
      "content-type": contentType.startsWith("application/grpc-web")
        ? contentType
        : "application/grpc",
      "grpc-status": "12",
      "grpc-message": encodeURIComponent(message),
    });
    res.end();
    return;
  }
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ code: "unimplemented", message }));
};
