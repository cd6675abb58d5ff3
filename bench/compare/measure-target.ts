import { setTimeout as sleep } from "node:timers/promises";
import { type H2loadResult, runH2load } from "./h2load.js";
import { processUsage } from "./process-usage.js";

/** A server under test: where to send what, and which process to watch. */
export interface Target {
  /** Row label. */
  name: string;
  /** Full URL of the endpoint. */
  url: string;
  /** File holding the request body. */
  bodyFile: string;
  headers: string[];
  /** The server process whose CPU and memory are counted. */
  pid: number;
}

/** One open-loop run at a fixed fraction of a target's own maximum. */
export interface LoadPoint {
  /** The fraction of `maxPerSecond` offered, e.g. 0.5. */
  fraction: number;
  /** Requests per second offered: `fraction × maxPerSecond`, split over the connections. */
  offeredPerSecond: number;
  /** What came back: achieved 2xx rate, p50 and p99. */
  result: H2loadResult;
}

/** Options for {@link measureTarget}. */
export interface MeasureOptions {
  /**
   * Fractions of the target's own max rps to run the open loop at, for a throughput-latency
   * curve. Half is always run, for the table. Default: only half.
   */
  sweep?: number[];
}

/** One row of the comparison. */
export interface TargetResult {
  name: string;
  /** Best 2xx rate over the closed-loop runs. */
  maxPerSecond: number;
  /** Latency at half of `maxPerSecond`, open loop. */
  halfLoad: H2loadResult;
  /** Every open-loop run, by ascending fraction; half among them. */
  sweep: LoadPoint[];
  /** Server CPU per 1,000 requests during the best closed-loop run, in ms. */
  cpuMsPer1k: number;
  /** Peak resident set size of the server, in bytes. */
  peakRssBytes: number;
  /** Non-2xx or failed requests over every run; should be 0. */
  failed: number;
}

/**
 * Closed-loop shapes tried for the maximum: few connections with many streams, and many with
 * few. Every shape keeps 64 requests or fewer in flight, well past what one Node process or a
 * two-core OPA needs to saturate, so the best of them is the server's ceiling, not the client's.
 */
const saturationShapes = [
  { clients: 2, streams: 16 },
  { clients: 8, streams: 8 },
  { clients: 16, streams: 4 },
];

/** Connections and streams of the open-loop runs; each connection gets its share of the rate. */
const openLoopShape = { clients: 4, streams: 16 };

/**
 * Measures one target: max throughput (best closed-loop shape), latency at half of it (and at
 * any other {@link MeasureOptions.sweep} fraction) with a rate-limited open loop, CPU per request
 * of the best run, and peak RSS.
 */
export async function measureTarget(
  target: Target,
  seconds: number,
  options: MeasureOptions = {},
): Promise<TargetResult> {
  const base = { url: target.url, bodyFile: target.bodyFile, headers: target.headers, seconds };
  let best: { result: H2loadResult; cpuMs: number } | undefined;
  let failed = 0;
  for (const shape of saturationShapes) {
    const running = runH2load({ ...base, ...shape });
    // Sample CPU over h2load's measured window only, skipping its warm-up second.
    await sleep(1_000);
    const before = await processUsage(target.pid);
    await sleep(seconds * 1_000);
    const cpuMs = (await processUsage(target.pid)).cpuMs - before.cpuMs;
    const result = await running;
    failed += result.failed;
    if (!best || result.perSecond > best.result.perSecond) best = { result, cpuMs };
  }
  if (!best) throw new Error("no saturation run");
  const maxPerSecond = best.result.perSecond;
  const sweep: LoadPoint[] = [];
  for (const fraction of [...new Set([0.5, ...(options.sweep ?? [])])].sort((a, b) => a - b)) {
    const offeredPerSecond = maxPerSecond * fraction;
    const result = await runH2load({
      ...base,
      ...openLoopShape,
      ratePerClient: offeredPerSecond / openLoopShape.clients,
    });
    failed += result.failed;
    sweep.push({ fraction, offeredPerSecond, result });
  }
  const halfLoad = sweep.find((point) => point.fraction === 0.5)?.result;
  if (!halfLoad) throw new Error("no half-load run");
  const served = maxPerSecond * seconds;
  return {
    name: target.name,
    maxPerSecond,
    halfLoad,
    sweep,
    cpuMsPer1k: (best.cpuMs / served) * 1000,
    peakRssBytes: (await processUsage(target.pid)).peakRssBytes,
    failed,
  };
}
