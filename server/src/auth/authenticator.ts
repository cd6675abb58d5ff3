import type { Credentials, Identity } from "./identity.js";

/**
 * One way of proving who a caller is (API tokens, JWTs, client certificates). Composed by
 * `createCallerAuthenticator` into the one the RPC edge uses.
 */
export interface Authenticator {
  /**
   * The identity the credentials prove; `undefined` when they hold nothing of this kind.
   * Throws `UnauthenticatedError` when a credential of this kind was presented and does not
   * verify: a bad credential is refused, never downgraded to anonymous.
   */
  authenticate(credentials: Credentials): Promise<Identity | undefined>;
  /** Stops watchers and timers. */
  close?(): Promise<void>;
}
