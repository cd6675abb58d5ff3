/**
 * Issue #9, part 2: Vigil's Redact against gitleaks (pinned, built with `go install`) on the
 * same generated corpus. MB/s (10^6 bytes), findings, and recall on the planted values for
 * three ways of running Vigil (in process; `vigil scan` as a process) and `gitleaks dir`.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultRedactPlan } from "../server/src/policy/redact-plan.js";
import { createTextRedactor } from "../server/src/redact/redact-text.js";
import { removeDir, startVigil } from "../test/support/vigil-process.js";
import { type Corpus, generateCorpus, writeCorpus } from "./corpus/corpus.js";
import { ensureGitleaks, runGitleaks } from "./gitleaks/run-gitleaks.js";
import { runVigilScan } from "./gitleaks/run-vigil-scan.js";
import { type Span, type SpanScore, scoreSpans } from "./gitleaks/score-spans.js";
import { row } from "./load.js";

/** One tool's row: its best wall time over `runs` and how its findings score. */
export interface ToolResult {
  tool: string;
  runs: number;
  bestMs: number;
  mbPerSecond: number;
  findings: number;
  /** Recall on every planted value, and on planted secrets only (whole value covered). */
  recall: number;
  secretRecall: number;
  score: SpanScore;
}

/** Everything {@link measureRedactVsGitleaks} measured. */
export interface RedactVsGitleaks {
  gitleaksVersion: string;
  corpusBytes: number;
  files: number;
  planted: number;
  plantedSecrets: number;
  gitleaks: ToolResult;
  /** Findings gitleaks reported on text it decoded (base64, hex): placed on whole lines. */
  gitleaksUnplaced: number;
  vigilScan: ToolResult;
  inProcess: ToolResult;
}

/** Runs `once` until it has run at least twice and for `seconds`, at most five times. */
async function best<T extends { ms: number }>(seconds: number, once: () => Promise<T>) {
  const first = await once();
  let bestRun = first;
  let runs = 1;
  const end = performance.now() + seconds * 1000;
  while (runs < 5 && (runs < 2 || performance.now() < end)) {
    const next = await once();
    runs++;
    if (next.ms < bestRun.ms) bestRun = { ...next };
  }
  return { first, bestMs: bestRun.ms, runs };
}

function toolRow(
  tool: string,
  bytes: number,
  timing: { bestMs: number; runs: number },
  score: SpanScore,
): ToolResult {
  return {
    tool,
    runs: timing.runs,
    bestMs: timing.bestMs,
    mbPerSecond: bytes / 1e6 / (timing.bestMs / 1000),
    findings: score.findings,
    recall: score.covered / score.planted,
    secretRecall: score.secrets.covered / score.secrets.planted,
    score,
  };
}

/**
 * Masks every file's text with the default plan in process, as `vigil scan` has the server do
 * (each file as plain text, so JSON files too), for `seconds` after a scored first pass. Only
 * masking time counts: no file reads, no start-up. `measureRedactInProcess` in `redact.ts` is
 * the Redact RPC's view (chat JSON through `maskJson`); it cannot be imported here because it
 * loads the test helpers, which load vitest.
 */
async function measureInProcess(seconds: number, corpus: Corpus, bytes: number) {
  const redactor = createTextRedactor({ plan: defaultRedactPlan, fingerprintKey: randomBytes(32) });
  const spans: Span[] = [];
  for (const file of corpus.files) {
    for (const f of redactor.redact(file.text).findings) {
      spans.push({ file: file.name, rule: f.detector, start: f.utf16Start, end: f.utf16End });
    }
  }
  let passes = 0;
  let ms = 0;
  const end = performance.now() + seconds * 1000;
  do {
    const started = performance.now();
    for (const file of corpus.files) redactor.redact(file.text);
    ms += performance.now() - started;
    passes++;
    // Yield between passes so a long run does not starve timers.
    await new Promise((resolve) => setImmediate(resolve));
  } while (performance.now() < end);
  return {
    ...toolRow(
      "Vigil in process",
      bytes * passes,
      { bestMs: ms, runs: passes },
      scoreSpans(corpus, spans),
    ),
    bestMs: ms / passes,
  };
}

/** `vigil scan` against a server started once, outside the timed runs, as a CI job would. */
async function timeVigilScan(seconds: number, dir: string, corpus: Corpus) {
  const server = await startVigil({ env: { VIGIL_LOG_LEVEL: "info" } });
  try {
    return await best(seconds, () => runVigilScan(server.baseUrl, dir, corpus.files));
  } finally {
    await server.stop();
    await removeDir(server.dataDir);
  }
}

