/**
 * OPA's `units.parse_bytes`, emulating the 64-bit `big.Float` arithmetic Go does underneath so
 * results match opa to the byte (see `test/unit/host-builtins.test.ts`).
 */

/** OPA's byte units: `k` or `kb` is 1000, `ki` or `kib` 1024, and so on up to exa. */
const byteUnits = new Map<string, bigint>([["", 1n]]);
for (const [index, prefix] of ["k", "m", "g", "t", "p", "e"].entries()) {
  const power = BigInt(index + 1);
  for (const unit of [prefix, `${prefix}b`]) byteUnits.set(unit, 1000n ** power);
  for (const unit of [`${prefix}i`, `${prefix}ib`]) byteUnits.set(unit, 1024n ** power);
}

/**
 * `"10KB"` → 10000, `"1.5KiB"` → 1536, as OPA's `units.parse_bytes`: case-insensitive,
 * quotes ignored, no spaces, a signed decimal with an optional exponent, and a plain `B` is
 * not a unit. OPA computes with 64-bit `big.Float`s and truncates, so `2.1GB` is 2099999999.
 */
export function parseBytes(value: string): number | undefined {
  const s = value.toLowerCase().replaceAll('"', "");
  if (s.includes(" ")) return undefined;
  const split = splitAmount(s);
  const factor = split && byteUnits.get(split.unit);
  const m = split && /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/.exec(split.amount);
  if (!m || factor === undefined) return undefined;
  const [, sign, whole = "", fraction = "", exponent = "0"] = m;
  if (whole === "" && fraction === "") return undefined;
  const mantissa = BigInt(whole + fraction);
  if (mantissa === 0n) return 0;
  // big.Float.SetString: mantissa · 10^n, rounded to 64 bits; 10^n = 2^n · 5^n.
  const n = Number(exponent) - fraction.length;
  const amount: BinaryFloat = { m: mantissa, e: n };
  const parsed =
    n === 0 ? round(amount, 64) : n > 0 ? mul(amount, pow5(n), 64) : quo(amount, pow5(-n), 64);
  const bytes = mul(parsed, { m: factor, e: 0 }, 64);
  // big.Float.Int truncates towards zero.
  if (bitLength(bytes.m) + bytes.e > 1024) return undefined;
  const magnitude = bytes.e >= 0 ? bytes.m << BigInt(bytes.e) : bytes.m >> BigInt(-bytes.e);
  const result = Number(sign === "-" ? -magnitude : magnitude);
  return Number.isFinite(result) ? result : undefined;
}

/** OPA's split of `10.5e3kib` into amount and unit; undefined for an exponent over 6 digits. */
function splitAmount(s: string): { amount: string; unit: string } | undefined {
  const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
  let end = 0;
  for (; end < s.length; end++) {
    const c = s[end];
    if (c === "e") {
      const next = s[end + 1];
      if (!isDigit(next) && next !== "+" && next !== "-") break;
      if (next === "+" || next === "-") end++;
      let digits = 0;
      while (isDigit(s[end + 1 + digits])) digits++;
      if (digits > 6) return undefined;
    } else if (!isDigit(c) && c !== "." && c !== "+" && c !== "-") {
      break;
    }
  }
  return end === 0 ? undefined : { amount: s.slice(0, end), unit: s.slice(end) };
}

/** A non-negative binary floating-point number m · 2^e, standing in for Go's `big.Float`. */
interface BinaryFloat {
  m: bigint;
  e: number;
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Rounds to `bits` significant bits, to nearest, ties to even; `inexact`: bits were lost below m. */
function round(x: BinaryFloat, bits: number, inexact = false): BinaryFloat {
  const extra = bitLength(x.m) - bits;
  if (extra <= 0) return x;
  const shift = BigInt(extra);
  const kept = x.m >> shift;
  const rest = x.m - (kept << shift);
  const half = 1n << (shift - 1n);
  const up = rest > half || (rest === half && (inexact || (kept & 1n) === 1n));
  return { m: up ? kept + 1n : kept, e: x.e + extra };
}

function mul(x: BinaryFloat, y: BinaryFloat, bits: number): BinaryFloat {
  return round({ m: x.m * y.m, e: x.e + y.e }, bits);
}

/** The correctly rounded quotient, as big.Float.Quo computes it. */
function quo(x: BinaryFloat, y: BinaryFloat, bits: number): BinaryFloat {
  const k = Math.max(0, bits + 2 + bitLength(y.m) - bitLength(x.m));
  const dividend = x.m << BigInt(k);
  const q = dividend / y.m;
  return round({ m: q, e: x.e - y.e - k }, bits, q * y.m !== dividend);
}

/** big.Float's pow5: exact up to 5^27, then repeated squaring at 128 and 192 bits. */
function pow5(n: number): BinaryFloat {
  if (n <= 27) return { m: 5n ** BigInt(n), e: 0 };
  let z: BinaryFloat = { m: 5n ** 27n, e: 0 };
  let f: BinaryFloat = { m: 5n, e: 0 };
  for (let k = n - 27; k > 0; k = Math.floor(k / 2)) {
    if (k % 2 === 1) z = mul(z, f, 128);
    f = mul(f, f, 192);
  }
  return z;
}
