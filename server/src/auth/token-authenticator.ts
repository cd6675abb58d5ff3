import type { Logger } from "../logging/logger.js";
import { type Watch, watchDebounced } from "../policy/file-watch.js";
import { loadApiTokens, type TokenAuthenticator } from "./api-tokens.js";
import type { Authenticator } from "./authenticator.js";
import { isRole, roleNames } from "./roles.js";

/** Options for {@link createTokenAuthenticator}. */
export interface TokenAuthenticatorOptions {
  /** The tokens file (`--auth-tokens`). */
  path: string;
  logger: Logger;
  /** Reload the file when it changes, so removing an entry revokes its token. Default true. */
  watch?: boolean;
  /** Called after each reload attempt, for the reload metric. */
  onReload?: (result: "loaded" | "rejected") => void;
}

/** The API-token authenticator, plus how many tokens it currently accepts. */
export interface TokenFileAuthenticator extends Authenticator {
  /** Tokens accepted right now. */
  size(): number;
}

/**
 * Authenticates `Bearer` API tokens against the tokens file. The file is read at start (an
 * unusable file stops the start) and again whenever it changes: removing an entry revokes its
 * token within about a second, without a restart. A file that no longer parses is refused with
 * an error in the log and the tokens loaded before stay in force, so a typo cannot lock every
 * caller out; the log line says so.
 */
export async function createTokenAuthenticator(
  options: TokenAuthenticatorOptions,
): Promise<TokenFileAuthenticator> {
  const { path, logger } = options;
  let tokens: TokenAuthenticator = await loadApiTokens(path);
  warnUnknownRoles(tokens, path, logger);
  let watch: Watch | undefined;
  if (options.watch ?? true) {
    watch = watchDebounced({
      path,
      debounceMs: 100,
      run: async () => {
        try {
          tokens = await loadApiTokens(path);
          warnUnknownRoles(tokens, path, logger);
          logger.info({ path, tokens: tokens.size }, "tokens file reloaded");
          options.onReload?.("loaded");
        } catch (error) {
          logger.error(
            { path, err: (error as Error).message, tokens: tokens.size },
            "tokens file rejected; the tokens loaded before stay in force until it is fixed",
          );
          options.onReload?.("rejected");
        }
      },
    });
  }
  return {
    async authenticate(credentials) {
      return credentials.bearer === undefined ? undefined : tokens.authenticate(credentials.bearer);
    },
    size: () => tokens.size,
    async close() {
      await watch?.close();
    },
  };
}

/**
 * A role name Vigil does not know grants nothing; most likely a typo (`aprover`), so say so.
 * Not an error: the same file format serves `vigil proxy --callers`, whose roles are principal
 * kinds (`user`, `service`, `ci_job`).
 */
function warnUnknownRoles(tokens: TokenAuthenticator, path: string, logger: Logger): void {
  for (const identity of tokens.identities) {
    const unknown = identity.roles.filter((role) => !isRole(role));
    if (unknown.length > 0) {
      logger.warn(
        { path, id: identity.id, unknown, known: roleNames },
        "tokens file entry names roles Vigil does not know; they grant nothing",
      );
    }
  }
}
