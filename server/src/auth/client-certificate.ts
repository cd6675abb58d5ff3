import type * as http from "node:http";
import * as http2 from "node:http2";
import type { PeerCertificate, TLSSocket } from "node:tls";
import type { ClientCertificate } from "./identity.js";

// One connection carries many requests; its certificate is read once per connection. Keyed by
// the HTTP/2 session or the HTTP/1.1 socket, both of which live exactly as long as it.
const byConnection = new WeakMap<object, ClientCertificate | null>();

/**
 * The TLS client certificate of the connection a request came in on; `undefined` on a
 * clear-text connection or when the client sent none. The certificate is returned whether or
 * not it chains to the client CA (`authorized` says which), so the authenticator can refuse an
 * untrusted one with a reason instead of treating the caller as anonymous.
 */
export function clientCertificateOf(
  req: http.IncomingMessage | http2.Http2ServerRequest,
): ClientCertificate | undefined {
  // For HTTP/2 `req.socket` is a proxy that throws on some socket methods; the session's
  // socket forwards every TLSSocket method to the real connection, and is one per connection.
  const session = req instanceof http2.Http2ServerRequest ? req.stream.session : undefined;
  const connection: object | undefined = session ?? req.socket;
  if (!connection) return undefined;
  let certificate = byConnection.get(connection);
  if (certificate === undefined) {
    const socket = (session ? session.socket : req.socket) as Partial<TLSSocket> | undefined;
    certificate = socket?.getPeerCertificate ? readCertificate(socket as TLSSocket) : null;
    byConnection.set(connection, certificate);
  }
  return certificate ?? undefined;
}

function readCertificate(socket: TLSSocket): ClientCertificate | null {
  const peer: PeerCertificate | Record<string, never> = socket.getPeerCertificate();
  // Without a client certificate Node returns an empty object (or null once the socket closed).
  if (!peer || !("fingerprint256" in peer)) return null;
  const certificate: ClientCertificate = {
    authorized: socket.authorized,
    subjectAltNames: parseSubjectAltNames(peer.subjectaltname),
    fingerprint256: peer.fingerprint256,
  };
  if (!socket.authorized && socket.authorizationError) {
    certificate.authorizationError = errorCode(socket.authorizationError);
  }
  const commonName = firstOf(peer.subject?.CN);
  if (commonName) certificate.commonName = commonName;
  return certificate;
}

/**
 * Splits Node's `subjectaltname` string (`DNS:a, URI:spiffe://x, email:b@c`) into entries.
 * Node JSON-quotes a value holding a comma or a quote (`URI:"x,y"`), so a crafted SAN cannot
 * smuggle in a second entry; quoted values are unquoted here and keep their prefix.
 */
export function parseSubjectAltNames(text: string | undefined): string[] {
  if (!text) return [];
  const names: string[] = [];
  const entry = /([^:,]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/y;
  let match = entry.exec(text);
  while (match) {
    const [, kind = "", raw = ""] = match;
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        // Not Node's quoting after all: keep the text as it came rather than drop the name.
      }
    }
    names.push(`${kind.trim()}:${value}`);
    if (entry.lastIndex >= text.length) break;
    match = entry.exec(text);
  }
  return names;
}

function firstOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

// Node sets `authorizationError` to the OpenSSL code string, though its typings say Error.
function errorCode(error: unknown): string {
  if (typeof error === "string") return error;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return String(code ?? message ?? error);
}
