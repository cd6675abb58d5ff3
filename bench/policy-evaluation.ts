/**
 * The in-process cost of one policy decision with the bundled library: on the main thread,
 * on the worker pool, and with the default split by input size; plus how long the event loop
 * stalls while many decisions are in flight, which is what every other request on the
 * server feels.
 */
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { create } from "@bufbuild/protobuf";
import { CallerSchema } from "../gen/vigil/v1/audit_pb.js";
import { ContentKind, ContentSchema } from "../gen/vigil/v1/common_pb.js";
import { createLogger } from "../server/src/logging/logger.js";
import { projectDefaults } from "../server/src/main.js";
import { readBundle } from "../server/src/policy/bundle-reader.js";
import { compilePolicyDir } from "../server/src/policy/opa-compiler.js";
import { createPolicyEngine } from "../server/src/policy/policy-engine.js";
import { createPolicyEvaluator } from "../server/src/policy/policy-evaluator.js";
import { type AuthorizeInput, buildAuthorizeInput } from "../server/src/policy/policy-input.js";
import { createPolicyWorkerPool } from "../server/src/policy/policy-worker-pool.js";
import { optionalEntrypoints, requiredEntrypoints } from "../server/src/policy/prepare-policy.js";
import { destructiveAgentCommand, ordinaryRead } from "../test/support/requests.js";
import { load, row } from "./load.js";

/** One line of the evaluation table. */
export interface EvaluationRow {
  input: string;
  placement: string;
  /** Sequential: one decision at a time. */
  microsPerDecision: number;
  /** 32 decisions in flight, each started from its own event-loop turn. */
  decisionsPerSecond: number;
  /** Event-loop delay while those decisions ran. */
  loopP99Ms: number;
  loopMaxMs: number;
}

function inputs(): [string, AuthorizeInput][] {
  const caller = create(CallerSchema, { id: "bench", method: "none" });
  const largeCommand = `${"ls -la /srv/app && ".repeat(5000)}echo done`;
  const large = destructiveAgentCommand();
  large.contents = [
    create(ContentSchema, {
      kind: ContentKind.COMMAND,
      body: { case: "text", value: largeCommand },
    }),
  ];
  const now = new Date();
  return [
    ["small (ordinary read)", buildAuthorizeInput(ordinaryRead(), caller, now)],
    ["command (approval path)", buildAuthorizeInput(destructiveAgentCommand(), caller, now)],
    [
      `large command (${Math.round(largeCommand.length / 1024)} KiB)`,
      buildAuthorizeInput(large, caller, now),
    ],
  ];
}

/** Measures every input on every placement; `seconds` per concurrent run. */
export async function measureEvaluation(seconds: number): Promise<EvaluationRow[]> {
  const defaults = projectDefaults();
  const archive = await compilePolicyDir({
    opaPath: defaults.opaPath,
    dir: defaults.policyDir,
    entrypoints: requiredEntrypoints,
    optionalEntrypoints,
  });
  const bundle = await readBundle(archive, defaults.policyDir);
  const pool = createPolicyWorkerPool({ threads: 2 });
  const placements = [
    { name: "main thread", evaluator: createPolicyEvaluator() },
    { name: "worker pool", evaluator: createPolicyEvaluator({ pool, inlineMaxBytes: 0 }) },
    { name: "split at 16 KiB (default)", evaluator: createPolicyEvaluator({ pool }) },
  ];
  const rows: EvaluationRow[] = [];
  const logger = createLogger({ level: "silent" });
  // One throwaway pass first, so the first row measured does not pay for V8's warm-up.
  const throwaway = createPolicyEngine({ logger, evaluator: createPolicyEvaluator() });
  await throwaway.load(bundle);
  for (const [, input] of inputs()) {
    for (let i = 0; i < 300; i++) await throwaway.authorize(input);
  }
  for (const [label, input] of inputs()) {
    for (const { name, evaluator } of placements) {
      const engine = createPolicyEngine({ logger, evaluator });
      await engine.load(bundle);
      const n = label.startsWith("large") ? 200 : 3000;
      // Warm-up, long enough for the JIT and every worker thread to have seen this bundle.
      for (let i = 0; i < Math.min(n, 500); i++) await engine.authorize(input);
      const t = performance.now();
      for (let i = 0; i < n; i++) await engine.authorize(input);
      const micros = ((performance.now() - t) * 1000) / n;

      // Each decision starts from its own event-loop turn, as requests arriving on sockets
      // do; the histogram then shows how long a turn is held up by the evaluations in it.
      const histogram = monitorEventLoopDelay({ resolution: 1 });
      histogram.enable();
      const result = await load(label, 32, seconds, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return engine.authorize(input);
      });
      histogram.disable();
      rows.push({
        input: label,
        placement: name,
        microsPerDecision: micros,
        decisionsPerSecond: result.perSecond,
        loopP99Ms: histogram.percentile(99) / 1e6,
        loopMaxMs: histogram.max / 1e6,
      });
    }
  }
  await pool.close();
  return rows;
}

/** Prints the evaluation table. */
export function printEvaluation(rows: EvaluationRow[]): void {
  const widths = [26, 26, 12, 14, 14, 12];
  console.log(
    row(["input", "placement", "µs/decision", "decisions/s", "loop p99 ms", "loop max ms"], widths),
  );
  for (const r of rows) {
    console.log(
      row(
        [
          r.input,
          r.placement,
          r.microsPerDecision.toFixed(1),
          r.decisionsPerSecond.toFixed(0),
          r.loopP99Ms.toFixed(2),
          r.loopMaxMs.toFixed(2),
        ],
        widths,
      ),
    );
  }
}
