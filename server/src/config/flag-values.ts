import { ConfigError } from "../errors.js";

/** `true`/`false` (also 1/0, yes/no, on/off); anything else is a {@link ConfigError} naming the flag. */
export function bool(flag: string, value: string): boolean {
  if (/^(true|1|yes|on)$/i.test(value)) return true;
  if (/^(false|0|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${flag}: expected true or false, got "${value}"`);
}

/** A whole number ≥ 0, or a {@link ConfigError} naming the flag. */
export function nonNegativeInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || value.trim() === "") {
    throw new ConfigError(`${flag}: expected a whole number ≥ 0, got "${value}"`);
  }
  return n;
}

/** A whole number > 0, or a {@link ConfigError} naming the flag. */
export function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new ConfigError(`${flag}: expected a positive integer, got "${value}"`);
  }
  return n;
}
