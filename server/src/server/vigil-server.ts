import { readFile } from "node:fs/promises";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import * as net from "node:net";
import { type ConnectRouter, createContextValues, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { clientCertificateOf } from "../auth/client-certificate.js";
import type { ClientCertificateConfig } from "../config/auth-config.js";
import { type TransportLimitConfig, transportLimitDefaults } from "../config/limit-config.js";
import type { Logger } from "../logging/logger.js";
import { clientCertificateKey, peerAddressKey } from "../rpc/caller.js";
import type { HttpRoute } from "./http-route.js";
import { createLingeringClose } from "./lingering-close.js";
import { unknownRouteHandler } from "./unknown-route.js";

/** Options for {@link createVigilServer}. */
export interface VigilServerOptions {
  /** Registers the services (see `rpc/routes.ts`). */
  routes: (router: ConnectRouter) => void;
  /** Applied to every call, e.g. error mapping. Default none. */
  interceptors?: Interceptor[];
  /** Largest accepted request message; larger ones get `ResourceExhausted`. */
  maxMessageBytes: number;
  /** PEM files; when set the server speaks TLS (HTTP/2 with HTTP/1.1 fallback via ALPN). */
  tls?: { certFile: string; keyFile: string } | undefined;
  /**
   * Ask TLS clients for a certificate issued by this CA bundle (mTLS); only with `tls`. When
   * `required`, the handshake fails without a valid one; otherwise an untrusted certificate
   * still connects and access control refuses its calls. Default: no certificate requested.
   */
  clientCertificates?: ClientCertificateConfig | undefined;
  logger: Logger;
  /** Plain HTTP endpoints tried in order before the RPC router (`/metrics`, the console). */
  httpRoutes?: HttpRoute[];
  /** Connection-level bounds against slow and greedy clients. Default `transportLimitDefaults`. */
  transport?: Partial<TransportLimitConfig>;
}

/** A Vigil HTTP server, created but not yet listening. */
export interface VigilServer {
  /** Binds and starts accepting; resolves with the bound address (port 0 picks one). */
  listen(host: string, port: number): Promise<AddressInfo>;
  /**
   * Stops accepting, lets in-flight requests finish for up to `graceMs`, then closes every
   * remaining connection.
   */
  close(graceMs: number): Promise<void>;
  /** Requests currently being handled. */
  inFlight(): number;
}

/**
 * Creates the server: Connect, gRPC and gRPC-Web on one port. Without TLS it accepts both
 * HTTP/2 with prior knowledge (h2c, what gRPC clients use) and HTTP/1.1 (Connect unary from
 * curl or a browser) by looking at the connection preface.
 */
export async function createVigilServer(options: VigilServerOptions): Promise<VigilServer> {
  const adapter = connectNodeAdapter({
    routes: options.routes,
    interceptors: options.interceptors ?? [],
    readMaxBytes: options.maxMessageBytes,
    fallback: unknownRouteHandler,
    contextValues: (req) => {
      const values = createContextValues().set(peerAddressKey, req.socket?.remoteAddress ?? "");
      const certificate = options.clientCertificates ? clientCertificateOf(req) : undefined;
      return certificate ? values.set(clientCertificateKey, certificate) : values;
    },
  });
  let inFlight = 0;
  const httpRoutes = options.httpRoutes ?? [];
  const lingeringClose = createLingeringClose();
  const handler = (
    req: http.IncomingMessage | http2.Http2ServerRequest,
    res: http.ServerResponse | http2.Http2ServerResponse,
  ) => {
    inFlight++;
    res.once("close", () => inFlight--);
    if (httpRoutes.some((route) => route(req, res))) return;
    if (req instanceof http.IncomingMessage) lingeringClose(req, res as http.ServerResponse);
    adapter(req as http2.Http2ServerRequest, res as http2.Http2ServerResponse);
  };

  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.Http2Session>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };

  const limits = { ...transportLimitDefaults, ...options.transport };
  const h2Options = {
    settings: { maxConcurrentStreams: limits.maxStreamsPerConnection },
    maxSessionMemory: limits.http2MaxSessionMemoryMb,
  };
  const h1Options = {
    headersTimeout: limits.http1HeadersTimeoutMs,
    requestTimeout: limits.http1RequestTimeoutMs,
    keepAliveTimeout: limits.http1KeepAliveTimeoutMs,
    // How often Node looks for requests past the two timeouts above; its default is 30 s.
    connectionsCheckingInterval: 1_000,
  };

  let listener: net.Server;
  let h1: http.Server | undefined;
  let h2: http2.Http2Server | http2.Http2SecureServer;
  if (options.tls) {
    const clientCa = options.clientCertificates;
    const [cert, key, ca] = await Promise.all([
      readFile(options.tls.certFile),
      readFile(options.tls.keyFile),
      clientCa ? readFile(clientCa.caFile) : undefined,
    ]);
    const mtls = clientCa ? { requestCert: true, ca, rejectUnauthorized: clientCa.required } : {};
    h2 = http2.createSecureServer(
      { cert, key, allowHTTP1: true, minVersion: "TLSv1.2", ...mtls, ...h2Options },
      handler,
    );
    // HTTP/1.1 over TLS is served by this server, which reads the HTTP/1.1 timeouts off itself.
    Object.assign(h2, h1Options);
    h2.on("connection", track);
    listener = h2;
  } else {
    h2 = http2.createServer(h2Options, handler);
    h1 = http.createServer(h1Options, handler);
    // Node enforces the HTTP/1.1 timeouts from the moment a server emits `listening`; this one
    // never listens (the preface router does), so without this slow clients were never cut.
    h1.emit("listening");
    const servers = { h1, h2 };
    listener = net.createServer((socket) => {
      track(socket);
      routeByPreface(socket, servers, options.logger);
    });
  }
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  return {
    listen(host, port) {
      return new Promise((resolve, reject) => {
        listener.once("error", reject);
        listener.listen(port, host, () => {
          listener.off("error", reject);
          resolve(listener.address() as AddressInfo);
        });
      });
    },

    async close(graceMs) {
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      // GOAWAY lets HTTP/2 clients finish open streams and stop sending new ones.
      for (const session of sessions) session.close();
      h1?.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (inFlight > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        h1?.closeIdleConnections();
      }
      for (const socket of sockets) socket.destroy();
      await closed;
    },

    inFlight: () => inFlight,
  };
}

const h2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Hands a plaintext connection to the HTTP/2 or HTTP/1.1 server depending on its first bytes. */
function routeByPreface(
  socket: net.Socket,
  servers: { h1: http.Server; h2: http2.Http2Server },
  logger: Logger,
) {
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const n = Math.min(buffered.length, h2Preface.length);
    const isH2 = buffered.subarray(0, n).equals(h2Preface.subarray(0, n));
    if (isH2 && buffered.length < h2Preface.length) return; // need more bytes to decide
    socket.off("data", onData);
    socket.pause();
    socket.unshift(buffered);
    if (isH2) {
      // The HTTP/2 session takes over the handle and picks up the unshifted bytes itself.
      servers.h2.emit("connection", socket);
    } else {
      servers.h1.emit("connection", socket);
      socket.resume();
    }
  };
  socket.on("data", onData);
  socket.on("error", (error) => logger.debug({ err: error.message }, "connection error"));
}
