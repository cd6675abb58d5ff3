import { describe, expect, it } from "vitest";
import {
  createSseParser,
  formatSseEvent,
  SseFormatError,
} from "../../server/src/proxy/server-sent-events.js";

/** Feeds `text` to a fresh parser in pieces of `size` characters; every event, in order. */
function parseInPieces(text: string, size: number) {
  const parser = createSseParser();
  const events = [];
  for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
  events.push(...parser.end());
  return events;
}

describe("createSseParser", () => {
  const stream =
    'event: content_block_delta\ndata: {"a":1}\n\n: keep-alive\n\ndata: line one\ndata: line two\n\ndata: [DONE]\n\n';

  it("reads events with their type, joining multi-line data and dropping comments", () => {
    expect(parseInPieces(stream, stream.length)).toEqual([
      { event: "content_block_delta", data: '{"a":1}' },
      { data: "line one\nline two" },
      { data: "[DONE]" },
    ]);
  });

  it("gives the same events however the text is split", () => {
    const whole = parseInPieces(stream, stream.length);
    for (const size of [1, 2, 3, 7, 16]) expect(parseInPieces(stream, size)).toEqual(whole);
  });

  it("accepts CRLF and CR line ends, a CRLF split across pieces included", () => {
    const crlf = 'data: {"x":1}\r\n\r\nevent: ping\rdata: {}\r\r';
    expect(parseInPieces(crlf, 1)).toEqual([{ data: '{"x":1}' }, { event: "ping", data: "{}" }]);
  });

  it("keeps the value after 'data:' with or without the space, and a field without a colon", () => {
    expect(parseInPieces("data:tight\n\ndata\n\n", 4)).toEqual([{ data: "tight" }, { data: "" }]);
  });

  it("dispatches an event the upstream left without its blank line at the end", () => {
    expect(parseInPieces("data: [DONE]", 5)).toEqual([{ data: "[DONE]" }]);
  });

  it("refuses an event larger than the limit instead of holding it", () => {
    const parser = createSseParser({ maxEventChars: 16 });
    expect(() => parser.push(`data: ${"x".repeat(32)}\n`)).toThrow(SseFormatError);
    const lines = createSseParser({ maxEventChars: 16 });
    expect(() => lines.push("x".repeat(17))).toThrow(SseFormatError);
  });
});

describe("formatSseEvent", () => {
  it("writes the type and one data line per line, ending with a blank line", () => {
    expect(formatSseEvent({ event: "message_stop", data: '{"type":"message_stop"}' })).toBe(
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    );
    expect(formatSseEvent({ data: "a\nb" })).toBe("data: a\ndata: b\n\n");
  });

  it("round-trips through the parser", () => {
    const events = [{ event: "x", data: "1\n2" }, { data: "[DONE]" }];
    expect(parseInPieces(events.map(formatSseEvent).join(""), 3)).toEqual(events);
  });
});
