import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../server/src/main.js";

/**
 * A README example: a shell command and what it is documented to print, as JSON (a ```json
 * block) or as text (a plain ``` block, where `…` stands for any run of characters).
 */
export interface ReadmeSnippet {
  name: string;
  command: string;
  output: { json: unknown } | { text: string };
}

/** Every `<!-- readme-test: NAME -->` example: the ```sh block after it and the output block after that. */
export function readmeSnippets(): ReadmeSnippet[] {
  const readme = readFileSync(join(projectRoot, "README.md"), "utf8");
  const pattern =
    /<!-- readme-test: ([\w-]+) -->\s*```sh\n([\s\S]*?)```\s*```(json)?\n([\s\S]*?)```/g;
  return [...readme.matchAll(pattern)].map((m) => ({
    name: m[1] ?? "",
    command: m[2] ?? "",
    output: m[3] ? { json: JSON.parse(m[4] ?? "") } : { text: m[4] ?? "" },
  }));
}

/**
 * The fenced block after `<!-- readme-config: NAME -->`: a configuration file the README shows
 * (e.g. nginx), which a test runs with its own ports substituted.
 */
export function readmeConfig(name: string): string {
  const readme = readFileSync(join(projectRoot, "README.md"), "utf8");
  const match = new RegExp(
    `<!-- readme-config: ${name} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``,
  ).exec(readme);
  if (!match?.[1]) throw new Error(`README.md has no readme-config block named ${name}`);
  return match[1];
}

/** A pattern for documented text output: literal, except that `…` matches anything. */
export function textPattern(documented: string): RegExp {
  const escaped = documented
    .split("…")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*?");
  return new RegExp(`^${escaped}$`, "s");
}

const volatile = new Set([
  "decisionId",
  "decidedAt",
  "createdAt",
  "expiresAt",
  "sequence",
  "bundleRevision",
  "policyRevision",
  "bundleDigest",
  "actionDigest",
]);

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Replaces values that differ on every run (ids, times, revisions) with their field name, and
 * any UUID (an approval's id) with `<uuid>`.
 */
export function normalize(value: unknown): unknown {
  if (typeof value === "string" && uuid.test(value)) return "<uuid>";
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, volatile.has(k) ? `<${k}>` : normalize(v)]),
    );
  }
  return value;
}
