import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolicyEvaluationError } from "../../server/src/errors.js";
import {
  createPolicyInstance,
  type MemoryLimits,
  type PolicyInstance,
} from "../../server/src/policy/policy-instance.js";
import { compileBundle, writePolicyDir } from "../support/policy-fixtures.js";
import { removeDir } from "../support/vigil-process.js";

const mib = 1024 * 1024;

/** Entrypoints of the fixture below, as opa names them. */
const entrypoints = {
  greeting: "fixture/greeting",
  size: "fixture/size",
  items: "fixture/items",
  verdict: "fixture/verdict",
  clock: "fixture/clock",
  limit: "fixture/limit",
};

const fixture = {
  "fixture.rego": `package fixture

import rego.v1

greeting := sprintf("hello %s", [input.name]) if input.name

# numbers.range is compiled into the module, so a large n grows the Wasm heap.
size := count(numbers.range(1, input.n))

items := count(input.items)

# Two complete definitions: both hold when input.a and input.b are true, a conflict that
# only evaluation can find.
verdict := "allow" if input.a

verdict := "deny" if input.b

clock := {
	"ns": time.now_ns(),
	"not_before_noon": time.now_ns() >= time.parse_rfc3339_ns("2026-03-01T12:00:00Z"),
	"within_a_millisecond": time.now_ns() < time.parse_rfc3339_ns("2026-03-01T13:00:00+01:00") + time.parse_duration_ns("1ms"),
}

limit := data.settings.limit
`,
  "data.json": JSON.stringify({ settings: { limit: 7 } }),
};

let dir: string;
let module: WebAssembly.Module;
let data: object;

beforeAll(async () => {
  dir = await writePolicyDir(fixture);
  const bundle = await compileBundle(dir, Object.values(entrypoints));
  module = await WebAssembly.compile(bundle.wasm);
  data = bundle.data as object;
});

afterAll(async () => {
  await removeDir(dir);
});

function instance(limits: MemoryLimits = {}): PolicyInstance {
  return createPolicyInstance({ module, data, ...limits });
}

/** Input as the engine passes it: UTF-8 JSON text. */
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

const noon = Date.parse("2026-03-01T12:00:00Z");

/** What `evaluate` throws; fails the test when it returns instead. */
function thrown(evaluate: () => unknown): unknown {
  try {
    evaluate();
  } catch (error) {
    return error;
  }
  return expect.fail("expected the evaluation to fail");
}

