import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  BadRequestError,
  BodyTooLargeError,
  CallerClosedError,
} from "../../server/src/proxy/proxy-errors.js";
import { parseJsonObject, readRequestBody } from "../../server/src/proxy/request-body.js";

/** A request body as a stream of `chunks`, with `headers`. */
function request(
  chunks: (string | Error)[],
  headers: Record<string, string> = {},
): IncomingMessage {
  const stream = Readable.from(
    (async function* () {
      for (const chunk of chunks) {
        if (chunk instanceof Error) throw chunk;
        yield Buffer.from(chunk);
      }
    })(),
  );
  return Object.assign(stream, { headers }) as unknown as IncomingMessage;
}

describe("readRequestBody", () => {
  it("reads a body in pieces", async () => {
    expect(await readRequestBody(request(['{"a":', "1}"]), 100)).toBe('{"a":1}');
  });

  it("refuses a body over the limit, before reading when content-length says so", async () => {
    await expect(readRequestBody(request(["x".repeat(11)]), 10)).rejects.toBeInstanceOf(
      BodyTooLargeError,
    );
    await expect(readRequestBody(request([], { "content-length": "11" }), 10)).rejects.toThrow(
      /--max-body-bytes/,
    );
  });

  it("refuses a compressed body and bytes that are not UTF-8", async () => {
    await expect(
      readRequestBody(request(["{}"], { "content-encoding": "gzip" }), 10),
    ).rejects.toBeInstanceOf(BadRequestError);
    const bad = Object.assign(Readable.from([Buffer.from([0xff, 0xfe])]), { headers: {} });
    await expect(readRequestBody(bad as unknown as IncomingMessage, 10)).rejects.toThrow(/UTF-8/);
  });

  it("reports a connection lost mid-body as the caller closing", async () => {
    await expect(readRequestBody(request(["{", new Error("aborted")]), 100)).rejects.toBeInstanceOf(
      CallerClosedError,
    );
  });
});

describe("parseJsonObject", () => {
  it("takes a JSON object and nothing else, without quoting the body in the error", () => {
    expect(parseJsonObject('{"model":"m"}')).toEqual({ model: "m" });
    expect(() => parseJsonObject("[1]")).toThrow(/JSON object/);
    expect(() => parseJsonObject('{"key": ghp_notjson')).toThrow(
      "the request body is not valid JSON",
    );
  });
});
