/**
 * The Redact section of `npm run bench`: in-process masking throughput over the generated
 * corpus (whole and per file kind), recall on the values planted in it and findings on its
 * look-alikes, then latency and throughput of the Redact RPC against a real server. Numbers,
 * never assertions: a recall below 100% is a finding to report, not a failure.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { ContentKind } from "../gen/vigil/v1/common_pb.js";
import { PolicyService, type RedactRequestSchema } from "../gen/vigil/v1/policy_service_pb.js";
import { defaultRedactPlan } from "../server/src/policy/redact-plan.js";
import { maskJson } from "../server/src/redact/mask-json.js";
import { createTextRedactor, type TextRedactor } from "../server/src/redact/redact-text.js";
import { removeDir, startVigil } from "../test/support/vigil-process.js";
import {
  type Corpus,
  type CorpusFile,
  type CorpusKind,
  generateCorpus,
  generateFile,
  type JsonPlace,
  promptWithTwoSecrets,
} from "./corpus/corpus.js";
import { type LoadResult, load, row } from "./load.js";

/** Masking speed over the files of one kind (or `all`). MB are 10^6 bytes of UTF-8. */
export interface KindThroughput {
  kind: CorpusKind | "all";
  files: number;
  bytes: number;
  mbPerSecond: number;
}

/** How many planted values of one detector id were reported under that id. */
export interface DetectorRecall {
  detector: string;
  planted: number;
  /** Covered by a finding of the expected detector. */
  found: number;
  /** Covered by some finding, of any detector: the value did not pass. */
  masked: number;
  /** Planted values not found, by the kind of file they were in. */
  missedIn: Partial<Record<CorpusKind, number>>;
}

/** How many look-alikes of one kind some finding overlapped, and which detectors did it. */
export interface LookAlikeReport {
  kind: string;
  count: number;
  reported: number;
  byDetector: Record<string, number>;
}

/** Everything {@link measureRedactInProcess} measured. */
export interface InProcessRedact {
  corpusBytes: number;
  files: number;
  passes: number;
  throughput: KindThroughput[];
  recall: DetectorRecall[];
  lookAlikes: LookAlikeReport[];
  /** Findings touching neither a planted value nor a look-alike, by detector. */
  unplanned: Record<string, number>;
  findings: number;
}

/** One latency or throughput row; `mbPerSecond` when the row is about bytes. */
export interface RedactLoadRow extends LoadResult {
  mbPerSecond?: number;
}

/** Everything {@link measureRedactLatency} measured. */
export interface RedactLatency {
  promptBytes: number;
  logBytes: number;
  /** Findings the server returned for the prompt and for the log, as a sanity check. */
  promptFindings: number;
  logFindings: number;
  logPlanted: number;
  rows: RedactLoadRow[];
}

/** A finding located in a file: UTF-16 offsets in the text, or in a JSON string value. */
interface Located {
  detector: string;
  pointer: string | undefined;
  start: number;
  end: number;
}

const utf8 = (text: string) => Buffer.byteLength(text, "utf8");

/** Masks one file as the Redact RPC would: JSON through `maskJson`, the rest as text. */
function redactFile(redactor: TextRedactor, file: CorpusFile): Located[] {
  if (file.kind === "chat") {
    const masked = maskJson(file.text, "content.json", {
      redactor,
      excludeFields: defaultRedactPlan.excludeFields,
    });
    return masked.findings.map((f) => ({
      detector: f.detector,
      pointer: f.jsonPointer,
      start: f.utf16Start,
      end: f.utf16End,
    }));
  }
  return redactor.redact(file.text).findings.map((f) => ({
    detector: f.detector,
    pointer: undefined,
    start: f.utf16Start,
    end: f.utf16End,
  }));
}

/** Where a planted value is in the coordinates its findings use. */
function placeOf(p: { start: number; end: number; json?: JsonPlace }) {
  return p.json ?? { pointer: undefined, start: p.start, end: p.end };
}

function covers(f: Located, p: { pointer: string | undefined; start: number; end: number }) {
  return f.pointer === p.pointer && f.start <= p.start && f.end >= p.end;
}

function overlaps(f: Located, p: { pointer: string | undefined; start: number; end: number }) {
  return f.pointer === p.pointer && f.start < p.end && p.start < f.end;
}

