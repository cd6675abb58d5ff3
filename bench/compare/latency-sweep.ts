import { row } from "../load.js";
import type { TargetResult } from "./measure-target.js";

/**
 * Fractions of each target's own max rps that the throughput-latency sweep offers, open loop:
 * from nearly idle to the closed-loop maximum, denser where latency starts to climb.
 */
export const sweepFractions = [0.1, 0.25, 0.5, 0.75, 0.9, 1];

/** Prints every sweep point of `results`: offered and achieved rate, p50, p99 and errors. */
export function printSweepTable(results: TargetResult[]): void {
  const widths = [34, 6, 9, 9, 8, 8, 7];
  console.log(row(["target", "load", "offered", "achieved", "p50 ms", "p99 ms", "errors"], widths));
  for (const r of results) {
    for (const point of r.sweep) {
      console.log(
        row(
          [
            r.name,
            `${Math.round(point.fraction * 100)}%`,
            point.offeredPerSecond.toFixed(0),
            point.result.perSecond.toFixed(0),
            point.result.p50.toFixed(2),
            point.result.p99.toFixed(2),
            point.result.failed,
          ],
          widths,
        ),
      );
    }
  }
  console.log(
    "load: share of the target's own max rps offered open loop (h2load --rps, 4 connections × " +
      "≤16 streams); offered, achieved: requests/s sent and 2xx/s answered; p50/p99: of the 2xx.",
  );
}
