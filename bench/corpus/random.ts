/**
 * Seeded randomness for the corpus: a small PRNG and the alphabets values are drawn from. The
 * order of calls into one {@link Rng} is what makes a seed reproduce the same bytes.
 */

/** Decimal digits. */
export const DIGITS = "0123456789";
/** Lower-case hexadecimal digits. */
export const HEX = "0123456789abcdef";
/** ASCII capital letters. */
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** ASCII letters and digits. */
export const ALNUM = `${DIGITS}${UPPER}abcdefghijklmnopqrstuvwxyz`;
/** The RFC 4648 base32 alphabet. */
export const BASE32 = `${UPPER}234567`;
/** The RFC 4648 base64 alphabet. */
export const BASE64 = `${ALNUM}+/`;
/** The RFC 4648 URL-safe base64 alphabet. */
export const BASE64URL = `${ALNUM}-_`;

/** mulberry32: tiny, fast and good enough to shuffle test data; never for anything secret. */
export class Rng {
  private state: number;
  /** Starts the sequence at `seed` (taken as an unsigned 32-bit integer). */
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** The next number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** An integer in [low, high], both ends included. */
  between(low: number, high: number): number {
    return low + this.int(high - low + 1);
  }
  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** One of `items`, uniformly; throws on an empty list. */
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new RangeError("pick from an empty list");
    return item;
  }
  /** `n` characters drawn from `alphabet`. */
  chars(alphabet: string, n: number): string {
    let out = "";
    for (let i = 0; i < n; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }
}
