import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { TargetResult } from "./measure-target.js";

/** One point of the plot data, as written to the JSON file. */
interface LatencyPoint {
  /** Share of the target's max rps offered, 0–1. */
  fraction: number;
  offeredPerSecond: number;
  achievedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
}

/** Options for {@link writeLatencyPlot}. */
export interface LatencyPlotOptions {
  /** Directory the files go to; made if missing. */
  dir: string;
  /** Base name of the files: `NAME.json` and `NAME.svg`. */
  name: string;
  /** What was measured, for the title, e.g. `Authorize, default library`. */
  subject: string;
  /** Measured seconds per point, recorded in the JSON. */
  secondsPerPoint: number;
}

/** The machine, in one line: cores, CPU model, memory, Node. */
function describeMachine(): string {
  const cores = cpus();
  const memoryGiB = Math.round(totalmem() / 2 ** 30);
  return `${cores.length} × ${cores[0]?.model.trim() ?? "unknown CPU"}, ${memoryGiB} GiB, Node ${process.version}`;
}

/**
 * Writes the sweeps of `results` as JSON, and renders them as an SVG plot: achieved requests/s
 * against p50 and p99 latency (log scale), one line per target and percentile. Vega-Lite
 * compiles the chart and Vega renders it headlessly (no canvas is needed for SVG).
 * Returns the two file paths.
 */
export async function writeLatencyPlot(
  results: TargetResult[],
  options: LatencyPlotOptions,
): Promise<{ json: string; svg: string }> {
  const date = new Date().toISOString().slice(0, 10);
  const machine = describeMachine();
  const targets = results.map((r) => ({
    name: r.name,
    maxPerSecond: r.maxPerSecond,
    points: r.sweep.map(
      (p): LatencyPoint => ({
        fraction: p.fraction,
        offeredPerSecond: p.offeredPerSecond,
        achievedPerSecond: p.result.perSecond,
        p50Ms: p.result.p50,
        p99Ms: p.result.p99,
        failed: p.result.failed,
      }),
    ),
  }));
  // One row per line point; a run with no 2xx has NaN percentiles, which a log scale cannot place.
  const values = targets
    .flatMap((t) =>
      t.points.flatMap((p) =>
        (["p50", "p99"] as const).map((percentile) => ({
          target: t.name,
          percentile,
          fraction: p.fraction,
          rps: p.achievedPerSecond,
          ms: percentile === "p50" ? p.p50Ms : p.p99Ms,
        })),
      ),
    )
    .filter((v) => Number.isFinite(v.ms) && v.ms > 0);
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: `${options.subject}: latency vs throughput (open loop)`,
      subtitle: `${date} · ${machine}`,
    },
    width: 640,
    height: 400,
    background: "white",
    data: { values },
    // Points as their own layer, without the dash: on a line mark they would blank the dashes
    // in the percentile legend.
    layer: [
      // Joined in order of offered load, not of x: past saturation the achieved rate can drop.
      { mark: "line", encoding: { order: { field: "fraction", type: "quantitative" } } },
      { mark: { type: "point", filled: true }, encoding: { strokeDash: { value: [1, 0] } } },
    ],
    encoding: {
      x: { field: "rps", type: "quantitative", title: "achieved requests/s" },
      y: {
        field: "ms",
        type: "quantitative",
        scale: { type: "log" },
        title: "latency, ms (log scale)",
      },
      color: { field: "target", type: "nominal", title: "target", legend: { labelLimit: 320 } },
      strokeDash: {
        field: "percentile",
        type: "nominal",
        title: "percentile",
        legend: { symbolType: "stroke", symbolStrokeColor: "#555", symbolStrokeWidth: 2 },
      },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();

  await mkdir(options.dir, { recursive: true });
  const files = {
    json: join(options.dir, `${options.name}.json`),
    svg: join(options.dir, `${options.name}.svg`),
  };
  const data = {
    subject: options.subject,
    date,
    machine,
    secondsPerPoint: options.secondsPerPoint,
    targets,
  };
  await writeFile(files.json, `${JSON.stringify(data, null, 2)}\n`);
  await writeFile(files.svg, svg);
  return files;
}
