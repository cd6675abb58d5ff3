/** One server-sent event: the fields an LLM stream uses (`event` and `data`). */
export interface SseEvent {
  /** The `event:` field; absent for the default `message` type (OpenAI sends none). */
  event?: string;
  /** The `data:` lines joined by `\n`. */
  data: string;
}

/** The stream is not one the proxy can parse: an event larger than the limit. */
export class SseFormatError extends Error {
  override name = "SseFormatError";
}

/** Options for {@link createSseParser}. */
export interface SseParserOptions {
  /** Largest event (and largest unterminated line) held in memory. Default 1 MiB. */
  maxEventChars?: number;
}

/** Parses an SSE text stream fed in arbitrary pieces. */
export interface SseParser {
  /** Adds decoded text; returns the events it completed, in order. */
  push(text: string): SseEvent[];
  /** The stream ended: returns an event left without its closing blank line, if any. */
  end(): SseEvent[];
}

/**
 * Creates a parser for the `text/event-stream` format (WHATWG HTML, "Server-sent events"):
 * lines end in CRLF, LF or CR; a blank line dispatches; `:` lines are comments (keep-alives)
 * and are dropped; `id` and `retry` are ignored, since LLM APIs do not resume streams.
 */
export function createSseParser(options: SseParserOptions = {}): SseParser {
  const max = options.maxEventChars ?? 1024 * 1024;
  let buffer = "";
  let data: string[] = [];
  let dataChars = 0;
  let type: string | undefined;

  const dispatch = (out: SseEvent[]) => {
    if (data.length > 0)
      out.push(
        type === undefined ? { data: data.join("\n") } : { event: type, data: data.join("\n") },
      );
    data = [];
    dataChars = 0;
    type = undefined;
  };
  const line = (text: string, out: SseEvent[]) => {
    if (text === "") return dispatch(out);
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      dataChars += value.length + 1;
      if (dataChars > max) throw new SseFormatError(`an event is larger than ${max} characters`);
      data.push(value);
    } else if (field === "event") {
      type = value;
    }
  };

  return {
    push(text) {
      buffer += text;
      const out: SseEvent[] = [];
      for (;;) {
        const end = buffer.search(/\r\n|\n|\r/);
        // A CR at the very end may be the first half of a CRLF: wait for the next piece.
        if (end === -1 || (end === buffer.length - 1 && buffer[end] === "\r")) break;
        const width = buffer.startsWith("\r\n", end) ? 2 : 1;
        line(buffer.slice(0, end), out);
        buffer = buffer.slice(end + width);
      }
      if (buffer.length > max) throw new SseFormatError(`a line is longer than ${max} characters`);
      return out;
    },
    end() {
      const out: SseEvent[] = [];
      if (buffer !== "") line(buffer.replace(/\r$/, ""), out);
      buffer = "";
      dispatch(out);
      return out;
    },
  };
}

/** Formats an event for the wire, `data` split into one `data:` line per line. */
export function formatSseEvent(event: SseEvent): string {
  const head = event.event === undefined ? "" : `event: ${event.event}\n`;
  const lines = event.data.split(/\r\n|\n|\r/).map((l) => `data: ${l}\n`);
  return `${head}${lines.join("")}\n`;
}
