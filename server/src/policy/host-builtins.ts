/**
 * Builtins the OPA Wasm module calls back into the host for. opa-wasm itself ships a few
 * (`sprintf`, `json.is_valid`, `regex.split`, `yaml.*`); Vigil adds the time and unit helpers
 * its policy library needs. A bundle that needs any other host builtin is rejected at build
 * and load time (see `wasm-builtins.ts`), so a missing one never surfaces as a runtime deny.
 *
 * Like OPA in non-strict mode, a builtin given arguments it cannot handle returns `undefined`
 * (the expression is undefined) instead of failing the whole evaluation.
 */

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

const rfc3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** `2026-03-01T12:00:00.5+01:00` → nanoseconds since the epoch, or undefined. */
export function parseRfc3339Ns(value: string): number | undefined {
  const m = rfc3339.exec(value);
  if (!m) return undefined;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = m
    .slice(1, 7)
    .map(Number);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) {
    return undefined;
  }
  if (second > 60) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February over into March; Go's time.Parse rejects it.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  const fraction = Number((m[7] ?? "").padEnd(9, "0"));
  const offsetMinutes = m[9] ? (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) : 0;
  return (ms - offsetMinutes * 60_000) * 1e6 + fraction;
}

const durationUnits: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go duration syntax (`1h30m`, `1.5s`, `-250ms`) → nanoseconds, or undefined. */
export function parseDurationNs(value: string): number | undefined {
  const m = /^([-+]?)(.*)$/.exec(value);
  const body = m?.[2] ?? "";
  if (body === "0") return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  while (index < body.length) {
    part.lastIndex = index;
    const p = part.exec(body);
    if (!p) return undefined;
    total += Number(p[1]) * (durationUnits[p[2] as string] as number);
    index = part.lastIndex;
  }
  if (index === 0) return undefined;
  return m?.[1] === "-" ? -total : total;
}

const byteUnits: Record<string, number> = {
  "": 1,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  p: 1e15,
  e: 1e18,
  ki: 2 ** 10,
  mi: 2 ** 20,
  gi: 2 ** 30,
  ti: 2 ** 40,
  pi: 2 ** 50,
  ei: 2 ** 60,
};

/** `"10KB"` → 10000, `"1.5KiB"` → 1536, as OPA's `units.parse_bytes` (case-insensitive). */
export function parseBytes(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kmgtpe]i?)?b?\s*$/i.exec(value.replaceAll('"', ""));
  if (!m) return undefined;
  const factor = byteUnits[(m[2] ?? "").toLowerCase()];
  if (factor === undefined) return undefined;
  return Math.round(Number(m[1]) * factor);
}
