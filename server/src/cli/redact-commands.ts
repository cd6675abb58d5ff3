import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { ContentKind, type Finding } from "../../../gen/vigil/v1/common_pb.js";
import { ConfigError, describeError } from "../errors.js";
import { githubAnnotation, inGithubActions } from "./github-annotations.js";
import { createProgressLine } from "./progress-line.js";
import { toSarif } from "./sarif.js";
import { placeFindings, scanPieces } from "./scan-pieces.js";
import { isUnreachable, policyClient, serverUrl, unreachableExitCode } from "./server-client.js";

type Print = (text: string, code: number, toStderr?: boolean) => number;

/** `vigil scan` found nothing, but could not scan every file: not a clean result. */
const incompleteExitCode = 2;

/** Usage of `vigil redact` and `vigil scan`. */
export const redactUsage = `Usage:
  vigil redact [--server URL] [--kind KIND] [--json] [--findings FILE]
      reads stdin, writes the masked text to stdout and a line per finding to stderr
      (or all findings as JSON to FILE). --json treats the input as JSON, which stays JSON.
  vigil scan PATH... [--server URL] [--format text|json|sarif]
      reports what the server's redact plan would mask in files and directories; exits 1
      when anything is found, 2 when nothing is but some file could not be scanned (named
      on stderr), 0 when every file was scanned and nothing found. Large files are sent in
      overlapping pieces of about 1 MB. In GitHub Actions (GITHUB_ACTIONS=true) the text
      format also annotates each finding on the file and line, for the pull request's diff.

The server comes from --server or VIGIL_SERVER (default http://127.0.0.1:8444). When it
cannot be reached the command exits 3 and prints nothing on stdout: fail closed.
KIND is a content kind such as log, prompt, completion, trace (default log).
`;

/** Runs `vigil redact`. */
export async function runRedact(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (args.includes("--help")) return print(redactUsage, 0);
  const { values } = parseArgs({
    args,
    options: {
      server: { type: "string" },
      kind: { type: "string", default: "log" },
      json: { type: "boolean", default: false },
      findings: { type: "string" },
    },
  });
  const input = await readStdin();
  const client = policyClient(serverUrl(values.server, env), env.VIGIL_TOKEN);
  try {
    const res = await client.redact({
      content: {
        kind: contentKind(values.kind),
        body: values.json ? { case: "json", value: input } : { case: "text", value: input },
      },
    });
    process.stdout.write(String(res.content?.body.value ?? ""));
    if (values.findings) {
      await writeFile(
        values.findings,
        `${JSON.stringify(res.findings.map(plainFinding), null, 2)}\n`,
      );
    } else {
      for (const f of res.findings) process.stderr.write(`${describeFinding("stdin", f)}\n`);
    }
    return 0;
  } catch (error) {
    return failure(error, print);
  }
}

