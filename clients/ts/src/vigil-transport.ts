import type { Interceptor, Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";

/** The wire protocols Vigil serves on its one port. */
export type VigilProtocol = "grpc" | "connect";

/** Options of {@link createVigilTransport}. */
export interface VigilTransportOptions {
  /** Vigil's address with scheme, e.g. `http://127.0.0.1:8444` or `https://vigil.example.com`. */
  baseUrl: string;
  /**
   * `grpc` (HTTP/2: h2c for `http://`, TLS for `https://`) or `connect` (the Connect protocol,
   * which passes through HTTP/1.1 proxies). Default: `grpc`.
   */
  protocol?: VigilProtocol;
  /** HTTP version for `connect`; `grpc` always uses HTTP/2. Default: `1.1`. */
  httpVersion?: "1.1" | "2";
  /** A Vigil API token, sent as `Authorization: Bearer <token>` on every call. Default: none. */
  token?: string;
}

/** A transport and the means to close the connection it holds. */
export interface VigilTransport {
  transport: Transport;
  /** Closes the HTTP/2 connection, if any (idle connections never keep the process alive). */
  close(): void;
}

/**
 * A Connect transport to Vigil. HTTP/2 connections are owned by a session manager the caller
 * can close, rather than living on until their idle timeout.
 */
export function createVigilTransport(options: VigilTransportOptions): VigilTransport {
  const { baseUrl, protocol = "grpc", httpVersion = "1.1", token } = options;
  const interceptors: Interceptor[] = token ? [bearer(token)] : [];
  if (protocol === "connect" && httpVersion === "1.1") {
    return {
      transport: createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors }),
      close: () => undefined,
    };
  }
  const sessionManager = new Http2SessionManager(baseUrl);
  const transport =
    protocol === "grpc"
      ? createGrpcTransport({ baseUrl, sessionManager, interceptors })
      : createConnectTransport({ baseUrl, httpVersion: "2", sessionManager, interceptors });
  return { transport, close: () => sessionManager.abort() };
}

function bearer(token: string): Interceptor {
  return (next) => (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
}
