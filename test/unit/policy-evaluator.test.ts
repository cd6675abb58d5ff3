import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolicyEvaluationError, PolicyOverloadedError } from "../../server/src/errors.js";
import {
  createPolicyEvaluator,
  type PolicyEvaluator,
  type PreparedPolicy,
} from "../../server/src/policy/policy-evaluator.js";
import { createPolicyWorkerPool } from "../../server/src/policy/policy-worker-pool.js";
import { authzModule, compileBundle, writePolicyDir } from "../support/policy-fixtures.js";
import { removeDir } from "../support/vigil-process.js";

/** Echoes the input's size class, and conflicts when asked to, so failures can be provoked. */
const policy = authzModule(
  [
    'decision := {"decision": "allow", "reasons": [{"code": "len", "message": sprintf("%d", [count(input.text)])}]} if not input.conflict',
    'decision := {"decision": "allow"} if input.conflict',
    'decision := {"decision": "deny"} if input.conflict',
  ].join("\n"),
);

let module: WebAssembly.Module;
const dirs: string[] = [];
const evaluators: PolicyEvaluator[] = [];

beforeAll(async () => {
  const dir = await writePolicyDir(policy);
  dirs.push(dir);
  module = await WebAssembly.compile((await compileBundle(dir)).wasm);
});

afterAll(async () => {
  // Closing an evaluator closes the pool it was given.
  await Promise.all(evaluators.map((e) => e.close()));
  await Promise.all(dirs.map(removeDir));
});

function evaluator(options: { threads?: number; maxQueue?: number; inlineMaxBytes?: number }) {
  const pool = createPolicyWorkerPool({
    threads: options.threads ?? 1,
    maxQueue: options.maxQueue ?? 1024,
  });
  const made = createPolicyEvaluator({ pool, inlineMaxBytes: options.inlineMaxBytes ?? 1024 });
  evaluators.push(made);
  return { made, prepared: made.prepare(module, {}) };
}

const entrypoint = "vigil/authz/decision";
const text = (n: number) => ({ text: "x".repeat(n) });

describe("createPolicyEvaluator", () => {
  it("evaluates inputs up to inlineMaxBytes on the main thread and larger ones on the pool", async () => {
    const { made, prepared } = evaluator({ inlineMaxBytes: 1024 });
    const small = await made.evaluate(prepared, entrypoint, text(10), Date.now());
    const large = await made.evaluate(prepared, entrypoint, text(5000), Date.now());
    expect(small).toMatchObject({ thread: "main", result: { reasons: [{ message: "10" }] } });
    expect(large).toMatchObject({ thread: "worker", result: { reasons: [{ message: "5000" }] } });
  });

  it("evaluates everything on the main thread without a pool", async () => {
    const made = createPolicyEvaluator();
    evaluators.push(made);
    const prepared = made.prepare(module, {});
    const large = await made.evaluate(prepared, entrypoint, text(100_000), Date.now());
    expect(large.thread).toBe("main");
  });

  it("reports a failed evaluation on a worker as PolicyEvaluationError naming the conflict", async () => {
    const { made, prepared } = evaluator({ inlineMaxBytes: 0 });
    const failure = await made
      .evaluate(prepared, entrypoint, { conflict: true }, Date.now())
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PolicyEvaluationError);
    expect((failure as Error).message).toMatch(/conflict/);
    // The worker recycled its instance and keeps answering.
    const next = await made.evaluate(prepared, entrypoint, text(3), Date.now());
    expect(next.result).toMatchObject({ decision: "allow" });
    expect(made.recycles()).toBeGreaterThanOrEqual(1);
  });

  it("sheds load with PolicyOverloadedError when the pool's queue is full", async () => {
    const { made, prepared } = evaluator({ threads: 1, maxQueue: 1, inlineMaxBytes: 0 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, () =>
        made.evaluate(prepared, entrypoint, text(200_000), Date.now()),
      ),
    );
    const rejected = outcomes.filter((o) => o.status === "rejected");
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(PolicyOverloadedError);
    }
    expect(outcomes.some((o) => o.status === "fulfilled")).toBe(true);
  });

  it("keeps the bundle each evaluation started with, per prepared policy", async () => {
    const { made } = evaluator({ inlineMaxBytes: 0 });
    const otherDir = await writePolicyDir(authzModule('decision := {"decision": "deny"}'));
    dirs.push(otherDir);
    const other = await compileBundle(otherDir);
    const first: PreparedPolicy = made.prepare(module, {});
    const second = made.prepare(await WebAssembly.compile(other.wasm), {});
    const [a, b] = await Promise.all([
      made.evaluate(first, entrypoint, text(1), Date.now()),
      made.evaluate(second, entrypoint, text(1), Date.now()),
    ]);
    expect([
      (a.result as { decision: string }).decision,
      (b.result as { decision: string }).decision,
    ]).toEqual(["allow", "deny"]);
  });
});
