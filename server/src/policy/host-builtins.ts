/**
 * Builtins the OPA Wasm module calls back into the host for. opa-wasm itself ships a few
 * (`sprintf`, `json.is_valid`, `regex.split`, `yaml.*`); Vigil adds the time and unit helpers
 * its policy library needs. A bundle that needs any other host builtin is rejected at build
 * and load time (see `wasm-builtins.ts`), so a missing one never surfaces as a runtime deny.
 *
 * Like OPA in non-strict mode, a builtin given arguments it cannot handle returns `undefined`
 * (the expression is undefined) instead of failing the whole evaluation. The parsers follow
 * OPA (Go's `time` and `math/big` underneath) quirk for quirk, so `opa test` and Vigil agree;
 * `test/unit/host-builtins.test.ts` checks them against the pinned opa. Results are exact
 * integers rounded once to the nearest double; a `units.parse_bytes` result beyond the double
 * range is undefined, where OPA would return the huge integer.
 */

import { parseDurationNs, parseRfc3339Ns } from "./go-time.js";
import { parseBytes } from "./go-units.js";

/** Host builtins opa-wasm implements in JavaScript. */
const sdkBuiltins = [
  "sprintf",
  "json.is_valid",
  "regex.split",
  "yaml.marshal",
  "yaml.unmarshal",
  "yaml.is_valid",
];

/** Host builtins Vigil implements (below). */
const vigilBuiltins = [
  "time.now_ns",
  "time.parse_rfc3339_ns",
  "time.parse_duration_ns",
  "units.parse_bytes",
];

/** Every builtin a bundle may import from the host. */
export const supportedHostBuiltins: ReadonlySet<string> = new Set([
  ...sdkBuiltins,
  ...vigilBuiltins,
]);

/** The builtins Vigil passes to opa-wasm's `loadPolicy`. */
export type HostBuiltins = Record<string, (...args: unknown[]) => unknown>;

/**
 * Creates Vigil's builtins. `now` is read by `time.now_ns`; the caller sets it once per
 * evaluation, because OPA guarantees one value of `time.now_ns()` for a whole query.
 */
export function createHostBuiltins(now: () => number): HostBuiltins {
  return {
    "time.now_ns": () => now() * 1e6,
    "time.parse_rfc3339_ns": (value) =>
      typeof value === "string" ? parseRfc3339Ns(value) : undefined,
    "time.parse_duration_ns": (value) =>
      typeof value === "string" ? parseDurationNs(value) : undefined,
    "units.parse_bytes": (value) => (typeof value === "string" ? parseBytes(value) : undefined),
  };
}
