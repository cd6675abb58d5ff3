/**
 * Building a file's text while recording where planted values and look-alikes went, including
 * through JSON string escaping, so the answer key's offsets match the bytes written.
 */
import type { Piece } from "./formats.js";
import type { JsonPlace } from "./types.js";

/** Where a planted value (`label` is its detector id) or a look-alike (its kind) was written. */
export interface Mark {
  role: "secret" | "look-alike";
  label: string;
  start: number;
  end: number;
  json?: JsonPlace;
}

/** Accumulates text and remembers where planted values and look-alikes went. */
export class TextBuilder {
  /** The marks so far, in the order they were written. */
  readonly marks: Mark[] = [];
  private readonly parts: string[] = [];
  /** Length of the text so far, in UTF-16 code units. */
  length = 0;

  /** Appends plain text. */
  add(text: string): void {
    this.parts.push(text);
    this.length += text.length;
  }

  /** Appends `text` and records its span as a {@link Mark}. */
  mark(role: Mark["role"], label: string, text: string): void {
    const start = this.length;
    this.add(text);
    this.marks.push({ role, label, start, end: this.length });
  }

  /** Writes pieces, each transformed (indented, escaped) first; `{ secret }` ones are marked. */
  pieces(detector: string, pieces: readonly Piece[], transform = (s: string) => s): void {
    for (const piece of pieces) {
      if (typeof piece === "string") this.add(transform(piece));
      else this.mark("secret", detector, transform(piece.secret));
    }
  }

  /** Appends `content` as a JSON string literal, moving its marks to escaped file offsets. */
  jsonString(content: TextBuilder, pointer: string): void {
    const text = content.text();
    const escaped = (s: string) => JSON.stringify(s).length - 2;
    const base = this.length + 1;
    this.add(JSON.stringify(text));
    for (const m of content.marks) {
      const start = base + escaped(text.slice(0, m.start));
      const end = start + escaped(text.slice(m.start, m.end));
      this.marks.push({ ...m, start, end, json: { pointer, start: m.start, end: m.end } });
    }
  }

  /** Everything appended so far. */
  text(): string {
    return this.parts.join("");
  }
}
