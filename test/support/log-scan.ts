import type { DetectorMatch } from "../../server/src/redact/detector.js";
import { createRegisteredValuesDetector } from "../../server/src/redact/registered-values.js";
import { createSecretDetector } from "../../server/src/redact/secret-detector.js";
import type { PlantedSecret } from "./planted-secrets.js";

/** One secret found in a log. Carries the value only masked, so a report cannot leak it. */
export interface LogFinding {
  /** The log file, as passed to {@link LogScanner.scan}. */
  file: string;
  /** 1-based line number in the file. */
  line: number;
  /** `planted: <name>` for a listed value, else the detector id (`secret.github-pat`). */
  detector: string;
  /** The first four characters and the length, e.g. `ghp_… (40 chars)`. */
  masked: string;
}

/** A value that a detector reports in a log and that is known not to be a secret. */
export interface AllowedValue {
  /** The detector id that reports it. */
  detector: string;
  /** Matches the whole reported value. */
  value: RegExp;
  /** Why the value is not a secret; required so an allowlist entry cannot hide a real leak. */
  reason: string;
}

/** Options for {@link createLogScanner}. */
export interface LogScannerOptions {
  /** Exact values to find, with their encodings (base64, URL, JSON, hex). Default: none. */
  planted?: readonly PlantedSecret[];
  /** Detector findings to ignore. Never applies to planted values. Default: none. */
  allowed?: readonly AllowedValue[];
}

/** Scans log text for secrets. */
export interface LogScanner {
  /** Every secret in `text`, the contents of `file`, in order of position. */
  scan(file: string, text: string): LogFinding[];
}

/** Shows a secret's shape without the secret: its first four characters and its length. */
export function maskValue(value: string): string {
  return `${value.slice(0, 4)}… (${value.length} chars)`;
}

/** One report line: `file:line: detector value`. */
export function formatFinding(finding: LogFinding): string {
  return `${finding.file}:${finding.line}: ${finding.detector} ${finding.masked}`;
}

/** Offsets at which each line of `text` starts, for turning offsets into line numbers. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) {
    starts.push(at + 1);
  }
  return starts;
}

/** The 1-based line holding `offset`: the last start at or before it (binary search). */
function lineOf(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if ((starts[middle] ?? 0) <= offset) low = middle;
    else high = middle - 1;
  }
  return low + 1;
}

/**
 * Creates a scanner that runs Vigil's own credential detectors and a search for every planted
 * value in each encoding the `registered` detector knows (base64, URL, JSON, hex). PII
 * detectors are left out on purpose: logs are full of principal ids that are e-mail
 * addresses and of loopback IPs, and none of them is a credential.
 */
export function createLogScanner(options: LogScannerOptions = {}): LogScanner {
  const planted = options.planted ?? [];
  // Planted values are chosen by the tests, so short ones count too.
  const registered = (values: readonly PlantedSecret[]) =>
    createRegisteredValuesDetector({ values, minLength: 1 });
  // One automaton finds every planted value in a single pass over the logs; a hit, which is
  // rare, is then named by trying each value alone on the hit's text.
  const anyPlanted = planted.length > 0 ? registered(planted) : undefined;
  const eachPlanted = planted.map((secret) => ({
    label: `planted: ${secret.name}`,
    detector: registered([secret]),
  }));
  const plantedLabel = (value: string) =>
    eachPlanted.find(({ detector }) => detector.detect(value).length > 0)?.label ?? "planted";
  const secrets = createSecretDetector();
  const allowed = options.allowed ?? [];
  const isAllowed = (match: DetectorMatch, value: string) =>
    allowed.some((entry) => entry.detector === match.detector && entry.value.test(value));

  return {
    scan(file, text) {
      const found: { match: DetectorMatch; label: string }[] = [];
      for (const match of anyPlanted?.detect(text) ?? []) {
        found.push({ match, label: plantedLabel(text.slice(match.start, match.end)) });
      }
      for (const match of secrets.detect(text)) {
        if (!isAllowed(match, text.slice(match.start, match.end))) {
          found.push({ match, label: match.detector });
        }
      }
      // Planted values come first, so where a detector finds the same span the report names
      // the test that planted it; any other overlap is one leak, reported once.
      const kept: typeof found = [];
      for (const candidate of found) {
        const overlaps = kept.some(
          ({ match }) => candidate.match.start < match.end && match.start < candidate.match.end,
        );
        if (!overlaps) kept.push(candidate);
      }
      kept.sort((a, b) => a.match.start - b.match.start);
      const starts = lineStarts(text);
      return kept.map(({ match, label }) => ({
        file,
        line: lineOf(starts, match.start),
        detector: label,
        masked: maskValue(text.slice(match.start, match.end)),
      }));
    },
  };
}
