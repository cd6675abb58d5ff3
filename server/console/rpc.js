// A small client for the Connect protocol with JSON bodies: what the console needs from
// connect-web (unary calls and server streams) without a bundler.
// See https://connectrpc.com/docs/protocol for the wire format.

/** An RPC that failed, with its Connect code (e.g. "permission_denied"). */
export class RpcError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = "RpcError";
    this.code = code;
  }
}

// Connect's mapping from HTTP status to code, for answers without a JSON error body.
/** @type {Record<number, string>} */
const codeOfStatus = {
  400: "internal",
  401: "unauthenticated",
  403: "permission_denied",
  404: "unimplemented",
  429: "unavailable",
  502: "unavailable",
  503: "unavailable",
  504: "unavailable",
};

/**
 * Creates a client calling `/<service>/<method>` on this origin.
 * @param {{ token: () => string | undefined }} options where the reviewer's token comes from
 */
export function createRpcClient(options) {
  /** @param {string} contentType */
  const headers = (contentType) => {
    /** @type {Record<string, string>} */
    const h = { "content-type": contentType, "connect-protocol-version": "1" };
    const token = options.token();
    if (token) h.authorization = `Bearer ${token}`;
    return h;
  };

  /** @param {string} path @param {RequestInit} init */
  const post = async (path, init) => {
    try {
      return await fetch(`/${path}`, { method: "POST", ...init });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new RpcError("unavailable", "Vigil cannot be reached");
    }
  };

  return {
    /**
     * One request, one answer.
     * @param {string} method e.g. "vigil.v1.ApprovalService/ListApprovals"
     * @param {object} body the request message as proto JSON
     * @param {AbortSignal} [signal]
     */
    async unary(method, body, signal) {
      const res = await post(method, {
        headers: headers("application/json"),
        body: JSON.stringify(body),
        signal,
      });
      const text = await res.text();
      const json = parseJson(text);
      if (res.ok && json) return json;
      throw errorOf(json, res.status);
    },

    /**
     * A server stream: yields each message until the server ends the stream.
     * @param {string} method
     * @param {object} body
     * @param {AbortSignal} [signal]
     */
    async *stream(method, body, signal) {
      const res = await post(method, {
        headers: headers("application/connect+json"),
        body: envelope(new TextEncoder().encode(JSON.stringify(body))),
        signal,
      });
      if (!res.ok || !res.body) throw errorOf(parseJson(await res.text()), res.status);
      const reader = res.body.getReader();
      let buffer = new Uint8Array(0);
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (value) buffer = concat(buffer, value);
          for (;;) {
            if (buffer.length < 5) break;
            const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
            const flags = view.getUint8(0);
            const length = view.getUint32(1);
            if (buffer.length < 5 + length) break;
            const json = parseJson(new TextDecoder().decode(buffer.subarray(5, 5 + length)));
            buffer = buffer.subarray(5 + length);
            // Flag 0x02 marks the end-of-stream message: an error, or a clean end.
            if (flags & 0x02) {
              if (json?.error) throw errorOf(json.error, 200);
              return;
            }
            yield json;
          }
          if (done) throw new RpcError("unavailable", "the stream ended early");
        }
      } finally {
        reader.cancel().catch(() => {});
      }
    },
  };
}

/** @param {string} text */
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** @param {any} json @param {number} status */
function errorOf(json, status) {
  if (json && typeof json.code === "string") {
    return new RpcError(json.code, typeof json.message === "string" ? json.message : json.code);
  }
  const code = codeOfStatus[status] ?? "unknown";
  return new RpcError(code, `HTTP ${status}`);
}

/** @param {Uint8Array} data */
function envelope(data) {
  const out = new Uint8Array(5 + data.length);
  new DataView(out.buffer).setUint32(1, data.length);
  out.set(data, 5);
  return out;
}

/** @param {Uint8Array} a @param {Uint8Array} b */
function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
