import { row } from "../load.js";
import type { TargetResult } from "./measure-target.js";

/** A measured row with what to compare it against. */
export interface CompareRow {
  result: TargetResult;
  /** The decision the target returned for the benchmark request, as a sanity check. */
  decision: string;
  /** OPA with the same policy, for Vigil rows. */
  opa?: TargetResult | undefined;
  /** The no-op floor, for Vigil rows. */
  noop?: TargetResult | undefined;
}

const ratio = (a: number, b: number | undefined) =>
  b === undefined ? "" : `${(a / b).toFixed(2)}x`;

/**
 * Prints the comparison: throughput, latency at half load, CPU per 1k requests, peak RSS, and
 * for Vigil rows the rps ratio to OPA with the same policy and the rps and CPU ratios to the
 * no-op floor.
 */
export function printCompareTable(rows: CompareRow[]): void {
  const widths = [38, 9, 9, 8, 8, 9, 8, 7, 7, 7, 7];
  console.log(
    row(
      [
        "target",
        "decision",
        "max rps",
        "p50 ms",
        "p99 ms",
        "CPU/1k",
        "RSS MiB",
        "÷OPA",
        "÷no-op",
        "CPU×",
        "errors",
      ],
      widths,
    ),
  );
  for (const { result: r, decision, opa, noop } of rows) {
    console.log(
      row(
        [
          r.name,
          decision,
          r.maxPerSecond.toFixed(0),
          r.halfLoad.p50.toFixed(2),
          r.halfLoad.p99.toFixed(2),
          r.cpuMsPer1k.toFixed(0),
          (r.peakRssBytes / 2 ** 20).toFixed(0),
          ratio(r.maxPerSecond, opa?.maxPerSecond),
          ratio(r.maxPerSecond, noop?.maxPerSecond),
          ratio(r.cpuMsPer1k, noop?.cpuMsPer1k),
          r.failed,
        ],
        widths,
      ),
    );
  }
  console.log(
    "max rps: best of closed-loop h2load runs (h2c, ≤64 in flight); p50/p99: open loop at half " +
      "of it; CPU/1k: server CPU ms per 1,000 requests at max; RSS: peak; ÷OPA, ÷no-op: rps " +
      "ratios; CPU×: CPU per request over the no-op floor's; errors: non-2xx or failed. " +
      "Batch rows count decisions (rps and CPU per decision); their p50/p99 are per call.",
  );
}
