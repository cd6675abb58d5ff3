/**
 * OPA's time parsers, ported from Go's `time` package quirk for quirk (see
 * `test/unit/host-builtins.test.ts`, which checks them against the pinned opa). Values are
 * computed as exact int64 nanoseconds and rounded once to the nearest double.
 */

/** Go's `time.Duration` and OPA's nanosecond timestamps are int64. */
const twoTo63 = 2n ** 63n;
const int64Max = twoTo63 - 1n;
const int64Min = -twoTo63;

// Go's time.Parse(time.RFC3339, …): its general parser accepts a one-digit hour, a comma
// before the fraction, more than nine fraction digits (truncated) and offsets up to ±24:60.
const rfc3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** `2026-03-01T12:00:00.5+01:00` → nanoseconds since the epoch, or undefined. */
export function parseRfc3339Ns(value: string): number | undefined {
  const m = rfc3339.exec(value);
  if (!m) return undefined;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = m
    .slice(1, 7)
    .map(Number);
  // "Z" is an offset of +00:00.
  const [fraction = "", sign = "+", offsetHours = "0", offsetMinutes = "0"] = m.slice(7);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  if (Number(offsetHours) > 24 || Number(offsetMinutes) > 60) return undefined;
  // setUTCFullYear, unlike Date.UTC, keeps years 0–99 as they are.
  const date = new Date(0);
  const ms = date.setUTCFullYear(year, month - 1, day);
  // The Date rolls 31 February over into March; Go rejects it.
  if (date.getUTCDate() !== day) return undefined;
  const offset =
    (sign === "-" ? -1 : 1) * (Number(offsetHours) * 3600 + Number(offsetMinutes) * 60);
  const seconds = ms / 1000 + hour * 3600 + minute * 60 + second - offset;
  const ns = BigInt(seconds) * 1_000_000_000n + BigInt(fraction.slice(0, 9).padEnd(9, "0"));
  return ns < int64Min || ns > int64Max ? undefined : Number(ns);
}

const durationUnits = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["µs", 1_000n],
  ["μs", 1_000n],
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
]);

/** OPA's units beyond Go's, in hours. */
const extendedDurationUnits = new Map([
  ["d", 24],
  ["w", 7 * 24],
  ["y", 365 * 24],
]);

/**
 * Go duration syntax (`1h30m`, `1.5s`, `-250ms`) plus OPA's `d`, `w` and `y` → nanoseconds,
 * or undefined.
 */
export function parseDurationNs(value: string): number | undefined {
  const goSyntax = /[dwy]/.test(value) ? rewriteExtendedUnits(value) : value;
  const ns = goSyntax === undefined ? undefined : goParseDuration(goSyntax);
  return ns === undefined ? undefined : Number(ns);
}

/**
 * OPA rewrites `1.5d` to `36h` (through a float64 and Go's shortest formatting) before Go
 * parses the duration; segments in Go's own units pass through unchanged.
 */
function rewriteExtendedUnits(value: string): string | undefined {
  const m = /^([-+]?)((?:[0-9.]+(?:ms|us|µs|ns|[a-z]))+)$/.exec(value);
  if (!m) return undefined;
  let rewritten = m[1] ?? "";
  for (const [, digits = "", unit = ""] of (m[2] ?? "").matchAll(/([0-9.]+)(ms|us|µs|ns|[a-z])/g)) {
    const hoursPerUnit = extendedDurationUnits.get(unit);
    if (hoursPerUnit === undefined) {
      rewritten += digits + unit;
      continue;
    }
    // strconv.ParseFloat: "1.", ".5" and "1.5" are numbers; ".", "1.2.3" and overflow are not.
    const amount = /^(?:\d+\.?\d*|\.\d+)$/.test(digits) ? Number(digits) : Number.NaN;
    if (!Number.isFinite(amount)) return undefined;
    rewritten += `${formatFixed(amount * hoursPerUnit)}h`;
  }
  return rewritten;
}

/** Go's `strconv.FormatFloat(x, 'f', -1, 64)` for x ≥ 0: shortest digits, never an exponent. */
function formatFixed(x: number): string {
  const [digits = "", exponent] = x.toString().split("e");
  if (exponent === undefined) return digits;
  const [whole = "", fraction = ""] = digits.split(".");
  const shift = Number(exponent);
  // Small numbers only: anything written with a positive exponent overflows a duration anyway.
  return shift < 0 ? `0.${"0".repeat(-shift - 1)}${whole}${fraction}` : `${digits}e${exponent}`;
}

/** A port of Go's `time.ParseDuration`, including its truncation and overflow rules. */
function goParseDuration(value: string): bigint | undefined {
  const negative = value.startsWith("-");
  const body = negative || value.startsWith("+") ? value.slice(1) : value;
  if (body === "0") return 0n;
  if (body === "") return undefined;
  const segment = /(\d*)(?:\.(\d*))?([^\d.]*)/y;
  let total = 0n;
  while (segment.lastIndex < body.length) {
    const [, whole = "", fraction, unitName = ""] = segment.exec(body) ?? [];
    if (whole === "" && !fraction) return undefined;
    const unit = durationUnits.get(unitName);
    if (unit === undefined || BigInt(whole || "0") > twoTo63 / unit) return undefined;
    let v = BigInt(whole || "0") * unit;
    // Go keeps fraction digits while they fit in a uint64 and scales them through a float64.
    let f = 0n;
    let scale = 1;
    for (const digit of fraction ?? "") {
      const next = f * 10n + BigInt(digit);
      if (f > int64Max / 10n || next > twoTo63) break;
      f = next;
      scale *= 10;
    }
    if (f > 0n) v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
    total += v;
    if (v > twoTo63 || total > twoTo63) return undefined;
  }
  if (negative) return -total;
  return total > int64Max ? undefined : total;
}
