import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { PolicyService } from "../../gen/vigil/v1/policy_service_pb.js";
import { projectRoot } from "../../server/src/main.js";
import { removeDir } from "../../test/support/vigil-process.js";
import { measureRecordLoad, measureRecordStreamLoad, printRecordTable } from "../record-load.js";
import { benchPolicies, benchWorkDir } from "./bench-policies.js";
import {
  benchBatchSize,
  type RunningTarget,
  startNoopTarget,
  startOpaTarget,
  startVigilTarget,
  withTarget,
  writeBenchBodies,
} from "./bench-targets.js";
import { type CompareRow, printCompareTable } from "./compare-table.js";
import { writeLatencyPlot } from "./latency-plot.js";
import { printSweepTable, sweepFractions } from "./latency-sweep.js";
import {
  type MeasureOptions,
  measureTarget,
  type Target,
  type TargetResult,
} from "./measure-target.js";
import { type MemoryGrowth, measureMemoryGrowth, printMemoryTable } from "./memory-growth.js";

/** Options for {@link compareAuthorizeWithOpa}. */
export interface CompareOptions {
  /** Measured seconds of every h2load run (sweep points included) and Record concurrency. */
  seconds: number;
  /** Decisions the memory rows drive through one Vigil and one OPA; 0 skips those rows. */
  decisions: number;
}

/** Where the throughput-latency sweep's JSON and SVG go. */
const resultsDir = join(projectRoot, "bench/results");

/**
 * Authorize against `opa run --server` with the same Rego and data and the same request, both
 * driven by h2load over h2c, for each benchmark policy, plus the no-op floor (Vigil's server
 * stack with an empty handler). Prints the comparison table; then, for the shipped policy
 * library, the throughput-latency sweep of both (also written to `bench/results/` as JSON and an
 * SVG plot), durable Record over gRPC on a fresh Vigil, and memory before and after
 * `decisions` decisions on a fresh Vigil and a fresh OPA.
 */
export async function compareAuthorizeWithOpa(options: CompareOptions): Promise<void> {
  const { seconds, decisions } = options;
  execFileSync("bash", [join(projectRoot, "bench/setup-bench.sh")], { stdio: "inherit" });
  const work = await benchWorkDir();
  try {
    const bodies = await writeBenchBodies(work);
    const measure = (measureOptions?: MeasureOptions) => (running: RunningTarget) =>
      measureWithDecision(running.target, seconds, measureOptions);

    const noop = await withTarget(startNoopTarget(bodies), measure());
    const rows: CompareRow[] = [noop];
    const policies = await benchPolicies(work);
    const swept: TargetResult[] = [];
    for (const policy of policies) {
      const sweep = policy.shipped ? { sweep: sweepFractions } : {};
      const opa = await withTarget(startOpaTarget(policy, bodies), measure(sweep));
      const vigil = await withTarget(startVigilTarget(policy, bodies), measure(sweep));
      rows.push({ ...vigil, opa: opa.result, noop: noop.result }, opa);
      if (policy.shipped) {
        swept.push(vigil.result, opa.result);
        // The same decisions asked for in batches: its rates count decisions, not calls.
        const batch = await withTarget(
          startVigilTarget(policy, bodies, { batch: true }),
          measure(),
        );
        rows.push({ ...batch, result: perDecision(batch.result, benchBatchSize), opa: opa.result });
      }
    }
    printCompareTable(rows);

    const shipped = policies.find((policy) => policy.shipped);
    if (!shipped) throw new Error("no shipped policy among the bench policies");
    console.log(`\nThroughput vs latency, ${shipped.name}, each at shares of its own max rps:`);
    printSweepTable(swept);
    const plot = await writeLatencyPlot(swept, {
      dir: resultsDir,
      name: "authorize-latency",
      subject: `Authorize, ${shipped.name}`,
      secondsPerPoint: seconds,
    });
    console.log(
      `plot: ${relative(projectRoot, plot.svg)}, points: ${relative(projectRoot, plot.json)}`,
    );

    console.log(`\nDurable Record over gRPC, a fresh Vigil (${shipped.name}):`);
    printRecordTable(
      await withTarget(startVigilTarget(shipped, bodies), async ({ baseUrl }) => {
        const client = createClient(PolicyService, createGrpcTransport({ baseUrl }));
        return [
          ...(await measureRecordLoad(client, seconds)),
          ...(await measureRecordStreamLoad(client, seconds)),
        ];
      }),
    );

    if (decisions > 0) {
      console.log(
        `\nMemory over ${decisions.toLocaleString("en")} Authorize decisions, ${shipped.name}:`,
      );
      const memory: MemoryGrowth[] = [];
      for (const start of [startVigilTarget, startOpaTarget]) {
        memory.push(
          await withTarget(start(shipped, bodies), ({ target }) =>
            measureMemoryGrowth(target, decisions),
          ),
        );
      }
      printMemoryTable(memory);
    }
  } finally {
    await removeDir(work);
  }
}

/** A batch target's result with its rates and CPU counted per decision instead of per call. */
function perDecision(result: TargetResult, decisionsPerCall: number): TargetResult {
  return {
    ...result,
    maxPerSecond: result.maxPerSecond * decisionsPerCall,
    cpuMsPer1k: result.cpuMsPer1k / decisionsPerCall,
  };
}

/** Checks the target's decision on the bench request, then measures it. */
async function measureWithDecision(
  target: Target,
  seconds: number,
  options: MeasureOptions = {},
): Promise<CompareRow> {
  const decision = await decisionOf(target);
  return { result: await measureTarget(target, seconds, options), decision };
}

/**
 * Sends the benchmark request once and returns the decision, lower case: Vigil answers
 * `DECISION_ALLOW` (in `results[0].response` for a batch), OPA `{"result": {"decision":
 * "allow"}}`, the no-op floor nothing. Shows
 * both sides decide the same request the same way before their speed is compared.
 */
async function decisionOf(target: Target): Promise<string> {
  const response = await fetch(target.url, {
    method: "POST",
    headers: Object.fromEntries(target.headers.map((h) => h.split(": ") as [string, string])),
    body: await readFile(target.bodyFile),
  });
  if (!response.ok) throw new Error(`${target.name}: HTTP ${response.status}`);
  const body = (await response.json()) as {
    decision?: string;
    result?: { decision?: string };
    results?: { response?: { decision?: string } }[];
  };
  const decision =
    body.result?.decision ?? body.decision ?? body.results?.[0]?.response?.decision ?? "(none)";
  return decision.replace(/^DECISION_/, "").toLowerCase();
}
