/** What kind of thing a detector finds; also the first part of its id (`secret.github-pat`). */
export type DetectorCategory = "registered" | "secret" | "pii" | "custom";

/**
 * One place in a text where a detector found something. Offsets are JavaScript string indices
 * (UTF-16 code units), `start` inclusive and `end` exclusive; the matched value itself is never
 * stored here, so a match can be logged or returned without leaking it.
 */
export interface DetectorMatch {
  start: number;
  end: number;
  /** Stable detector id: `registered`, `secret.<format>`, `pii.<kind>`, `custom.<id>`. */
  detector: string;
  /** Bumped whenever the detector's behaviour changes, so findings can be compared over time. */
  version: number;
  category: DetectorCategory;
}

/**
 * Finds sensitive values in text. Implementations are pure and synchronous, and must run in
 * time linear in the text's length (no backtracking blow-ups on hostile input).
 */
export interface Detector {
  /** The ids this detector can report (`secret.github-pat`, …), for plans and docs. */
  readonly ids: readonly string[];
  /** Every match in `text`, in any order; overlapping matches are resolved by the caller. */
  detect(text: string): DetectorMatch[];
}
