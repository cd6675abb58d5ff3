import { row } from "../load.js";
import { type H2loadResult, runH2load } from "./h2load.js";
import type { Target } from "./measure-target.js";
import { type ProcessUsage, processUsage } from "./process-usage.js";

/** Requests before the first memory reading: enough to compile the hot paths and fill pools. */
const warmUpRequests = 10_000;

/** 64 requests in flight, closed loop: the middle saturation shape of `measure-target.ts`. */
const shape = { clients: 8, streams: 8 };

/** Memory of one server process before and after many decisions. */
export interface MemoryGrowth {
  name: string;
  /** After {@link warmUpRequests} requests. */
  warm: ProcessUsage;
  /** After the `decisions` that followed. */
  after: ProcessUsage;
  decisions: number;
  /** The run of `decisions` requests: wall time, rate, failures. */
  run: H2loadResult;
}

/**
 * Warms `target` up, reads its memory, drives `decisions` requests through it with h2load
 * (closed loop, 64 in flight), and reads its memory again, all on the one process, so the
 * difference is what those decisions left behind.
 */
export async function measureMemoryGrowth(
  target: Target,
  decisions: number,
): Promise<MemoryGrowth> {
  const base = { url: target.url, bodyFile: target.bodyFile, headers: target.headers, ...shape };
  const warmUp = await runH2load({ ...base, requests: warmUpRequests });
  const warm = await processUsage(target.pid);
  const run = await runH2load({ ...base, requests: decisions });
  const after = await processUsage(target.pid);
  return {
    name: target.name,
    warm,
    after,
    decisions,
    run: { ...run, failed: run.failed + warmUp.failed },
  };
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** Prints {@link measureMemoryGrowth} results, one row per target, with a legend. */
export function printMemoryTable(rows: MemoryGrowth[]): void {
  const widths = [34, 10, 7, 7, 9, 9, 6, 6, 6, 7];
  console.log(
    row(
      [
        "target",
        "decisions",
        "wall s",
        "dec/s",
        "warm RSS",
        "warm anon",
        "RSS",
        "anon",
        "peak",
        "errors",
      ],
      widths,
    ),
  );
  for (const m of rows) {
    console.log(
      row(
        [
          m.name,
          m.decisions,
          m.run.seconds.toFixed(1),
          m.run.perSecond.toFixed(0),
          mib(m.warm.rssBytes),
          mib(m.warm.anonRssBytes),
          mib(m.after.rssBytes),
          mib(m.after.anonRssBytes),
          mib(m.after.peakRssBytes),
          m.run.failed,
        ],
        widths,
      ),
    );
  }
  console.log(
    `MiB; warm: after a ${warmUpRequests.toLocaleString("en")}-request warm-up; RSS, anon: after ` +
      "the decisions (h2load -n, closed loop, 64 in flight); peak: VmHWM; wall s, dec/s: that run.",
  );
  console.log(
    "RSS (VmRSS) includes the pages of LMDB's memory-mapped audit log, which are page cache the " +
      "kernel can reclaim; anon (RssAnon) is heap and stacks, where a leak would show.",
  );
}
