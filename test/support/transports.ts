import type { Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";

/** A named way of reaching the server, so one behaviour suite runs over each. */
export interface TransportCase {
  name: string;
  create(baseUrl: string): Transport;
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
    create: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" }),
    http2: false,
  },
  {
    name: "Connect (h2c)",
    create: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2" }),
    http2: true,
  },
  {
    name: "gRPC-Web (HTTP/1.1)",
    create: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
    http2: false,
  },
];
