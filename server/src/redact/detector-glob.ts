/** Matchers by their globs: plans are parsed per request, but name the same globs each time. */
const matchers = new Map<string, (id: string) => boolean>();
const maxMatchers = 256;

/**
 * Matches detector ids against the globs a redact plan uses (`secret.*`, `pii.card`, `*`):
 * `*` stands for any run of characters, dots included; everything else is literal. Matchers
 * are cached by their globs, and each remembers its answer per id.
 */
export function createGlobMatcher(globs: readonly string[]): (id: string) => boolean {
  const key = globs.join("\u0000");
  const cached = matchers.get(key);
  if (cached) return cached;
  const matcher = compile(globs);
  if (matchers.size >= maxMatchers) matchers.clear();
  matchers.set(key, matcher);
  return matcher;
}

function compile(globs: readonly string[]): (id: string) => boolean {
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
  // Detector ids are a small, fixed vocabulary: remember each answer.
  const answers = new Map<string, boolean>();
  return (id) => {
    let answer = answers.get(id);
    if (answer === undefined) {
      answer = patterns.some((pattern) => pattern.test(id));
      if (answers.size < 4096) answers.set(id, answer);
    }
    return answer;
  };
}
