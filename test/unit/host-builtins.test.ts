import { execFile } from "node:child_process";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { parseDurationNs, parseRfc3339Ns } from "../../server/src/policy/go-time.js";
import { parseBytes } from "../../server/src/policy/go-units.js";
import { createHostBuiltins } from "../../server/src/policy/host-builtins.js";

/**
 * Vigil's host builtins must answer exactly as the pinned opa does, so that `opa test` and
 * Vigil agree on every policy. Each suite evaluates all its inputs in one opa process and
 * compares, input by input: where opa is undefined (a builtin error, in non-strict mode),
 * Vigil must be undefined too; elsewhere Vigil must return the double nearest to opa's
 * integer, which is exact below 2^53 and within ±1024 for nanosecond values up to 2^63.
 */

/** Evaluates `builtin` on every input with the real opa; opa's exact integer, as text, per input. */
async function evaluateWithOpa(builtin: string, inputs: string[]): Promise<(string | undefined)[]> {
  // json.marshal keeps every digit of integers above 2^53, which JSON.parse would round.
  const query = `r := {i: json.marshal(v) | some i, s in input.cases; v := ${builtin}(s)}`;
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      inject("opaPath"),
      ["eval", "--format", "json", "--stdin-input", query],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, out) => (error ? reject(error) : resolve(out)),
    );
    child.stdin?.end(JSON.stringify({ cases: inputs }));
  });
  const output = JSON.parse(stdout) as {
    result: { bindings: { r: Record<string, string> } }[];
  };
  const results = output.result[0]?.bindings.r ?? {};
  return inputs.map((_, index) => results[String(index)]);
}

/** A deterministic pseudo-random generator (mulberry32), so generated inputs never vary. */
function random(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (below: number) => Math.floor(next() * below);
  return {
    int,
    pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
    digits: (count: number) => Array.from({ length: count }, () => int(10)).join(""),
  };
}

const generated = 300;

