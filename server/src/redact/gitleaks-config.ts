import { readFile } from "node:fs/promises";
import { parse, TomlError } from "smol-toml";
import type { CustomAllowlist, CustomRuleSpec } from "./custom-rule.js";
import { InvalidCustomRuleError } from "./custom-rule.js";

/** The rules a gitleaks configuration yields, and the ones Vigil cannot apply, with why. */
export interface GitleaksRules {
  rules: CustomRuleSpec[];
  skipped: { id: string; reason: string }[];
}

type Table = Record<string, unknown>;

/**
 * Reads a gitleaks TOML configuration (the format of `.gitleaks.toml`, v8) into custom rules.
 * Rules scoped to file paths are skipped and reported: content in flight has no path.
 * `[extend] useDefault` is accepted; Vigil's built-in secret rules play gitleaks' defaults.
 * Throws {@link InvalidCustomRuleError} naming the rule and the problem.
 */
export function parseGitleaksConfig(text: string, source: string): GitleaksRules {
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (error) {
    const where = error instanceof TomlError ? ` at line ${error.line}` : "";
    throw new InvalidCustomRuleError(source, "*", `is not valid TOML${where}`);
  }
  const global = globalAllowlists(doc, source);
  const rules: CustomRuleSpec[] = [];
  const skipped: GitleaksRules["skipped"] = [];
  for (const [i, entry] of tables(doc.rules, `rules`, source).entries()) {
    const id = str(entry.id, `rules[${i}].id`, source, "*");
    const field = (name: string) => `rules[${i}].${name}`;
    if (entry.path !== undefined) {
      skipped.push({ id, reason: "scoped to file paths, which content in flight does not have" });
      continue;
    }
    if (entry.regex === undefined) {
      skipped.push({ id, reason: "has no regex" });
      continue;
    }
    const own = [
      ...tables(entry.allowlists, field("allowlists"), source),
      ...(entry.allowlist === undefined
        ? []
        : [table(entry.allowlist, field("allowlist"), source)]),
    ].map((list, j) => allowlist(list, `${field("allowlists")}[${j}]`, source, id));
    rules.push({
      id,
      description: optionalStr(entry.description, field("description"), source, id),
      regex: str(entry.regex, field("regex"), source, id),
      secretGroup: num(entry.secretGroup, field("secretGroup"), source, id),
      entropy: num(entry.entropy, field("entropy"), source, id),
      keywords: strs(entry.keywords, field("keywords"), source, id),
      allowlists: [
        ...own,
        ...global
          .filter((g) => g.targets.length === 0 || g.targets.includes(id))
          .map((g) => g.list),
      ],
    });
  }
  return { rules, skipped };
}

/** Reads and parses a gitleaks TOML file; errors name the file. */
export async function loadGitleaksConfig(path: string): Promise<GitleaksRules> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new InvalidCustomRuleError(
      path,
      "*",
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  return parseGitleaksConfig(text, path);
}

/** `[allowlist]` (before v8.21) and `[[allowlists]]` with optional `targetRules`. */
function globalAllowlists(doc: Table, source: string) {
  const lists = [
    ...(doc.allowlist === undefined ? [] : [table(doc.allowlist, "allowlist", source)]),
    ...tables(doc.allowlists, "allowlists", source),
  ];
  return lists.map((list, i) => ({
    list: allowlist(list, `allowlists[${i}]`, source, "*"),
    targets: strs(list.targetRules, `allowlists[${i}].targetRules`, source, "*"),
  }));
}

function allowlist(list: Table, field: string, source: string, id: string): CustomAllowlist {
  const target = list.regexTarget ?? "secret";
  if (target !== "secret" && target !== "match" && target !== "line") {
    throw new InvalidCustomRuleError(
      source,
      id,
      `${field}.regexTarget must be secret, match or line`,
    );
  }
  const condition = String(list.condition ?? "OR").toUpperCase();
  if (condition !== "OR" && condition !== "AND") {
    throw new InvalidCustomRuleError(source, id, `${field}.condition must be OR or AND`);
  }
  return {
    regexes: strs(list.regexes, `${field}.regexes`, source, id),
    regexTarget: target,
    stopwords: strs(list.stopwords, `${field}.stopwords`, source, id),
    condition,
    unmatchable:
      strs(list.paths, `${field}.paths`, source, id).length > 0 ||
      strs(list.commits, `${field}.commits`, source, id).length > 0,
  };
}

function tables(value: unknown, field: string, source: string): Table[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new InvalidCustomRuleError(source, "*", `${field} must be an array of tables`);
  return value.map((item, i) => table(item, `${field}[${i}]`, source));
}

function table(value: unknown, field: string, source: string): Table {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidCustomRuleError(source, "*", `${field} must be a table`);
  }
  return value as Table;
}

function str(value: unknown, field: string, source: string, id: string): string {
  if (typeof value !== "string" || value === "") {
    throw new InvalidCustomRuleError(source, id, `${field} must be a non-empty string`);
  }
  return value;
}

function optionalStr(value: unknown, field: string, source: string, id: string): string {
  return value === undefined ? "" : str(value, field, source, id);
}

function strs(value: unknown, field: string, source: string, id: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new InvalidCustomRuleError(source, id, `${field} must be an array of strings`);
  }
  return value as string[];
}

function num(value: unknown, field: string, source: string, id: string): number {
  if (value === undefined) return 0;
  // smol-toml reads integers as numbers, or as bigint when they are too large to be exact.
  if (typeof value !== "number")
    throw new InvalidCustomRuleError(source, id, `${field} must be a number`);
  return value;
}
