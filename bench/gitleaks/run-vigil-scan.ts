/**
 * Running `vigil scan <dir>` as a separate process against an already running server: the
 * like-for-like counterpart of a `gitleaks dir` run, Node and tsx start-up included.
 */
import { join, relative } from "node:path";
import { projectRoot } from "../../server/src/main.js";
import type { CorpusFile } from "../corpus/corpus.js";
import { timeProcess } from "./run-gitleaks.js";
import { type Span, utf16Offsets } from "./score-spans.js";

/** The fields of `vigil scan --format json` output that the bench reads. */
interface ScanResult {
  path: string;
  findings: { detector: string; byteStart: number; byteEnd: number }[];
}

/** One timed `vigil scan` run. */
export interface VigilScanRun {
  ms: number;
  findings: Span[];
}

/** Scans `dir` once with `bin/vigil.js scan --format json` against the server at `baseUrl`. */
export async function runVigilScan(
  baseUrl: string,
  dir: string,
  files: readonly CorpusFile[],
): Promise<VigilScanRun> {
  const chunks: Buffer[] = [];
  const args = [join(projectRoot, "bin/vigil.js"), "scan", dir, "--server", baseUrl];
  args.push("--format", "json");
  const { ms, code, stderr } = await timeProcess(process.execPath, args, (c) => chunks.push(c));
  // Exit code 1 means "found something", which on this corpus is the expected outcome.
  if (code !== 0 && code !== 1) throw new Error(`vigil scan exited with ${code}: ${stderr}`);
  const results = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ScanResult[];
  const texts = new Map(files.map((f) => [f.name, f.text]));
  const findings: Span[] = [];
  for (const r of results) {
    const file = relative(dir, r.path);
    const text = texts.get(file);
    if (text === undefined) continue;
    // The CLI reports UTF-8 byte offsets; the answer key is in UTF-16 code units.
    const offsets = utf16Offsets(
      text,
      r.findings.flatMap((f) => [f.byteStart, f.byteEnd]),
    );
    r.findings.forEach((f, i) => {
      findings.push({
        file,
        rule: f.detector,
        start: offsets[2 * i] ?? 0,
        end: offsets[2 * i + 1] ?? 0,
      });
    });
  }
  return { ms, findings };
}
