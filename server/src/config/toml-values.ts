import { ConfigError } from "../errors.js";

/**
 * A TOML value that must be a list of non-empty strings (`roles`, `groups`, …); missing is an
 * empty list. Anything else is a {@link ConfigError} naming the entry's field.
 */
export function stringList(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) {
    throw new ConfigError(`${name} must be a list of non-empty strings`);
  }
  return value as string[];
}
