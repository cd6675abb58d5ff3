import * as http2 from "node:http2";
import type { DescService } from "@bufbuild/protobuf";

/** How a raw request is framed on the wire. */
export type RawProtocol =
  | "connect-json"
  | "connect-proto"
  | "connect-stream-json"
  | "grpc-web"
  | "grpc";

/** What came back: the HTTP status and the RPC code (`ok`, a Connect code, or `http_<status>`). */
export interface RawAnswer {
  status: number;
  code: string;
  /** The error message, when the answer carried one. */
  message?: string | undefined;
}

/** Every method path of the services, e.g. `/vigil.v1.PolicyService/Authorize`. */
export function methodPaths(services: DescService[]): string[] {
  return services.flatMap((s) => s.methods.map((m) => `/${s.typeName}/${m.name}`));
}

/** One enveloped message: flags, big-endian length, bytes. `length` may lie on purpose. */
export function envelope(body: Uint8Array, flags = 0, length = body.length): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, flags);
  view.setUint32(1, length >>> 0);
  out.set(body, 5);
  return out;
}

const grpcCodeNames = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

/**
 * Sends raw bytes to a Vigil server in one protocol's framing, bypassing every client library,
 * so malformed frames, wrong content types and broken encodings reach the server as sent.
 */
export function createRawRpc(baseUrl: string) {
  let session: http2.ClientHttp2Session | undefined;
  let lastSessionEvent: string | undefined;
  const h2 = () => {
    if (!session || session.closed || session.destroyed) {
      // Node's HTTP/2 client counts a request body still being written against its session
      // memory (10 MB by default) and then refuses its own new streams with
      // ENHANCE_YOUR_CALM: room for the multi-megabyte bodies the fuzzer sends.
      session = http2.connect(baseUrl, { maxSessionMemory: 1024 });
      session.on("error", (error) => {
        lastSessionEvent = `session error: ${error.message}`;
      });
      session.on("goaway", (code, lastStreamId) => {
        lastSessionEvent = `goaway code ${code} after stream ${lastStreamId}`;
      });
      session.on("close", () => {
        lastSessionEvent ??= "session closed";
      });
    }
    return session;
  };

  const viaFetch = async (
    path: string,
    contentType: string,
    body: Uint8Array,
    timeoutMs: number,
  ): Promise<{ status: number; bytes: Uint8Array; headers: Headers }> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": contentType, "connect-protocol-version": "1" },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return {
      status: res.status,
      bytes: new Uint8Array(await res.arrayBuffer()),
      headers: res.headers,
    };
  };

  return {
    async send(
      protocol: RawProtocol,
      path: string,
      body: Uint8Array,
      contentType: string,
      timeoutMs = 10_000,
    ): Promise<RawAnswer> {
      if (protocol === "grpc") {
        const answer = await grpcCall(h2(), path, body, contentType, timeoutMs);
        // A stream reset by its session's end says why the session ended.
        return answer.code.startsWith("reset_") && lastSessionEvent
          ? { ...answer, message: lastSessionEvent }
          : answer;
      }
      const res = await viaFetch(path, contentType, body, timeoutMs);
      if (protocol === "grpc-web") {
        const trailer = trailerFields(res.bytes);
        const status = res.headers.get("grpc-status") ?? trailer.status;
        const message = res.headers.get("grpc-message") ?? trailer.message;
        return { status: res.status, code: grpcName(status, res.status), message: decode(message) };
      }
      if (protocol === "connect-stream-json" && res.status === 200) {
        return { status: res.status, ...endStreamError(res.bytes) };
      }
      if (res.status === 200) return { status: 200, code: "ok" };
      const error = jsonError(res.bytes);
      return {
        status: res.status,
        code: error?.code ?? `http_${res.status}`,
        message: error?.message,
      };
    },
    close() {
      session?.close();
    },
  };
}

function grpcCall(
  session: http2.ClientHttp2Session,
  path: string,
  body: Uint8Array,
  contentType: string,
  timeoutMs: number,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": contentType,
      te: "trailers",
    });
    let status = 0;
    let settled = false;
    const finish = (answer: RawAnswer | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // As a gRPC client does: once the status is in, the call is over. Only a request still
      // being sent (the server answered before reading it all) is cancelled: resetting every
      // stream would trip the server's rapid-reset protection (CVE-2023-44487), which ends the
      // connection with GOAWAY(INTERNAL_ERROR).
      if (!stream.closed && !stream.writableFinished) stream.close(http2.constants.NGHTTP2_CANCEL);
      answer instanceof Error ? reject(answer) : resolve(answer);
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    stream.on("response", (headers) => {
      status = Number(headers[":status"]);
      // Trailers-only: the status comes with the headers.
      if (headers["grpc-status"] !== undefined) {
        finish({
          status,
          code: grpcName(String(headers["grpc-status"]), status),
          message: decode(headers["grpc-message"] as string | undefined),
        });
      }
    });
    stream.on("trailers", (trailers) => {
      finish({
        status,
        code: grpcName(String(trailers["grpc-status"] ?? ""), status),
        message: decode(trailers["grpc-message"] as string | undefined),
      });
    });
    stream.on("data", () => {});
    stream.on("close", () => {
      // Closed without a status (e.g. a reset): reported as such, for the caller to judge.
      finish({ status, code: `reset_${stream.rstCode}` });
    });
    stream.on("error", () => {});
    stream.end(body);
  });
}

function grpcName(status: string | null | undefined, http: number): string {
  if (status === null || status === undefined || status === "") return `http_${http}`;
  return grpcCodeNames[Number(status)] ?? `grpc_${status}`;
}

/** grpc-status and grpc-message inside a gRPC-Web trailer frame (flag 0x80). */
function trailerFields(bytes: Uint8Array): { status?: string; message?: string } {
  for (let at = 0; at + 5 <= bytes.length; ) {
    const flags = bytes[at] ?? 0;
    const length = new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getUint32(0);
    const frame = bytes.subarray(at + 5, at + 5 + length);
    if (flags & 0x80) {
      const text = new TextDecoder().decode(frame);
      const status = /grpc-status:\s*(\d+)/i.exec(text)?.[1];
      const message = /grpc-message:\s*([^\r\n]*)/i.exec(text)?.[1];
      return { ...(status ? { status } : {}), ...(message ? { message } : {}) };
    }
    at += 5 + length;
  }
  return {};
}

/** The code and message of a Connect end-of-stream message (flag 0x02): `ok` without an error. */
function endStreamError(bytes: Uint8Array): { code: string; message?: string } {
  for (let at = 0; at + 5 <= bytes.length; ) {
    const flags = bytes[at] ?? 0;
    const length = new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getUint32(0);
    if (flags & 0x02) {
      const error = jsonError(bytes.subarray(at + 5, at + 5 + length), "error");
      return error ?? { code: "ok" };
    }
    at += 5 + length;
  }
  return { code: "no_end_of_stream" };
}

function jsonError(
  bytes: Uint8Array,
  wrapper?: string,
): { code: string; message?: string } | undefined {
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes));
    const error = wrapper ? json?.[wrapper] : json;
    if (typeof error?.code !== "string") return undefined;
    return {
      code: error.code,
      ...(typeof error.message === "string" ? { message: error.message } : {}),
    };
  } catch {
    return undefined;
  }
}

/** grpc-message is percent-encoded. */
function decode(message: string | null | undefined): string | undefined {
  if (!message) return undefined;
  try {
    return decodeURIComponent(message);
  } catch {
    return message;
  }
}
