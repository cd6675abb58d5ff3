import type { IncomingMessage } from "node:http";
import { asObject } from "./llm-api.js";
import { BadRequestError, BodyTooLargeError, CallerClosedError } from "./proxy-errors.js";

/**
 * Reads a request body of at most `maxBytes`; a {@link BodyTooLargeError} (413) as soon as it
 * is over (from `content-length`, before reading, when the caller sends one). Only
 * `content-encoding: identity` is accepted: a compressed body would have to be inflated before
 * it can be masked, and nobody's SDK compresses requests.
 */
export async function readRequestBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  const encoding = request.headers["content-encoding"];
  if (encoding !== undefined && encoding.toLowerCase() !== "identity") {
    throw new BadRequestError(`content-encoding ${encoding} is not accepted; send plain JSON`);
  }
  const declared = Number(request.headers["content-length"] ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of request as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw tooLarge(maxBytes);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw error;
    // The only other way reading fails is the connection going away mid-body.
    throw new CallerClosedError();
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch (error) {
    throw new BadRequestError("the request body is not UTF-8", { cause: error });
  }
}

/** Parses a body that must be a JSON object; a {@link BadRequestError} (400) otherwise. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the body, so it is neither kept as a cause nor logged.
    throw new BadRequestError("the request body is not valid JSON");
  }
  const object = asObject(value);
  if (!object) throw new BadRequestError("the request body must be a JSON object");
  return object;
}

function tooLarge(maxBytes: number): BodyTooLargeError {
  return new BodyTooLargeError(`the request body is over ${maxBytes} bytes (--max-body-bytes)`);
}
