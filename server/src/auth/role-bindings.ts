import { readFile } from "node:fs/promises";
import { parse } from "smol-toml";
import { stringList } from "../config/toml-values.js";
import { ConfigError, describeError } from "../errors.js";
import type { Identity } from "./identity.js";
import { isRole, type Role, roleNames } from "./roles.js";

/** Adds roles to identities by id and group. */
export interface RoleBindings {
  /** The identity with every role its bindings grant added (its own roles kept). */
  apply(identity: Identity): Identity;
}

interface Binding {
  role: Role;
  /** Exact ids, or prefixes written `prefix*`. */
  identities: string[];
  groups: string[];
  /** Only identities proved this way; empty = any. */
  methods: Identity["method"][];
}

const methods = ["token", "jwt", "mtls"] as const;

/**
 * Loads a role bindings file (TOML), for identities whose credential carries no roles of its
 * own, such as client certificates, or JWTs from an identity provider that only knows groups:
 *
 * ```toml
 * [[bindings]]
 * role = "client"
 * identities = ["spiffe://example.org/ci/*"]   # exact, or a prefix ending in *
 * methods = ["mtls"]                            # optional: only these credential kinds
 *
 * [[bindings]]
 * role = "approver"
 * groups = ["sre-oncall"]
 * ```
 * A malformed file stops the start with a `ConfigError` naming the entry.
 */
export async function loadRoleBindings(path: string): Promise<RoleBindings> {
  let doc: Record<string, unknown>;
  try {
    doc = parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new ConfigError(`role bindings file ${path}: ${describeError(error)}`);
  }
  const entries = doc.bindings ?? [];
  if (!Array.isArray(entries)) {
    throw new ConfigError(
      `role bindings file ${path}: "bindings" must be an array of tables ([[bindings]])`,
    );
  }
  const bindings = entries.map((entry: Record<string, unknown>, i): Binding => {
    const where = `role bindings file ${path}: bindings[${i}]`;
    if (typeof entry.role !== "string" || !isRole(entry.role)) {
      throw new ConfigError(`${where}: "role" must be one of ${roleNames.join(", ")}`);
    }
    const binding: Binding = {
      role: entry.role,
      identities: stringList(entry.identities, `${where}.identities`),
      groups: stringList(entry.groups, `${where}.groups`),
      methods: stringList(entry.methods, `${where}.methods`).map((method) => {
        if (!(methods as readonly string[]).includes(method)) {
          throw new ConfigError(
            `${where}.methods: "${method}" is not one of ${methods.join(", ")}`,
          );
        }
        return method as Identity["method"];
      }),
    };
    if (binding.identities.length === 0 && binding.groups.length === 0) {
      throw new ConfigError(`${where}: name at least one of "identities" or "groups"`);
    }
    if (binding.identities.includes("*")) {
      throw new ConfigError(`${where}: "*" would bind every identity; list them or use a prefix`);
    }
    return binding;
  });
  return {
    apply(identity) {
      const roles = new Set(identity.roles);
      for (const binding of bindings) {
        if (binding.methods.length > 0 && !binding.methods.includes(identity.method)) continue;
        if (
          binding.identities.some((pattern) => matches(pattern, identity.id)) ||
          binding.groups.some((group) => identity.groups.includes(group))
        ) {
          roles.add(binding.role);
        }
      }
      return roles.size === identity.roles.length ? identity : { ...identity, roles: [...roles] };
    },
  };
}

function matches(pattern: string, id: string): boolean {
  return pattern.endsWith("*") ? id.startsWith(pattern.slice(0, -1)) : id === pattern;
}