/** Runs `vigil scan`. */
export async function runScan(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (args.includes("--help")) return print(redactUsage, 0);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      server: { type: "string" },
      format: { type: "string", default: "text" },
    },
  });
  if (!["text", "json", "sarif"].includes(values.format)) {
    throw new ConfigError(`--format: expected text, json or sarif, got "${values.format}"`);
  }
  if (positionals.length === 0) throw new ConfigError("scan: give at least one PATH");
  const client = policyClient(serverUrl(values.server, env), env.VIGIL_TOKEN);
  const results: { path: string; findings: Finding[] }[] = [];
  const unscanned: string[] = [];
  const files = await filesUnder(positionals);
  const progress = createProgressLine({
    label: (n, total) => `scanning… ${n}/${total} files`,
  });
  try {
    for (const [index, path] of files.entries()) {
      progress.update(index, files.length);
      const text = await readFile(path, "utf8");
      const findings: Finding[] = [];
      try {
        // Large files go in overlapping pieces, each well under the server's message limit.
        for (const piece of scanPieces(text)) {
          const res = await client.redact({
            content: {
              kind: ContentKind.LOG,
              name: path,
              body: { case: "text", value: piece.text },
            },
          });
          findings.push(...placeFindings(piece, res.findings));
        }
      } catch (error) {
        if (isUnreachable(error)) throw error;
        // One file the server refuses must not hide the others, nor pass as clean.
        unscanned.push(`vigil: ${path}: not scanned: ${describeError(error)}`);
        continue;
      }
      if (findings.length > 0) results.push({ path, findings });
    }
  } catch (error) {
    progress.clear();
    return failure(error, print);
  }
  progress.clear();
  if (unscanned.length > 0) print(`${unscanned.join("\n")}\n`, 0, true);
  if (inGithubActions(env) && values.format === "text") {
    // On the run summary and the pull request's diff; JSON and SARIF output stay parseable.
    for (const r of results) for (const f of r.findings) print(findingAnnotation(r.path, f), 0);
  }
  const found = results.length > 0 ? 1 : unscanned.length > 0 ? incompleteExitCode : 0;
  if (values.format === "sarif")
    return print(`${JSON.stringify(toSarif(results), null, 2)}\n`, found);
  if (values.format === "json") {
    const plain = results.map((r) => ({ path: r.path, findings: r.findings.map(plainFinding) }));
    return print(`${JSON.stringify(plain, null, 2)}\n`, found);
  }
  const lines = results.flatMap((r) => r.findings.map((f) => describeFinding(r.path, f)));
  return print(lines.length > 0 ? `${lines.join("\n")}\n` : "", found);
}

function failure(error: unknown, print: Print): number {
  if (isUnreachable(error)) {
    return print(
      `vigil: cannot reach the server (${describeError(error)}); treat as denied\n`,
      unreachableExitCode,
      true,
    );
  }
  return print(`vigil: ${describeError(error)}\n`, 1, true);
}

function contentKind(name: string): ContentKind {
  const kind = ContentKind[name.toUpperCase() as keyof typeof ContentKind];
  if (typeof kind !== "number" || kind === ContentKind.UNSPECIFIED) {
    throw new ConfigError(`--kind: unknown content kind "${name}"`);
  }
  return kind;
}

/** `path:line:column: detector (action)`: what compilers print, so editors can jump to it. */
function describeFinding(path: string, f: Finding): string {
  return `${path}:${f.location?.line ?? 0}:${f.location?.column ?? 0}: ${f.detectorId} (${f.action === 0 ? "found" : "masked"})`;
}

/** A GitHub annotation at the finding: the detector, never the value. */
function findingAnnotation(path: string, f: Finding): string {
  return githubAnnotation(
    "error",
    `${f.detectorId} found here; remove it, rotate it, and keep it out of the repository`,
    {
      file: path,
      line: f.location?.line ?? 1,
      col: f.location?.column ?? 1,
      title: `Secret or personal data (${f.detectorId})`,
    },
  );
}

function plainFinding(f: Finding) {
  return {
    detector: f.detectorId,
    version: f.detectorVersion,
    line: f.location?.line ?? 0,
    column: f.location?.column ?? 0,
    byteStart: Number(f.location?.byteStart ?? 0n),
    byteEnd: Number(f.location?.byteEnd ?? 0n),
    jsonPointer: f.location?.jsonPointer ?? "",
    fingerprint: f.fingerprint,
  };
}

/** Regular text files under the given paths, skipping VCS and dependency folders and binaries. */
async function filesUnder(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => {
      throw new ConfigError(`scan: ${path} does not exist`);
    });
    if (info.isFile()) {
      if (await isText(path)) out.push(path);
      continue;
    }
    for (const entry of await readdir(path, { recursive: true, withFileTypes: true })) {
      const full = join(entry.parentPath, entry.name);
      if (!entry.isFile() || /(^|\/)(\.git|node_modules)(\/|$)/.test(relative(path, full)))
        continue;
      if (await isText(full)) out.push(full);
    }
  }
  return out.sort();
}

async function isText(path: string): Promise<boolean> {
  const head = (await readFile(path)).subarray(0, 8000);
  return !head.includes(0);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
