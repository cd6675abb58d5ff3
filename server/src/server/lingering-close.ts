import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** Options for {@link createLingeringClose}. */
export interface LingeringCloseOptions {
  /** Longest a connection keeps draining after an early answer. Default 10 s. */
  maxLingerMs?: number;
  /** Draining stops when the client sends nothing for this long. Default 2 s. */
  idleMs?: number;
  /** Most bytes discarded after an early answer before the connection is dropped. Default 256 MiB. */
  maxDiscardBytes?: number;
}

/**
 * Lets an HTTP/1.1 client read an answer sent before its request body was read, such as
 * `ResourceExhausted` for an oversized message.
 *
 * Left to itself, Node either closes such a connection at once, and the kernel resets a
 * connection that still holds unread bytes, or keeps it alive without reading, and the client
 * stalls until the keep-alive timeout. Either way a client still sending its body sees `EPIPE`
 * instead of the answer, a race a loaded machine loses often. Like nginx's `lingering_close`,
 * the returned function (called once per HTTP/1.1 request) marks such an answer
 * `Connection: close`, then discards what the client still sends and closes once the body has
 * ended, or after a bounded idle time, total time or byte count so no client holds it forever.
 */
export function createLingeringClose(
  options: LingeringCloseOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const maxLingerMs = options.maxLingerMs ?? 10_000;
  const idleMs = options.idleMs ?? 2_000;
  const maxDiscardBytes = options.maxDiscardBytes ?? 256 * 1024 * 1024;
  const closers = new WeakMap<Socket, () => void>();

  const linger = (req: IncomingMessage, closeNow: () => void) => {
    const socket = req.socket;
    let discarded = 0;
    const stop = () => {
      clearTimeout(deadline);
      socket.destroy();
    };
    const deadline = setTimeout(stop, maxLingerMs);
    deadline.unref();
    socket.setTimeout(idleMs, stop);
    req.on("data", (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > maxDiscardBytes) stop();
    });
    req.once("end", () => {
      clearTimeout(deadline);
      closeNow();
    });
    req.resume();
  };

  return (req, res) => {
    const socket = req.socket;
    let closeNow = closers.get(socket);
    if (!closeNow) {
      closeNow = socket.destroySoon.bind(socket);
      closers.set(socket, closeNow);
    }
    const close = closeNow;
    // Node calls this once an answer marked `Connection: close` is written. Requests on one
    // connection come one after another, so the latest request decides.
    socket.destroySoon = () => (req.complete ? close() : linger(req, close));

    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      // The rest of the body is of no use, so the connection is not reused after it.
      if (!req.complete) res.shouldKeepAlive = false;
      return writeHead(...args);
    }) as ServerResponse["writeHead"];

    // connect-node stops reading at the size limit, and leaving a Node async iterator early
    // would destroy the request, and with it the socket, before the answer is out.
    req[Symbol.asyncIterator] = () => req.iterator({ destroyOnReturn: false });
  };
}
