import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { projectRoot } from "../../server/src/main.js";
import { captureProcessLines } from "./process-logs.js";

/** A running `vigil serve` child process. */
export interface VigilProcess {
  /** `http://127.0.0.1:PORT` */
  baseUrl: string;
  port: number;
  dataDir: string;
  /** Every line the process wrote to stdout and stderr so far. */
  output: string[];
  /** Parsed JSON log lines. */
  logs(): Record<string, unknown>[];
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Sends a signal (unless already exited) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  child: ChildProcess;
}

/** Options for {@link startVigil}. */
export interface StartOptions {
  /** Reuse a data dir (e.g. for restart tests). Default: a fresh temp dir. */
  dataDir?: string;
  /** Policy source; default is the caller's choice of compiled bundle or directory. */
  policy?: string;
  /** Extra `vigil serve` flags. */
  args?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** Makes a temp directory that the caller removes. */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Removes a temp directory. */
export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/**
 * Starts the real server (`bin/vigil.js serve`) on port 0 and waits for its `listening` log
 * line, which carries the port the kernel picked.
 */
export async function startVigil(options: StartOptions = {}): Promise<VigilProcess> {
  const dataDir = options.dataDir ?? (await tempDir("vigil-e2e-"));
  const args = ["bin/vigil.js", "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir];
  if (options.policy) args.push("--policy", options.policy);
  args.push(...(options.args ?? []));
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    env: { ...process.env, VIGIL_LOG_LEVEL: "debug", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const capture = captureProcessLines("server", child);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`vigil did not start:\n${output.join("\n")}`)),
      30_000,
    );
    exited.then((code) => reject(new Error(`vigil exited with ${code}:\n${output.join("\n")}`)));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        output.push(line);
        capture(line);
        const entry = parseJson(line);
        if (entry?.msg === "listening" && typeof entry.port === "number") {
          clearTimeout(timer);
          resolve(entry.port);
        }
      });
    }
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    output,
    logs: () => output.map(parseJson).filter((e): e is Record<string, unknown> => e !== undefined),
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    exited,
    child,
  };
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A free loopback port, closed again: for a process to bind, or as a port nothing answers on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
