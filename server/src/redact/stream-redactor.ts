import type { DetectorMatch } from "./detector.js";
import type { TextFinding } from "./mask-text.js";
import type { TextRedactor } from "./redact-text.js";

/** Options for {@link createStreamRedactor}. */
export interface StreamRedactorOptions {
  redactor: TextRedactor;
  /**
   * Characters held back at the end of the input until more arrives, so a secret split across
   * chunks is seen whole before any of it is emitted. It must exceed the longest single-line
   * secret (an Atlassian token is 192 characters, a JWT can run to a few hundred). PEM blocks,
   * which run to thousands of characters, are held from `-----BEGIN` until their `-----END`
   * arrives, whatever this says. Default 1024: streamed model output still flows.
   */
  carryChars?: number;
}

/** Masked output that is safe to emit, with findings located in the whole stream. */
export interface StreamOutput {
  text: string;
  findings: TextFinding[];
}

/** Masks a text stream chunk by chunk; emitted text may lag the input by the carry window. */
export interface StreamRedactor {
  /** Adds a chunk; returns what can be emitted now (possibly empty). */
  push(chunk: string): StreamOutput;
  /** The input is complete: masks and returns everything still held back. */
  end(): StreamOutput;
}

/**
 * Creates a stream redactor. Text is emitted only up to a point where no finding in the held
 * text crosses it, and never closer than `carryChars` to the end of what has arrived, so a
 * partial secret is never emitted.
 */
export function createStreamRedactor(options: StreamRedactorOptions): StreamRedactor {
  const carry = options.carryChars ?? 1024;
  let pending = "";
  // Where `pending` starts in the whole stream.
  let offset = { utf16: 0, byte: 0, line: 1, column: 1 };

  /** Emits `pending` up to `upTo`, masked with the matches already found in `pending`. */
  const emit = (upTo: number, matches: readonly DetectorMatch[]): StreamOutput => {
    const segment = pending.slice(0, upTo);
    const masked = options.redactor.mask(
      segment,
      matches.filter((m) => m.end <= upTo),
    );
    const findings = masked.findings.map((f) => ({
      ...f,
      utf16Start: f.utf16Start + offset.utf16,
      utf16End: f.utf16End + offset.utf16,
      byteStart: f.byteStart + offset.byte,
      byteEnd: f.byteEnd + offset.byte,
      line: f.line + offset.line - 1,
      column: f.line === 1 ? f.column + offset.column - 1 : f.column,
    }));
    offset = advance(offset, segment);
    pending = pending.slice(upTo);
    return { text: masked.text, findings };
  };

  return {
    push(chunk) {
      pending += chunk;
      let boundary = pending.length - carry;
      // An open PEM block is held whole until its END line arrives.
      const begin = pending.lastIndexOf("-----BEGIN");
      if (begin !== -1 && !pemEnd.test(pending.slice(begin))) {
        boundary = Math.min(boundary, begin);
      }
      if (boundary <= 0) return { text: "", findings: [] };
      // A match that straddles the boundary holds everything from its start back; moving the
      // boundary can make an overlapping match straddle it in turn, so repeat until none does.
      const matches = options.redactor.detect(pending);
      for (let moved = true; moved; ) {
        moved = false;
        for (const match of matches) {
          if (match.start < boundary && match.end > boundary) {
            boundary = match.start;
            moved = true;
          }
        }
      }
      // Never split a surrogate pair.
      const code = pending.charCodeAt(boundary);
      if (code >= 0xdc00 && code <= 0xdfff) boundary--;
      return boundary > 0 ? emit(boundary, matches) : { text: "", findings: [] };
    },
    end: () => emit(pending.length, options.redactor.detect(pending)),
  };
}

/** A complete PEM END line; until one arrives, the block is still open. */
const pemEnd = /-----END [A-Z0-9 ]{0,60}-----/;

/** The position just past `text`, starting from `from`. */
function advance(
  from: { utf16: number; byte: number; line: number; column: number },
  text: string,
) {
  const lastNewline = text.lastIndexOf("\n");
  let lines = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
  return {
    utf16: from.utf16 + text.length,
    byte: from.byte + Buffer.byteLength(text, "utf8"),
    line: from.line + lines,
    column: lastNewline === -1 ? from.column + text.length : text.length - lastNewline,
  };
}