interface BuiltinSuite {
  builtin: string;
  parse: (value: string) => number | undefined;
  /** Hand-picked inputs, each a test of its own. */
  table: string[];
  /** Many more inputs, checked together. */
  generate: () => string[];
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

const suites: BuiltinSuite[] = [
  {
    builtin: "time.parse_rfc3339_ns",
    parse: parseRfc3339Ns,
    table: [
      "2026-03-01T12:00:00Z",
      "2026-03-01T12:00:00.5Z",
      "2026-03-01T12:00:00.12Z",
      "2026-03-01T12:00:00.123Z",
      "2026-03-01T12:00:00.1234Z",
      "2026-03-01T12:00:00.12345Z",
      "2026-03-01T12:00:00.123456Z",
      "2026-03-01T12:00:00.1234567Z",
      "2026-03-01T12:00:00.12345678Z",
      "2026-03-01T12:00:00.123456789Z",
      "2026-03-01T12:00:00.1234567891Z", // Go truncates past nine digits
      "2026-03-01T12:00:00.000000000000000001Z",
      "2026-03-01T12:00:00,5Z", // Go accepts a comma before the fraction
      "2026-03-01T12:00:00.Z",
      "2026-03-01T12:00:00..5Z",
      "2026-03-01T12:00:00z",
      "2026-03-01T12:00:00.5z",
      "2026-03-01T12:00:00+01:00",
      "2026-03-01T12:00:00.5+01:00",
      "2026-03-01T12:00:00-05:30",
      "2026-03-01T12:00:00-00:00",
      "2026-03-01T12:00:00-23:59",
      "2026-03-01T12:00:00+24:00", // Go allows offsets up to 24:60
      "2026-03-01T12:00:00+25:00",
      "2026-03-01T12:00:00+01:60",
      "2026-03-01T12:00:00+01:61",
      "2026-03-01T12:00:00+0100",
      "2026-03-01T12:00:00+01",
      "2026-03-01T12:00:00+1:00",
      "2026-03-01T12:00:00UTC",
      "2026-03-01T12:00:00",
      "2024-02-29T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "2000-02-29T00:00:00Z",
      "1900-02-29T00:00:00Z",
      "2026-02-31T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-00-01T00:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-03-00T00:00:00Z",
      "2026-03-01T24:00:00Z",
      "2026-03-01T23:59:59Z",
      "2026-03-01T12:60:00Z",
      "2026-03-01T12:00:60Z",
      "2026-03-01t12:00:00Z",
      "2026-03-01 12:00:00Z",
      "2026-03-01T12:00Z",
      "2026-03-01T1:00:00Z", // Go allows a one-digit hour
      "2026-03-01T 1:00:00Z",
      "2026-3-01T12:00:00Z",
      "2026-03-01T12:0:00Z",
      "2026-03-01T12:00:00Z ",
      " 2026-03-01T12:00:00Z",
      "+2026-03-01T12:00:00Z",
      "10000-01-01T00:00:00Z",
      "0050-01-01T00:00:00Z", // outside int64 nanoseconds, like anything before 1677
      "1970-01-01T00:00:00Z",
      "1969-12-31T23:59:59.999999999Z",
      "1677-09-21T00:12:43.145224192Z",
      "1677-09-21T00:12:43.145224191Z",
      "2262-04-11T23:47:16.854775807Z",
      "2262-04-11T23:47:16.854775808Z",
      "١٩٧٠-01-01T00:00:00Z",
      "garbage",
      "",
    ],
    generate: () => {
      const r = random(3339);
      return Array.from({ length: generated }, () => {
        const date = `${1678 + r.int(584)}-${pad(1 + r.int(12))}-${pad(1 + r.int(31))}`;
        const hour = r.int(4) === 0 ? String(r.int(25)) : pad(r.int(25));
        const time = `${hour}:${pad(r.int(61))}:${pad(r.int(61))}`;
        const fraction = r.pick(["", "", `.${r.digits(1 + r.int(12))}`, `,${r.digits(3)}`]);
        const zone = r.pick(["Z", `${r.pick(["+", "-"])}${pad(r.int(26))}:${pad(r.int(62))}`]);
        return `${date}T${time}${fraction}${zone}`;
      });
    },
  },
  {
    builtin: "time.parse_duration_ns",
    parse: parseDurationNs,
    table: [
      "0",
      "-0",
      "+0",
      "00",
      "0s",
      "1h30m",
      "1.5s",
      "-250ms",
      "+3m",
      "1h1h",
      "300us",
      "300µs",
      "300μs",
      "1ns",
      ".5h",
      "5.s",
      "1.h",
      ".s",
      "1",
      "h",
      "",
      "-",
      "1H",
      "1 h",
      " 1s",
      "1s ",
      "+-1s",
      "1.5.s",
      "1e3s",
      "1.5ns", // Go truncates fractions of a nanosecond
      "-1.5ns",
      "0.5ns",
      "1.0000000001s",
      "0.99999999999999999999999h",
      "1h0.5m",
      "2562047h",
      "2562048h", // overflows int64 nanoseconds
      "9223372036854775807ns",
      "9223372036854775808ns",
      "-9223372036854775808ns",
      "-9223372036854775809ns",
      "99999999999999999999ns",
      "1d", // OPA adds days, weeks and years to Go's units
      "1.5d",
      "0.1d",
      "1e-9d",
      "1d12h",
      "-1d",
      "+1w",
      "1y",
      "1w2d3h4m5s6ms7us8ns",
      "106751d",
      "106752d",
      "1D",
      "1dd",
      "1.2.3d",
      ".d",
      "1mo",
      "1M",
      "1x1d",
      "1μs1d",
      "1µs1d",
    ],
    generate: () => {
      const r = random(1_000_000_007);
      const units = ["ns", "us", "µs", "μs", "ms", "s", "m", "h", "d", "w", "y"];
      const segment = () => {
        const whole = r.int(5) === 0 ? "" : String(r.int(100_000));
        const fraction = r.int(2) === 0 ? "" : `.${r.digits(r.int(22))}`;
        return `${whole || (fraction ? "" : "0")}${fraction}${r.pick(units)}`;
      };
      return Array.from({ length: generated }, () => {
        const segments = Array.from({ length: 1 + r.int(3) }, segment).join("");
        return `${r.pick(["", "", "-", "+"])}${segments}`;
      });
    },
  },
  {
    builtin: "units.parse_bytes",
    parse: parseBytes,
    table: [
      "10KB",
      "10kb",
      "10Kb",
      "10k",
      "1KiB",
      "10KIB",
      "1ki",
      "1.5KiB",
      "1.1kib",
      "1 MB",
      " 10",
      "10\t",
      '"1GB"',
      '"10"kb',
      '1"0kb',
      "1e3",
      "1E3",
      "1e+3",
      "1e-3kb",
      "1e3kb",
      "1e",
      "1eb",
      "1ei",
      "1e+",
      "1e1234567",
      "-1KB",
      "+1kb",
      "-0",
      "1-2",
      "10",
      "10B", // a plain B is not a unit
      "10ib",
      "1.5", // OPA truncates
      "0.1",
      ".5kb",
      "5.kb",
      "1..5kb",
      "0.001kb",
      "0.002kb",
      "0.3kb",
      "2.1GB", // 2099999999: OPA multiplies 64-bit big.Floats
      "4.14MB",
      "3.3333333333333333333kb",
      "1.23456789012345678901234567890kb",
      "1e-20",
      "1EiB",
      "1EB",
      "10mi",
      "10mib",
      "18446744073709551615",
      "18446744073709551616",
      "1000000EiB",
      "1e300kb",
      "1e-400",
      "1e-123456kb",
      "0x10",
      "1_000",
      "١٠",
      "10x",
      "10constructor", // not a unit, even if an Object method
      "kb",
      "abc",
      "",
    ],
    generate: () => {
      const r = random(1024);
      const units = ["", "k", "kb", "ki", "kib", "m", "mb", "mi", "mib", "g", "gb", "gib"];
      const more = ["t", "tb", "tib", "p", "pb", "pib", "e", "eb", "eib", "b", "x"];
      const mixCase = (s: string) =>
        [...s].map((c) => (r.int(2) === 0 ? c.toUpperCase() : c)).join("");
      return Array.from({ length: generated }, () => {
        const whole = r.int(4) === 0 ? "" : String(r.int(r.pick([10, 1000, 100_000])));
        const fraction = r.int(3) === 0 ? "" : `.${r.digits(r.int(20))}`;
        const exponent = r.int(5) === 0 ? `e${r.pick(["", "-", "+"])}${r.int(40)}` : "";
        const unit = mixCase(r.int(4) === 0 ? r.pick(more) : r.pick(units));
        return `${r.pick(["", "", "", "-", "+"])}${whole}${fraction}${exponent}${unit}`;
      });
    },
  },
];

for (const { builtin, parse, table, generate } of suites) {
  describe(builtin, () => {
    const inputs = [...table, ...generate()];
    let opa: (string | undefined)[] = [];

    beforeAll(async () => {
      opa = await evaluateWithOpa(builtin, inputs);
    });

    /** Where Vigil and opa disagree, for the inputs at `indexes`. */
    function disagreements(indexes: number[]) {
      return indexes.flatMap((index) => {
        const input = inputs[index] as string;
        const expected = opa[index] === undefined ? undefined : Number(BigInt(opa[index]));
        const actual = parse(input);
        return Object.is(actual, expected) ? [] : [{ input, opa: opa[index], vigil: actual }];
      });
    }

    it.each(table.map((input, index) => ({ input, index })))(
      "answers $input as opa does",
      ({ index }) => {
        expect(disagreements([index])).toEqual([]);
      },
    );

    it(`answers ${generated} generated inputs as opa does`, () => {
      const indexes = inputs.map((_, index) => index).slice(table.length);
      expect(disagreements(indexes)).toEqual([]);
    });

    it("returns undefined for a non-string argument, as opa's type check would reject it", () => {
      const call = createHostBuiltins(() => 0)[builtin];
      for (const argument of [42, null, true, ["1"], { s: "1" }, undefined]) {
        expect(call?.(argument)).toBeUndefined();
      }
    });
  });
}

describe("units.parse_bytes beyond the double range", () => {
  // opa returns the exact (huge) integer; a JS number cannot hold it, and JSON.stringify
  // would turn Infinity into null, so Vigil leaves the expression undefined instead.
  it("is undefined rather than Infinity, where opa returns the exact integer", () => {
    expect(parseBytes("1e400")).toBeUndefined();
    expect(parseBytes("-1e400kb")).toBeUndefined();
  });
});

describe("time.now_ns", () => {
  it("returns the clock's milliseconds as nanoseconds", () => {
    const builtins = createHostBuiltins(() => 1_772_366_400_123);
    expect(builtins["time.now_ns"]?.()).toBe(1_772_366_400_123 * 1e6);
  });

  it("reads the clock on every call, so each evaluation sees its own time", () => {
    let now = 1_000;
    const builtins = createHostBuiltins(() => now);
    expect(builtins["time.now_ns"]?.()).toBe(1e9);
    now = 2_000;
    expect(builtins["time.now_ns"]?.()).toBe(2e9);
  });
});
