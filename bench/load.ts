import { performance } from "node:perf_hooks";

/** Latency and throughput of one load run. */
export interface LoadResult {
  name: string;
  concurrency: number;
  ops: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Runs `op` from `concurrency` loops for `seconds`, collecting per-call latency in ms. */
export async function load(
  name: string,
  concurrency: number,
  seconds: number,
  op: () => Promise<unknown>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await op();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    name,
    concurrency,
    ops: latencies.length,
    perSecond: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
  };
}

/** Pads a table row: first column left-aligned, the rest right-aligned. */
export function row(cells: (string | number)[], widths: number[]): string {
  return cells
    .map((cell, i) =>
      i === 0 ? String(cell).padEnd(widths[i] ?? 10) : String(cell).padStart(widths[i] ?? 10),
    )
    .join(" ");
}

/** Prints load results as a table: call, concurrency, ops, ops/s, p50 and p99. */
export function printLoadTable(results: LoadResult[]): void {
  const widths = [30, 5, 8, 9, 8, 8];
  console.log(row(["call", "conc", "ops", "ops/s", "p50 ms", "p99 ms"], widths));
  for (const r of results) {
    console.log(
      row(
        [r.name, r.concurrency, r.ops, r.perSecond.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2)],
        widths,
      ),
    );
  }
}
