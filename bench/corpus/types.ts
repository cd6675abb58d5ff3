/**
 * The corpus's public shapes: the generated files and the answer key that says where each
 * planted value and look-alike sits in them.
 */

/** What a corpus file holds; it decides the file's extension and how values are written. */
export type CorpusKind = "prompt" | "chat" | "log" | "env" | "yaml" | "source";

/** Values that look like secrets or personal data but are not, grouped by why. */
export type LookAlikeKind =
  | "uuid"
  | "git-sha"
  | "sha256"
  | "trace-id"
  | "version"
  | "placeholder"
  | "public-key"
  | "bad-checksum";

/** One generated file. `name` is a bare file name with an extension matching `kind`. */
export interface CorpusFile {
  name: string;
  kind: CorpusKind;
  text: string;
}

/** Where a value sits inside a JSON string value: RFC 6901 pointer and UTF-16 offsets in it. */
export interface JsonPlace {
  pointer: string;
  start: number;
  end: number;
}

/**
 * A planted value: the detector id Vigil should report it under, and its UTF-16 offsets in
 * the file's text (`end` exclusive), which is the span a detector should report. In a JSON file
 * `start`/`end` cover the value as escaped in the file and `json` locates it in the decoded
 * string, where `maskJson` reports it.
 */
export interface PlantedSecret {
  file: string;
  detector: string;
  start: number;
  end: number;
  json?: JsonPlace;
}

/** A look-alike that no detector should report, located like a {@link PlantedSecret}. */
export interface LookAlike {
  file: string;
  kind: LookAlikeKind;
  start: number;
  end: number;
  json?: JsonPlace;
}

/** A generated corpus and the answer key for it. */
export interface Corpus {
  files: CorpusFile[];
  planted: PlantedSecret[];
  lookAlikes: LookAlike[];
}
