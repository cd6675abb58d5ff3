/**
 * Matches detector ids against the globs a redact plan uses (`secret.*`, `pii.card`, `*`):
 * `*` stands for any run of characters, dots included; everything else is literal.
 */
export function createGlobMatcher(globs: readonly string[]): (id: string) => boolean {
  if (globs.includes("*")) return () => true;
  const patterns = globs.map(
    (glob) =>
      new RegExp(
        `^${glob
          .split("*")
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
          .join(".*")}$`,
      ),
  );
  return (id) => patterns.some((pattern) => pattern.test(id));
}
