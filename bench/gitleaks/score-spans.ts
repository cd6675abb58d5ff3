/**
 * Scoring any scanner's findings against the corpus's answer key, in one coordinate system:
 * UTF-16 offsets in a file's text as written to disk. That is where the generator records each
 * planted value (`start`/`end`, the escaped form in JSON files), so gitleaks, which reads raw
 * bytes, and `vigil scan`, which sends every file as text, are scored the same way.
 */
import type { Corpus } from "../corpus/corpus.js";

/** A finding placed in a file: `[start, end)` in UTF-16 code units of the file's text. */
export interface Span {
  file: string;
  rule: string;
  start: number;
  end: number;
}

/** How a scanner's findings line up with the planted values and the look-alikes. */
export interface SpanScore {
  findings: number;
  /** Planted values of any kind (secrets and personal data). */
  planted: number;
  /** Planted values some finding covers whole, whatever its rule: the value would not leak. */
  covered: number;
  /** Planted values some finding overlaps (a partial match still alerts a human). */
  touched: number;
  /** The same three counts over planted secrets only (`secret.*`), the part gitleaks targets. */
  secrets: { planted: number; covered: number; touched: number };
  /** Covered planted values per Vigil detector id, to show which formats each tool misses. */
  coveredByDetector: Record<string, { planted: number; covered: number }>;
  /** Look-alikes some finding overlaps: false positives. */
  lookAlikesHit: number;
  lookAlikes: number;
  /** Findings touching neither a planted value nor a look-alike. */
  stray: number;
}

/** Scores `spans` against the planted values and look-alikes of `corpus`. */
export function scoreSpans(corpus: Corpus, spans: readonly Span[]): SpanScore {
  const byFile = new Map<string, Span[]>();
  for (const s of spans) {
    const list = byFile.get(s.file) ?? [];
    list.push(s);
    byFile.set(s.file, list);
  }
  const explained = new Set<Span>();
  const score: SpanScore = {
    findings: spans.length,
    planted: corpus.planted.length,
    covered: 0,
    touched: 0,
    secrets: { planted: 0, covered: 0, touched: 0 },
    coveredByDetector: {},
    lookAlikesHit: 0,
    lookAlikes: corpus.lookAlikes.length,
    stray: 0,
  };
  for (const p of corpus.planted) {
    const inFile = byFile.get(p.file) ?? [];
    const hits = inFile.filter((s) => s.start < p.end && p.start < s.end);
    for (const s of hits) explained.add(s);
    const covered = hits.some((s) => s.start <= p.start && s.end >= p.end);
    const secret = p.detector.startsWith("secret.");
    const d = score.coveredByDetector[p.detector] ?? { planted: 0, covered: 0 };
    d.planted++;
    if (secret) score.secrets.planted++;
    if (covered) {
      d.covered++;
      score.covered++;
      if (secret) score.secrets.covered++;
    }
    if (hits.length > 0) {
      score.touched++;
      if (secret) score.secrets.touched++;
    }
    score.coveredByDetector[p.detector] = d;
  }
  for (const l of corpus.lookAlikes) {
    const hits = (byFile.get(l.file) ?? []).filter((s) => s.start < l.end && l.start < s.end);
    if (hits.length > 0) score.lookAlikesHit++;
    for (const s of hits) explained.add(s);
  }
  score.stray = spans.filter((s) => !explained.has(s)).length;
  return score;
}

/**
 * Turns UTF-8 byte offsets into UTF-16 offsets in `text`, for scanners that report bytes.
 * One forward walk over the text for all offsets, so a large file costs one pass.
 */
export function utf16Offsets(text: string, byteOffsets: readonly number[]): number[] {
  if (Buffer.byteLength(text, "utf8") === text.length) return [...byteOffsets];
  const order = byteOffsets
    .map((_, i) => i)
    .sort((a, b) => (byteOffsets[a] ?? 0) - (byteOffsets[b] ?? 0));
  const out = new Array<number>(byteOffsets.length).fill(text.length);
  let bytes = 0;
  let i = 0;
  for (const k of order) {
    const target = byteOffsets[k] ?? 0;
    while (bytes < target && i < text.length) {
      const cp = text.codePointAt(i) ?? 0;
      bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      i += cp >= 0x10000 ? 2 : 1;
    }
    out[k] = i;
  }
  return out;
}

/** UTF-16 offset of the start of each line (index 0 is line 1). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}
