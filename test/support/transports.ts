import { Agent } from "node:http";
import type { Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";

/** A named way of reaching the server, so one behaviour suite runs over each. */
export interface TransportCase {
  name: string;
  /**
   * `oneShot` gives HTTP/1.1 transports a connection that is never reused: after an answer
   * sent before the request body was read (an oversized message), Node's server drops the
   * connection, and a pooled client would see ECONNRESET on its next call.
   */
  create(baseUrl: string, options?: { oneShot?: boolean }): Transport;
  /** HTTP/2 carries bidirectional streams; HTTP/1.1 does not. */
  http2: boolean;
}

/** gRPC over h2c, Connect over HTTP/1.1 and h2c, and gRPC-Web over HTTP/1.1. */
export const transportCases: TransportCase[] = [
  {
    name: "gRPC (h2c)",
    create: (baseUrl) => createGrpcTransport({ baseUrl }),
    http2: true,
  },
  {
    name: "Connect (HTTP/1.1)",
    create: (baseUrl, options) =>
      createConnectTransport({ baseUrl, httpVersion: "1.1", ...h1Options(options) }),
    http2: false,
  },
  {
    name: "Connect (h2c)",
    create: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2" }),
    http2: true,
  },
  {
    name: "gRPC-Web (HTTP/1.1)",
    create: (baseUrl, options) =>
      createGrpcWebTransport({ baseUrl, httpVersion: "1.1", ...h1Options(options) }),
    http2: false,
  },
];

function h1Options(options: { oneShot?: boolean } | undefined) {
  return options?.oneShot ? { nodeOptions: { agent: new Agent({ keepAlive: false }) } } : {};
}
