import type { Finding } from "../../../gen/vigil/v1/common_pb.js";

/** A slice of a large file, starting at a line, with where it sits in the whole file. */
export interface ScanPiece {
  text: string;
  /** Offsets of the piece's first character in the whole file. */
  utf16: number;
  bytes: number;
  /** Lines before the piece. */
  lines: number;
  /** Characters of its first line before the piece (0 when it starts at a line start). */
  column: number;
  /** UTF-16 offset up to which the previous piece already reported findings. */
  coveredUntil: number;
}

/** Options for {@link scanPieces}. */
export interface ScanPieceOptions {
  /** Largest piece in UTF-16 code units. Default 1,000,000 (under the server's 4 MiB). */
  maxChars?: number;
  /**
   * How far each piece reaches back into the previous one, so a secret cut at a boundary is
   * seen whole by one of them (a PEM key is a few KiB). Default 16,384.
   */
  overlap?: number;
}

/**
 * Splits a file into line-aligned pieces small enough for one Redact call each. Consecutive
 * pieces overlap by about `overlap` characters; {@link placeFindings} drops what the overlap
 * found twice.
 */
export function scanPieces(text: string, options: ScanPieceOptions = {}): ScanPiece[] {
  const maxChars = options.maxChars ?? 1_000_000;
  const overlap = Math.min(options.overlap ?? 16_384, Math.floor(maxChars / 2));
  const pieces: ScanPiece[] = [];
  // Position bookkeeping moves forward only, so the whole split is linear in the file.
  const at = { utf16: 0, bytes: 0, lines: 0 };
  const advanceTo = (offset: number) => {
    at.bytes += Buffer.byteLength(text.slice(at.utf16, offset), "utf8");
    at.lines += countNewlines(text, at.utf16, offset);
    at.utf16 = offset;
  };
  let start = 0;
  let coveredUntil = 0;
  for (;;) {
    let end = Math.min(text.length, start + maxChars);
    if (end < text.length) {
      // End after the last newline in the piece; a single huge line is cut where it must be,
      // but never between the two halves of a surrogate pair.
      const newline = text.lastIndexOf("\n", end - 1);
      if (newline > start) end = newline + 1;
      else if (isHighSurrogate(text.charCodeAt(end - 1))) end--;
    }
    advanceTo(start);
    pieces.push({
      text: text.slice(start, end),
      utf16: start,
      bytes: at.bytes,
      lines: at.lines,
      column: start - (text.lastIndexOf("\n", start - 1) + 1),
      coveredUntil,
    });
    if (end >= text.length) return pieces;
    coveredUntil = end;
    // Step back by about `overlap`, to a line start when there is one, always moving forward.
    const lineStart = text.lastIndexOf("\n", end - overlap - 1) + 1;
    let next = lineStart > start ? lineStart : Math.max(start + 1, end - overlap);
    if (isLowSurrogate(text.charCodeAt(next))) next++;
    start = next;
  }
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * Moves a piece's findings to whole-file positions, dropping those the previous piece already
 * reported (they lie wholly before `coveredUntil`).
 */
export function placeFindings(piece: ScanPiece, findings: readonly Finding[]): Finding[] {
  return findings.flatMap((finding) => {
    const location = finding.location;
    if (!location) return [finding];
    const utf16End = Number(location.utf16End) + piece.utf16;
    if (piece.utf16 > 0 && utf16End <= piece.coveredUntil) return [];
    return [
      {
        ...finding,
        location: {
          ...location,
          byteStart: location.byteStart + BigInt(piece.bytes),
          byteEnd: location.byteEnd + BigInt(piece.bytes),
          utf16Start: location.utf16Start + BigInt(piece.utf16),
          utf16End: location.utf16End + BigInt(piece.utf16),
          line: location.line + piece.lines,
          column: location.line === 1 ? location.column + piece.column : location.column,
        },
      },
    ];
  });
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf("\n", from); i !== -1 && i < to; i = text.indexOf("\n", i + 1)) {
    count++;
  }
  return count;
}