function score(corpus: Corpus, findings: Map<string, Located[]>) {
  const kindOf = new Map(corpus.files.map((f) => [f.name, f.kind]));
  const recall = new Map<string, DetectorRecall>();
  const looks = new Map<string, LookAlikeReport>();
  const explained = new Map<string, Set<Located>>();
  const explain = (file: string, f: Located) => {
    const set = explained.get(file) ?? new Set();
    set.add(f);
    explained.set(file, set);
  };
  for (const p of corpus.planted) {
    const place = placeOf(p);
    const inFile = findings.get(p.file) ?? [];
    const r = recall.get(p.detector) ?? {
      detector: p.detector,
      planted: 0,
      found: 0,
      masked: 0,
      missedIn: {},
    };
    r.planted++;
    if (inFile.some((f) => f.detector === p.detector && covers(f, place))) r.found++;
    else {
      const kind = kindOf.get(p.file) ?? "prompt";
      r.missedIn[kind] = (r.missedIn[kind] ?? 0) + 1;
    }
    if (inFile.some((f) => covers(f, place))) r.masked++;
    for (const f of inFile) if (overlaps(f, place)) explain(p.file, f);
    recall.set(p.detector, r);
  }
  for (const l of corpus.lookAlikes) {
    const place = placeOf(l);
    const report = looks.get(l.kind) ?? { kind: l.kind, count: 0, reported: 0, byDetector: {} };
    report.count++;
    const hits = (findings.get(l.file) ?? []).filter((f) => overlaps(f, place));
    if (hits.length > 0) report.reported++;
    for (const f of hits) {
      report.byDetector[f.detector] = (report.byDetector[f.detector] ?? 0) + 1;
      explain(l.file, f);
    }
    looks.set(l.kind, report);
  }
  const unplanned: Record<string, number> = {};
  let total = 0;
  for (const [file, list] of findings) {
    total += list.length;
    for (const f of list) {
      if (!explained.get(file)?.has(f)) unplanned[f.detector] = (unplanned[f.detector] ?? 0) + 1;
    }
  }
  return {
    recall: [...recall.values()].sort((a, b) => a.detector.localeCompare(b.detector)),
    lookAlikes: [...looks.values()].sort((a, b) => a.kind.localeCompare(b.kind)),
    unplanned,
    findings: total,
  };
}

/**
 * Masks the generated corpus (~4 MiB) with the default plan, in process, repeating it for
 * `seconds`; the first pass, which also warms up the JIT, is the one scored for recall.
 */
export async function measureRedactInProcess(
  seconds: number,
  corpus: Corpus = generateCorpus(),
): Promise<InProcessRedact> {
  const redactor = createTextRedactor({
    plan: defaultRedactPlan,
    fingerprintKey: randomBytes(32),
  });
  const findings = new Map<string, Located[]>();
  for (const file of corpus.files) findings.set(file.name, redactFile(redactor, file));

  const perKind = new Map<CorpusKind, { files: number; bytes: number; ms: number }>();
  for (const file of corpus.files) {
    const k = perKind.get(file.kind) ?? { files: 0, bytes: 0, ms: 0 };
    k.files++;
    k.bytes += utf8(file.text);
    perKind.set(file.kind, k);
  }
  let passes = 0;
  const end = performance.now() + seconds * 1000;
  do {
    for (const file of corpus.files) {
      const t = performance.now();
      redactFile(redactor, file);
      const k = perKind.get(file.kind);
      if (k) k.ms += performance.now() - t;
    }
    passes++;
    // Yield between passes so a long run does not starve timers or the log stream.
    await new Promise((resolve) => setImmediate(resolve));
  } while (performance.now() < end);

  const throughput: KindThroughput[] = [...perKind].map(([kind, k]) => ({
    kind,
    files: k.files,
    bytes: k.bytes,
    mbPerSecond: (k.bytes * passes) / 1e6 / (k.ms / 1000),
  }));
  const all = [...perKind.values()].reduce(
    (sum, k) => ({ files: sum.files + k.files, bytes: sum.bytes + k.bytes, ms: sum.ms + k.ms }),
    { files: 0, bytes: 0, ms: 0 },
  );
  throughput.push({
    kind: "all",
    files: all.files,
    bytes: all.bytes,
    mbPerSecond: (all.bytes * passes) / 1e6 / (all.ms / 1000),
  });
  return {
    corpusBytes: all.bytes,
    files: all.files,
    passes,
    throughput,
    ...score(corpus, findings),
  };
}

function redactRequest(
  kind: ContentKind,
  value: string,
): MessageInitShape<typeof RedactRequestSchema> {
  return { content: { kind, body: { case: "text", value } } };
}

/**
 * Latency of masking a 2 KiB prompt holding two secrets, in process and over the Redact RPC
 * (Connect over HTTP/2 and gRPC, concurrency 1 and 16), then the RPC's throughput on a
 * 256 KiB log at concurrency 4. Starts its own server; `seconds` per run.
 */
