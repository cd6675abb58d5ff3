/**
 * Running the pinned gitleaks (`scripts/setup-gitleaks.sh`) over a corpus directory, timing
 * the whole process, and placing its findings in the files so they can be scored like Vigil's.
 */
import { execFile, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../../server/src/main.js";
import type { CorpusFile } from "../corpus/corpus.js";
import { lineStarts, type Span } from "./score-spans.js";

/** The fields of a gitleaks v8 JSON report entry that the bench reads. */
interface GitleaksFinding {
  RuleID: string;
  File: string;
  StartLine: number;
  EndLine: number;
  Match: string;
  Secret: string;
}

/** One timed `gitleaks dir` run. */
export interface GitleaksRun {
  ms: number;
  findings: Span[];
  /** Findings whose secret was not found verbatim on their lines (placed on the whole lines). */
  unplaced: number;
}

/** `.tools/bin/gitleaks`, built by the setup script if missing or of another version. */
export async function ensureGitleaks(): Promise<{ path: string; version: string }> {
  const run = promisify(execFile);
  await run("bash", [join(projectRoot, "scripts/setup-gitleaks.sh")], { cwd: projectRoot });
  const path = join(projectRoot, ".tools/bin/gitleaks");
  const { stdout } = await run(path, ["version"]);
  return { path, version: stdout.trim() };
}

/** Runs `command` to completion and resolves with its wall time; exit codes are the caller's. */
export function timeProcess(
  command: string,
  args: string[],
  onStdout?: (chunk: Buffer) => void,
): Promise<{ ms: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => onStdout?.(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ ms: performance.now() - started, code, stderr }));
  });
}

/**
 * Scans `dir` once with gitleaks' default rules (and its default decoding of base64, hex and
 * percent-encoded text, up to depth 5) and reads back the JSON report from `reportPath`.
 */
export async function runGitleaks(
  gitleaks: string,
  dir: string,
  reportPath: string,
  files: readonly CorpusFile[],
): Promise<GitleaksRun> {
  const args = ["dir", dir, "--no-banner", "--log-level", "error"];
  args.push("--report-format", "json", "--report-path", reportPath);
  const { ms, code, stderr } = await timeProcess(gitleaks, args);
  // Exit code 1 means "leaks found", which on this corpus is the expected outcome.
  if (code !== 0 && code !== 1) throw new Error(`gitleaks exited with ${code}: ${stderr}`);
  const report = JSON.parse(await readFile(reportPath, "utf8")) as GitleaksFinding[];
  const texts = new Map(files.map((f) => [f.name, f.text]));
  const placed = placeGitleaksFindings(report, dir, texts);
  return { ms, ...placed };
}

/**
 * Finds each gitleaks secret on the lines gitleaks reports (its columns count bytes with
 * rule-dependent offsets, so the text itself is the reliable anchor). A secret that gitleaks
 * decoded from base64 or hex is not in the file verbatim: it is placed on its whole lines.
 */
function placeGitleaksFindings(
  report: readonly GitleaksFinding[],
  dir: string,
  texts: ReadonlyMap<string, string>,
): { findings: Span[]; unplaced: number } {
  const starts = new Map<string, number[]>();
  const taken = new Set<string>();
  const findings: Span[] = [];
  let unplaced = 0;
  for (const f of report) {
    const file = relative(dir, f.File);
    const text = texts.get(file);
    if (text === undefined) continue;
    const lines = starts.get(file) ?? lineStarts(text);
    starts.set(file, lines);
    const from = lines[f.StartLine - 1] ?? 0;
    const to = lines[f.EndLine] ?? text.length;
    const needle = f.Secret.length > 0 ? f.Secret : f.Match;
    // Several findings can share a secret on one line: give each its own occurrence.
    let at = text.indexOf(needle, from);
    while (at !== -1 && at < to && taken.has(`${file}:${at}:${needle.length}`)) {
      at = text.indexOf(needle, at + 1);
    }
    if (at !== -1 && at + needle.length <= to) {
      taken.add(`${file}:${at}:${needle.length}`);
      findings.push({ file, rule: f.RuleID, start: at, end: at + needle.length });
    } else {
      unplaced++;
      findings.push({ file, rule: f.RuleID, start: from, end: to });
    }
  }
  return { findings, unplaced };
}
