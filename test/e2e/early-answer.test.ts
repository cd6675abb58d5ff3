import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { removeDir, startVigil, type VigilProcess } from "../support/vigil-process.js";

// HTTP/1.1 answers sent before the body was read (an oversized message): the client must be
// able to read the answer and finish sending without a reset, and the server must not keep
// draining forever. A raw socket makes the order of events deterministic: the rest of the
// body is sent only after the answer has arrived.

const maxMessageBytes = 64 * 1024;
const bodyBytes = 8 * 1024 * 1024;
const idleMs = 2_000;

let vigil: VigilProcess;
beforeAll(async () => {
  vigil = await startVigil({
    policy: inject("defaultBundlePath"),
    args: ["--max-message-bytes", String(maxMessageBytes)],
  });
});
afterAll(async () => {
  await vigil?.stop();
  if (vigil) await removeDir(vigil.dataDir);
});

/**
 * Opens a connection and starts a gRPC-Web Redact whose one message is larger than the limit.
 * The server reads the first bytes, finds the envelope too long, and answers.
 */
async function startOversizedRequest(): Promise<{ socket: Socket; answer: Promise<string> }> {
  const socket = connect(vigil.port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let received = "";
  const answer = new Promise<string>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      // The answer is chunked; a zero-length chunk ends it.
      if (received.endsWith("\r\n0\r\n\r\n")) resolve(received);
    });
  });
  socket.write(
    [
      "POST /vigil.v1.PolicyService/Redact HTTP/1.1",
      "Host: 127.0.0.1",
      "Content-Type: application/grpc-web+proto",
      `Content-Length: ${bodyBytes}`,
      "",
      "",
    ].join("\r\n"),
  );
  const envelope = Buffer.alloc(1024, "x");
  envelope.writeUInt8(0, 0);
  envelope.writeUInt32BE(bodyBytes - 5, 1);
  socket.write(envelope);
  return { socket, answer };
}

/** Writes `bytes` more in 64 KiB pieces, resolving once all were accepted by the kernel. */
async function send(socket: Socket, bytes: number): Promise<void> {
  const piece = Buffer.alloc(64 * 1024, "x");
  for (let sent = 0; sent < bytes; sent += piece.length) {
    const chunk = piece.subarray(0, Math.min(piece.length, bytes - sent));
    await new Promise<void>((resolve, reject) =>
      socket.write(chunk, (error) => (error ? reject(error) : resolve())),
    );
  }
}

const closed = (socket: Socket) =>
  new Promise<{ hadError: boolean }>((resolve) =>
    socket.once("close", (hadError) => resolve({ hadError })),
  );

describe("an answer sent before the request body was read (HTTP/1.1)", () => {
  it("reaches a client that goes on sending, and the server closes cleanly after the body", async () => {
    const { socket, answer } = await startOversizedRequest();
    const errors: Error[] = [];
    socket.on("error", (error) => errors.push(error));
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).toContain("Connection: close\r\n");
    expect(text).toContain("grpc-status: 8\r\n");
    expect(decodeURIComponent(text)).toContain(
      `grpc-message: message size ${bodyBytes - 5} is larger than configured readMaxBytes ${maxMessageBytes}`,
    );
    const isClosed = closed(socket);
    await send(socket, bodyBytes - 1024);
    socket.end();
    expect(await isClosed).toEqual({ hadError: false });
    expect(errors).toEqual([]);
  });

  it("drops a client that stops sending the rest of its body", async () => {
    const { socket, answer } = await startOversizedRequest();
    socket.on("error", () => {});
    await answer;
    const start = Date.now();
    await closed(socket);
    // The server gave up on its own, after its idle window, while the socket was still open here.
    expect(Date.now() - start).toBeGreaterThanOrEqual(idleMs - 100);
  });

  it("keeps serving afterwards", async () => {
    const res = await fetch(`${vigil.baseUrl}/vigil.v1.PolicyService/Redact`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: { kind: "CONTENT_KIND_LOG", text: "hello" } }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ content: { text: "hello" } });
  });
});