export async function measureRedactLatency(seconds: number): Promise<RedactLatency> {
  const prompt = promptWithTwoSecrets().files[0]?.text ?? "";
  const log = generateFile({ kind: "log", bytes: 256 * 1024, seed: 0x106 });
  const logText = log.files[0]?.text ?? "";
  const rows: RedactLoadRow[] = [];

  const redactor = createTextRedactor({ plan: defaultRedactPlan, fingerprintKey: randomBytes(32) });
  for (let i = 0; i < 500; i++) redactor.redact(prompt);
  rows.push(
    await load("in process (default plan)", 1, seconds, async () => redactor.redact(prompt)),
  );

  const vigil = await startVigil({ env: { VIGIL_LOG_LEVEL: "info" } });
  try {
    const clients: [string, Client<typeof PolicyService>][] = [
      [
        "Connect h2",
        createClient(
          PolicyService,
          createConnectTransport({ baseUrl: vigil.baseUrl, httpVersion: "2" }),
        ),
      ],
      ["gRPC", createClient(PolicyService, createGrpcTransport({ baseUrl: vigil.baseUrl }))],
    ];
    const promptRequest = redactRequest(ContentKind.PROMPT, prompt);
    const logRequest = redactRequest(ContentKind.LOG, logText);
    let promptFindings = 0;
    let logFindings = 0;
    for (const [, client] of clients) {
      for (let i = 0; i < 50; i++) await client.redact(promptRequest);
      promptFindings = (await client.redact(promptRequest)).findings.length;
      logFindings = (await client.redact(logRequest)).findings.length;
    }
    for (const [name, client] of clients) {
      for (const c of [1, 16]) {
        rows.push(await load(`RPC ${name}`, c, seconds, () => client.redact(promptRequest)));
      }
    }
    for (const [name, client] of clients) {
      const r = await load(`RPC ${name}, 256 KiB log`, 4, seconds, () => client.redact(logRequest));
      rows.push({ ...r, mbPerSecond: (r.perSecond * utf8(logText)) / 1e6 });
    }
    return {
      promptBytes: utf8(prompt),
      logBytes: utf8(logText),
      promptFindings,
      logFindings,
      logPlanted: log.planted.length,
      rows,
    };
  } finally {
    await vigil.stop();
    await removeDir(vigil.dataDir);
  }
}

const pct = (n: number, of: number) => (of === 0 ? "-" : `${((100 * n) / of).toFixed(1)}%`);

/** Prints the in-process tables: throughput, recall, look-alikes. */
export function printRedactInProcess(r: InProcessRedact): void {
  const mib = (r.corpusBytes / 1024 / 1024).toFixed(1);
  console.log(
    `Redact in process (default plan; ${mib} MiB corpus, ${r.files} files, ${r.passes} passes; MB = 10^6 bytes):`,
  );
  const tw = [10, 6, 10, 9];
  console.log(row(["kind", "files", "KiB", "MB/s"], tw));
  for (const t of r.throughput) {
    console.log(row([t.kind, t.files, (t.bytes / 1024).toFixed(0), t.mbPerSecond.toFixed(1)], tw));
  }

  console.log("\nRecall on planted values (a finding of the expected detector covers the value):");
  const rw = [36, 8, 7, 8, 8, 0];
  console.log(row(["detector", "planted", "found", "recall", "masked", "  missed in"], rw));
  for (const d of r.recall) {
    const missed = Object.entries(d.missedIn)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(", ");
    console.log(
      row(
        [
          d.detector,
          d.planted,
          d.found,
          pct(d.found, d.planted),
          pct(d.masked, d.planted),
          `  ${missed}`,
        ],
        rw,
      ),
    );
  }

  console.log("\nLook-alikes (no finding should touch them):");
  const lw = [14, 7, 9, 0];
  console.log(row(["kind", "count", "reported", "  by"], lw));
  for (const l of r.lookAlikes) {
    const by = Object.entries(l.byDetector)
      .map(([d, n]) => `${d} ${n}`)
      .join(", ");
    console.log(row([l.kind, l.count, l.reported, `  ${by}`], lw));
  }
  const unplanned = Object.entries(r.unplanned);
  const stray = unplanned.reduce((sum, [, n]) => sum + n, 0);
  console.log(
    `Findings on filler text (neither planted nor look-alike): ${stray} of ${r.findings}${
      stray > 0 ? ` (${unplanned.map(([d, n]) => `${d} ${n}`).join(", ")})` : ""
    }`,
  );
}

/** Prints the latency and RPC throughput table. */
export function printRedactLatency(r: RedactLatency): void {
  console.log(
    `\nRedact latency: ${r.promptBytes} B prompt with two secrets (server found ${r.promptFindings}); ` +
      `throughput: ${(r.logBytes / 1024).toFixed(0)} KiB log (${r.logPlanted} planted, server found ${r.logFindings}):`,
  );
  const widths = [30, 5, 8, 9, 9, 9, 8];
  console.log(row(["call", "conc", "ops", "ops/s", "p50 ms", "p99 ms", "MB/s"], widths));
  for (const x of r.rows) {
    console.log(
      row(
        [
          x.name,
          x.concurrency,
          x.ops,
          x.perSecond.toFixed(0),
          x.p50.toFixed(3),
          x.p99.toFixed(3),
          x.mbPerSecond === undefined ? "" : x.mbPerSecond.toFixed(1),
        ],
        widths,
      ),
    );
  }
}
