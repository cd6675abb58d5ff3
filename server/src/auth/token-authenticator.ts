import type { Logger } from "../logging/logger.js";
import { type Watch, watchDebounced } from "../policy/file-watch.js";
import { loadApiTokens, type TokenAuthenticator } from "./api-tokens.js";
import type { Authenticator } from "./authenticator.js";

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
  /** Resolves once the file watcher is ready (a change after this is seen). */
  ready: Promise<void>;
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
  let watch: Watch | undefined;
  if (options.watch ?? true) {
    watch = watchDebounced({
      path,
      debounceMs: 100,
      run: async () => {
        try {
          tokens = await loadApiTokens(path);
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
    ready: watch?.ready ?? Promise.resolve(),
    async close() {
      await watch?.close();
    },
  };
}
