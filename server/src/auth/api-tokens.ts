import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parse } from "smol-toml";
import { stringList } from "../config/toml-values.js";
import { ConfigError, describeError, UnauthenticatedError } from "../errors.js";
import type { Identity } from "./identity.js";

/** Resolves bearer tokens to identities. */
export interface TokenAuthenticator {
  /** The identity of a presented token; `UnauthenticatedError` when no entry matches. */
  authenticate(token: string): Identity;
  /** How many tokens are configured. */
  size: number;
  /** The identities of the entries, in file order. */
  identities: readonly Identity[];
}

/** Prefix of tokens made by {@link newApiToken}, so scanners and humans can recognise them. */
export const tokenPrefix = "vgl_";

/**
 * Loads a tokens file (TOML): `[[tokens]]` entries with `id`, `sha256` (hex SHA-256 of the
 * token; the token itself is never stored), and optional `roles` and `groups` lists. A
 * malformed file stops the start with a `ConfigError` naming the entry.
 */
export async function loadApiTokens(path: string): Promise<TokenAuthenticator> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(`tokens file ${path}: ${describeError(error)}`);
  }
  return parseApiTokens(text, path);
}

/** Parses a tokens file's text (see {@link loadApiTokens}); `path` only names it in errors. */
export function parseApiTokens(text: string, path: string): TokenAuthenticator {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (error) {
    throw new ConfigError(`tokens file ${path}: ${describeError(error)}`);
  }
  const entries = doc.tokens ?? [];
  if (!Array.isArray(entries)) {
    throw new ConfigError(`tokens file ${path}: "tokens" must be an array of tables ([[tokens]])`);
  }
  const byHash = new Map<string, Identity>();
  entries.forEach((entry: Record<string, unknown>, i) => {
    const where = `tokens file ${path}: tokens[${i}]`;
    if (typeof entry.id !== "string" || entry.id === "") {
      throw new ConfigError(`${where}: "id" must be a non-empty string`);
    }
    if (typeof entry.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(entry.sha256)) {
      throw new ConfigError(`${where} (${entry.id}): "sha256" must be 64 lower-case hex digits`);
    }
    if (byHash.has(entry.sha256)) {
      throw new ConfigError(`${where} (${entry.id}): the same token hash appears twice`);
    }
    byHash.set(entry.sha256, {
      id: entry.id,
      method: "token",
      roles: stringList(entry.roles, `${where}.roles`),
      groups: stringList(entry.groups, `${where}.groups`),
    });
  });
  return {
    authenticate(token) {
      // Looking up by digest leaks timing about the digest at most, never about the token.
      const identity = byHash.get(tokenHash(token));
      if (!identity) {
        throw new UnauthenticatedError("the bearer token is not one this server accepts");
      }
      return identity;
    },
    size: byHash.size,
    identities: [...byHash.values()],
  };
}

/** Hex SHA-256 of a token, as the tokens file stores it. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A new random API token (256 bits). */
export function newApiToken(): string {
  return `${tokenPrefix}${randomBytes(32).toString("base64url")}`;
}
