import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { tempDir } from "../../test/support/vigil-process.js";

const run = promisify(execFile);

/**
 * How long one h2load run lasts: a measured duration after a one-second warm-up, or a fixed
 * number of requests across all connections, without warm-up.
 */
export type H2loadLength = { seconds: number } | { requests: number };

/** Options for {@link runH2load}. */
export type H2loadOptions = H2loadShape & H2loadLength;

/** Where {@link runH2load} sends what, and how many requests it keeps in flight. */
export interface H2loadShape {
  /** Full URL of the endpoint, `http://` (h2c with prior knowledge). */
  url: string;
  /** File holding the request body; every request is a POST of it. */
  bodyFile: string;
  /** Extra request headers, `name: value`. */
  headers: string[];
  /** Connections. */
  clients: number;
  /** Concurrent streams per connection. */
  streams: number;
  /** Requests per second per connection (open loop). Default: as fast as answers come back. */
  ratePerClient?: number;
}

/** What one h2load run measured. */
export interface H2loadResult {
  /** Successful (2xx) responses per second over the measured duration. */
  perSecond: number;
  /** The measured duration, warm-up excluded, in seconds. */
  seconds: number;
  succeeded: number;
  /** Requests that failed, errored, timed out or got a non-2xx status. */
  failed: number;
  /** Median and 99th percentile latency of successful requests, in ms. */
  p50: number;
  p99: number;
}

/**
 * Runs h2load against one endpoint. h2load's summary has only mean and deviation of latency,
 * so the percentiles come from its per-request log (`--log-file`) instead.
 */
export async function runH2load(options: H2loadOptions): Promise<H2loadResult> {
  const dir = await tempDir("vigil-h2load-");
  const logFile = join(dir, "requests.tsv");
  try {
    const args = [
      options.url,
      "--data",
      options.bodyFile,
      "--clients",
      String(options.clients),
      "--max-concurrent-streams",
      String(options.streams),
      ...("seconds" in options
        ? ["--duration", String(options.seconds), "--warm-up-time", "1"]
        : ["--requests", String(options.requests)]),
      "--log-file",
      logFile,
      ...options.headers.flatMap((header) => ["--header", header]),
    ];
    if (options.ratePerClient !== undefined) {
      args.push("--rps", String(Math.max(1, Math.round(options.ratePerClient))));
    }
    const { stdout } = await run("h2load", args, { maxBuffer: 16 * 1024 * 1024 });
    // "finished in" counts the warm-up too, while the request counts leave it out: divide those
    // by the measured duration alone.
    const measured = "seconds" in options ? options.seconds : undefined;
    return { ...parseSummary(stdout, measured), ...percentiles(await readFile(logFile, "utf8")) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Reads throughput and failures off h2load's summary lines. `measuredSeconds` is the
 * duration of a timed run; a run of a fixed request count takes its wall time from h2load.
 */
function parseSummary(
  stdout: string,
  measuredSeconds: number | undefined,
): Omit<H2loadResult, "p50" | "p99"> {
  const finished = /finished in ([\d.]+)s/.exec(stdout);
  const requests = /(\d+) failed, (\d+) errored, (\d+) timeout/.exec(stdout);
  const status = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout);
  if (!finished || !requests || !status) throw new Error(`unexpected h2load output:\n${stdout}`);
  const seconds = measuredSeconds ?? Number(finished[1]);
  const ok = Number(status[1]);
  // h2load counts a 3xx-5xx answer as succeeded; for a benchmark only 2xx is a success.
  const failed = [...requests.slice(1), ...status.slice(2)].reduce((n, v) => n + Number(v), 0);
  return { perSecond: ok / seconds, seconds, succeeded: ok, failed };
}

/** p50 and p99 of the 2xx rows of an h2load log: start µs, status, duration µs. */
function percentiles(log: string): { p50: number; p99: number } {
  const durations: number[] = [];
  for (const line of log.split("\n")) {
    const [, status, micros] = line.split("\t");
    if (status?.startsWith("2") && micros) durations.push(Number(micros) / 1000);
  }
  durations.sort((a, b) => a - b);
  const at = (q: number) =>
    durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
}