/**
 * Writes the default corpus (~4 MiB, fixed seed) to a temp dir, then times `gitleaks dir` and
 * `vigil scan` over it (best of 2–5 runs, `seconds` of repeats each) and masks the same texts
 * in process for `seconds`. Builds gitleaks on first use and starts its own server.
 */
export async function measureRedactVsGitleaks(
  seconds: number,
  corpus: Corpus = generateCorpus(),
): Promise<RedactVsGitleaks> {
  const { path: gitleaks, version } = await ensureGitleaks();
  const work = await mkdtemp(join(tmpdir(), "vigil-vs-gitleaks-"));
  const dir = join(work, "corpus");
  try {
    await writeCorpus(corpus, dir);
    // The answer key stays in memory; both scanners should read the corpus and nothing else.
    await rm(join(dir, "manifest.json"));
    const bytes = corpus.files.reduce((sum, f) => sum + Buffer.byteLength(f.text, "utf8"), 0);
    const report = join(work, "gitleaks.json");

    const gl = await best(seconds, () => runGitleaks(gitleaks, dir, report, corpus.files));
    const scan = await timeVigilScan(seconds, dir, corpus);
    const inProcess = await measureInProcess(seconds, corpus, bytes);

    return {
      gitleaksVersion: version,
      corpusBytes: bytes,
      files: corpus.files.length,
      planted: corpus.planted.length,
      plantedSecrets: corpus.planted.filter((p) => p.detector.startsWith("secret.")).length,
      gitleaks: toolRow(
        `gitleaks ${version} dir`,
        bytes,
        gl,
        scoreSpans(corpus, gl.first.findings),
      ),
      gitleaksUnplaced: gl.first.unplaced,
      vigilScan: toolRow(
        "vigil scan (CLI + server)",
        bytes,
        scan,
        scoreSpans(corpus, scan.first.findings),
      ),
      inProcess,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Prints the comparison table, then recall per planted format for the two process rows. */
export function printRedactVsGitleaks(r: RedactVsGitleaks): void {
  const mb = (r.corpusBytes / 1e6).toFixed(2);
  console.log(
    `\nRedact vs gitleaks ${r.gitleaksVersion} (${mb} MB corpus, ${r.files} files, ${r.planted} planted values of which ${r.plantedSecrets} secrets; MB = 10^6 bytes):`,
  );
  const widths = [28, 5, 8, 8, 9, 11, 13];
  console.log(
    row(["tool", "runs", "MB/s", "findings", "recall", "recall sec.", "÷ gitleaks"], widths),
  );
  for (const t of [r.inProcess, r.vigilScan, r.gitleaks]) {
    console.log(
      row(
        [
          t.tool,
          t.runs,
          t.mbPerSecond.toFixed(2),
          t.findings,
          pct(t.recall),
          pct(t.secretRecall),
          `${(t.mbPerSecond / r.gitleaks.mbPerSecond).toFixed(2)}×`,
        ],
        widths,
      ),
    );
  }
  console.log(
    "recall: a finding covers the whole planted value; recall sec.: over planted secret.* only " +
      "(gitleaks has no rules for e-mail, card, IBAN, SSN). Process rows: best wall time, start-up " +
      "included (vigil scan: Node start from dist/ or tsx, one Redact call per file to a warm local server); " +
      "in process: masking time only.",
  );
  const g = r.gitleaks.score;
  const v = r.vigilScan.score;
  console.log(
    `Look-alikes reported: vigil scan ${v.lookAlikesHit}, gitleaks ${g.lookAlikesHit} of ${g.lookAlikes}; ` +
      `findings on filler: vigil scan ${v.stray}, gitleaks ${g.stray}; ` +
      `gitleaks findings on decoded text (placed on whole lines): ${r.gitleaksUnplaced}`,
  );
  console.log("\nCovered planted values per format (vigil scan / gitleaks):");
  const dw = [36, 8, 11, 9];
  console.log(row(["detector", "planted", "vigil scan", "gitleaks"], dw));
  for (const [detector, d] of Object.entries(v.coveredByDetector).sort()) {
    const gd = g.coveredByDetector[detector];
    console.log(row([detector, d.planted, d.covered, gd?.covered ?? 0], dw));
  }
}
