import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { createLingeringClose } from "../server/lingering-close.js";
import { createProxyHandler, type ProxyHandlerOptions } from "./proxy-handler.js";

/** The proxy's HTTP server, created but not yet listening. */
export interface ProxyServer {
  /** Binds and starts accepting; resolves with the bound address (port 0 picks one). */
  listen(host: string, port: number): Promise<AddressInfo>;
  /**
   * Stops accepting, lets exchanges in flight finish (and be recorded) for up to `graceMs`,
   * then closes the remaining connections, which aborts their upstream requests; resolves
   * once their handlers are done.
   */
  close(graceMs: number): Promise<void>;
  /** Exchanges being handled, recording included. */
  inFlight(): number;
}

/**
 * Creates the proxy server (plain HTTP/1.1: agents run beside it, and LLM SDKs speak
 * HTTP/1.1). An answer sent before the body was read (401, 404, 413) lingers, so a client
 * still sending sees the answer rather than a reset.
 */
export function createProxyServer(options: ProxyHandlerOptions): ProxyServer {
  const handle = createProxyHandler(options);
  const lingeringClose = createLingeringClose();
  const running = new Set<Promise<void>>();
  const server = http.createServer((req, res) => {
    lingeringClose(req, res);
    const work = handle(req, res).catch((error: unknown) => {
      options.logger.error({ err: String(error) }, "request handler failed");
      if (!res.writableEnded) res.destroy();
    });
    running.add(work);
    void work.finally(() => running.delete(work));
  });
  const settle = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      void Promise.allSettled([...running]).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  return {
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await settle(graceMs);
      server.closeAllConnections();
      // Aborted exchanges still record what they sent; give that a moment.
      await settle(5_000);
      await closed;
    },
    inFlight: () => running.size,
  };
}
