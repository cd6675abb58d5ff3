/**
 * The Redact bench's corpus: LLM prompts, OpenAI-style chat transcripts, application logs,
 * `.env` files, YAML config and Python source, generated from a seed so every run (and every
 * other scanner pointed at the same files, such as gitleaks in issue #9) sees the same bytes.
 * Secrets and personal data of formats Vigil's detectors know are planted at recorded places,
 * next to look-alikes that must not be reported (UUIDs, digests, versions, vendor placeholders,
 * numbers with a wrong check digit). All values are random: none is a real credential.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildFile } from "./files.js";
import { type LogClock, proseSentence } from "./filler.js";
import { FORMATS } from "./formats.js";
import { plantSecret } from "./plant.js";
import { Rng } from "./random.js";
import { TextBuilder } from "./text-builder.js";
import type { Corpus, CorpusKind, LookAlike, LookAlikeKind, PlantedSecret } from "./types.js";

export type {
  Corpus,
  CorpusFile,
  CorpusKind,
  JsonPlace,
  LookAlike,
  LookAlikeKind,
  PlantedSecret,
} from "./types.js";

/** Options for {@link generateCorpus}. */
export interface CorpusOptions {
  /** Total size to generate, in UTF-8 bytes (files end at line boundaries). Default 4 MiB. */
  targetBytes?: number;
  /** PRNG seed; the same seed and size give the same corpus. Default `0x5eed`. */
  seed?: number;
}

/** Options for {@link generateFile}. */
export interface FileOptions {
  /** What the file holds. */
  kind: CorpusKind;
  /** Approximate size in UTF-8 bytes. */
  bytes: number;
  /** Default `0x5eed`. */
  seed?: number;
  /** Default `<kind>-000.<ext>`. */
  name?: string;
}

const EXTENSIONS: Record<CorpusKind, string> = {
  prompt: "txt",
  chat: "json",
  log: "log",
  env: "env",
  yaml: "yaml",
  source: "py",
};

/** Share of the corpus's bytes and the range of file sizes, per kind. */
const SHAPES: Record<CorpusKind, { share: number; min: number; max: number }> = {
  prompt: { share: 0.2, min: 2 * 1024, max: 48 * 1024 },
  chat: { share: 0.25, min: 8 * 1024, max: 128 * 1024 },
  log: { share: 0.3, min: 32 * 1024, max: 384 * 1024 },
  env: { share: 0.05, min: 1024, max: 6 * 1024 },
  yaml: { share: 0.1, min: 4 * 1024, max: 48 * 1024 },
  source: { share: 0.1, min: 4 * 1024, max: 64 * 1024 },
};

function toCorpus(name: string, kind: CorpusKind, b: TextBuilder): Corpus {
  const planted: PlantedSecret[] = [];
  const lookAlikes: LookAlike[] = [];
  for (const m of b.marks) {
    const place = { file: name, start: m.start, end: m.end, ...(m.json ? { json: m.json } : {}) };
    if (m.role === "secret") planted.push({ ...place, detector: m.label });
    else lookAlikes.push({ ...place, kind: m.label as LookAlikeKind });
  }
  return { files: [{ name, kind, text: b.text() }], planted, lookAlikes };
}

/** Generates one file of `kind`, about `bytes` long, with its planted values and look-alikes. */
export function generateFile(options: FileOptions): Corpus {
  const r = new Rng(options.seed ?? 0x5eed);
  const name = options.name ?? `${options.kind}-000.${EXTENSIONS[options.kind]}`;
  return toCorpus(name, options.kind, buildFile(options.kind, r, options.bytes));
}

/**
 * Generates the whole corpus: every kind gets its share of `targetBytes` (logs and chat
 * transcripts most), split into files of the sizes such files usually have.
 */
export function generateCorpus(options: CorpusOptions = {}): Corpus {
  const r = new Rng(options.seed ?? 0x5eed);
  const target = options.targetBytes ?? 4 * 1024 * 1024;
  const corpus: Corpus = { files: [], planted: [], lookAlikes: [] };
  for (const [kind, shape] of Object.entries(SHAPES) as [
    CorpusKind,
    (typeof SHAPES)[CorpusKind],
  ][]) {
    let remaining = Math.round(target * shape.share);
    while (remaining > 0) {
      const size = Math.min(remaining, r.between(shape.min, shape.max));
      const name = `${kind}-${String(corpus.files.length).padStart(3, "0")}.${EXTENSIONS[kind]}`;
      const one = toCorpus(name, kind, buildFile(kind, r, size));
      const file = one.files[0];
      if (file === undefined) break;
      remaining -= Buffer.byteLength(file.text, "utf8");
      corpus.files.push(file);
      corpus.planted.push(...one.planted);
      corpus.lookAlikes.push(...one.lookAlikes);
    }
  }
  return corpus;
}

/**
 * A prompt of about `bytes` UTF-8 bytes of prose holding exactly two secrets: a GitHub token a
 * third of the way in and a Postgres password two thirds in.
 */
export function promptWithTwoSecrets(bytes = 2048, seed = 0x5eed): Corpus {
  const r = new Rng(seed);
  const b = new TextBuilder();
  const clock: LogClock = { ms: 0 };
  const secrets = ["secret.github-pat", "secret.connection-string-password"];
  for (const [i, id] of secrets.entries()) {
    while (b.length < ((i + 1) * bytes) / 3) b.add(proseSentence(r));
    const format = FORMATS.find((f) => f.detector === id);
    if (format) plantSecret(b, r, "prose", clock, format);
  }
  // Stop within a short sentence of the target: whole sentences, about `bytes` in all.
  while (b.length < bytes - 60) b.add(proseSentence(r));
  return toCorpus("prompt-2k.txt", "prompt", b);
}

/**
 * Writes every file of `corpus` into `dir` (created if missing), plus `manifest.json` with the
 * planted values' and look-alikes' locations, never their values, so a scanner run over the
 * directory finds nothing in it.
 */
export async function writeCorpus(corpus: Corpus, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(corpus.files.map((f) => writeFile(join(dir, f.name), f.text, "utf8")));
  const manifest = { planted: corpus.planted, lookAlikes: corpus.lookAlikes };
  await writeFile(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 1)}\n`, "utf8");
}