describe("createPolicyInstance", () => {
  it("lists the compiled entrypoints", () => {
    expect([...instance().entrypoints].sort()).toEqual(Object.values(entrypoints).sort());
  });

  it("evaluates an entrypoint and returns its value", () => {
    expect(instance().evaluate(entrypoints.greeting, json({ name: "vigil" }), noon)).toBe(
      "hello vigil",
    );
  });

  it("returns undefined when the rule is undefined for the input", () => {
    expect(instance().evaluate(entrypoints.greeting, json({}), noon)).toBeUndefined();
  });

  it("evaluates with the bundle's data document", () => {
    expect(instance().evaluate(entrypoints.limit, json({}), noon)).toBe(7);
  });

  it("reads only the input's own bytes when given a view into a larger buffer", () => {
    const text = JSON.stringify({ name: "view" });
    const padded = new TextEncoder().encode(`xxxx${text}yyyy`);
    const view = padded.subarray(4, 4 + text.length);
    expect(instance().evaluate(entrypoints.greeting, view, noon)).toBe("hello view");
  });

  it("makes time.now_ns() return the evaluation's nowMs", () => {
    const policy = instance();
    expect(policy.evaluate(entrypoints.clock, json({}), noon)).toEqual({
      ns: noon * 1e6,
      not_before_noon: true,
      within_a_millisecond: true,
    });
    // A later evaluation sees its own time, not the first one's.
    expect(policy.evaluate(entrypoints.clock, json({}), noon - 1)).toMatchObject({
      ns: (noon - 1) * 1e6,
      not_before_noon: false,
    });
  });

  describe("memory", () => {
    it("fails an input larger than the memory cap with PolicyEvaluationError, then recovers", () => {
      const policy = instance({ maxMemoryBytes: 16 * mib });
      const huge = json({ items: "x".repeat(20 * mib) });
      expect(() => policy.evaluate(entrypoints.items, huge, noon)).toThrow(PolicyEvaluationError);
      expect(policy.recycles()).toBe(1);
      expect(policy.evaluate(entrypoints.items, json({ items: [1, 2, 3] }), noon)).toBe(3);
      expect(policy.memoryBytes()).toBeLessThanOrEqual(16 * mib);
    });

    it("fails an evaluation that outgrows the cap, naming the entrypoint, then recovers", () => {
      const policy = instance({ maxMemoryBytes: 8 * mib });
      const error = thrown(() => policy.evaluate(entrypoints.size, json({ n: 1_000_000 }), noon));
      expect(error).toBeInstanceOf(PolicyEvaluationError);
      expect((error as Error).message).toMatch(/^evaluating fixture\/size: /);
      expect(policy.evaluate(entrypoints.size, json({ n: 10 }), noon)).toBe(10);
    });

    it("keeps an instance whose memory stays under recycleAboveBytes", () => {
      const policy = instance({ maxMemoryBytes: 128 * mib, recycleAboveBytes: 4 * mib });
      expect(policy.evaluate(entrypoints.size, json({ n: 1_000 }), noon)).toBe(1_000);
      expect(policy.evaluate(entrypoints.size, json({ n: 1_000 }), noon)).toBe(1_000);
      expect(policy.recycles()).toBe(0);
      expect(policy.memoryBytes()).toBeLessThanOrEqual(4 * mib);
    });

    it("replaces an instance that an evaluation left above recycleAboveBytes", () => {
      const policy = instance({ maxMemoryBytes: 128 * mib, recycleAboveBytes: 4 * mib });
      expect(policy.evaluate(entrypoints.size, json({ n: 100_000 }), noon)).toBe(100_000);
      expect(policy.recycles()).toBe(1);
      expect(policy.evaluate(entrypoints.size, json({ n: 10 }), noon)).toBe(10);
      expect(policy.memoryBytes()).toBeGreaterThan(0);
      expect(policy.memoryBytes()).toBeLessThanOrEqual(4 * mib);
      expect(policy.recycles()).toBe(1);
      // The fresh instance has the bundle's data again.
      expect(policy.evaluate(entrypoints.limit, json({}), noon)).toBe(7);
    });
  });

  describe("evaluation errors", () => {
    it("throws PolicyEvaluationError naming the conflict", () => {
      const policy = instance();
      expect(() => policy.evaluate(entrypoints.verdict, json({ a: true, b: true }), noon)).toThrow(
        /^evaluating fixture\/verdict: .*var assignment conflict/,
      );
      expect(() => policy.evaluate(entrypoints.verdict, json({ a: true, b: true }), noon)).toThrow(
        PolicyEvaluationError,
      );
    });

    it("keeps answering other inputs after an error, on a fresh instance", () => {
      const policy = instance();
      expect(() => policy.evaluate(entrypoints.verdict, json({ a: true, b: true }), noon)).toThrow(
        PolicyEvaluationError,
      );
      expect(policy.recycles()).toBe(1);
      expect(policy.evaluate(entrypoints.verdict, json({ a: true }), noon)).toBe("allow");
      expect(policy.evaluate(entrypoints.verdict, json({ b: true }), noon)).toBe("deny");
      expect(policy.evaluate(entrypoints.limit, json({}), noon)).toBe(7);
    });

    it("rejects an entrypoint the module does not export with PolicyEvaluationError", () => {
      expect(() => instance().evaluate("fixture/missing", json({}), noon)).toThrow(
        PolicyEvaluationError,
      );
    });
  });
});
