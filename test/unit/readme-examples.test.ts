import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../server/src/main.js";

const read = (path: string) => readFileSync(join(projectRoot, path), "utf8");

/** The first fenced block after `from` (or in the file), without its fences. */
function block(text: string, from = 0): { lang: string; body: string } | undefined {
  const match = /```(\w*)\n([\s\S]*?)```/.exec(text.slice(from));
  return match ? { lang: match[1] ?? "", body: match[2] ?? "" } : undefined;
}

describe("README client examples", () => {
  const readme = read("README.md");
  const copies = [...readme.matchAll(/<!-- same-as: ([\w./-]+) -->/g)];

  it("shows one example per client", () => {
    expect(copies.map((m) => m[1])).toEqual([
      "clients/ts/README.md",
      "clients/go/README.md",
      "clients/python/README.md",
    ]);
  });

  it.each(copies.map((m) => [m[1] ?? "", m.index ?? 0] as const))(
    "copies %s's tested example word for word",
    (source, at) => {
      const shown = block(readme, at);
      const original = read(source);
      // The client README's first block of the same language is the one its tests run.
      const tested = block(original, original.indexOf(`\`\`\`${shown?.lang}\n`));
      expect(shown?.body).toBeTruthy();
      expect(shown?.body).toBe(tested?.body);
    },
  );
});
