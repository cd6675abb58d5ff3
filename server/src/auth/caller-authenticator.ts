import { UnauthenticatedError } from "../errors.js";
import type { Authenticator } from "./authenticator.js";
import { looksLikeJwt } from "./bearer-token.js";
import type { Credentials, Identity } from "./identity.js";
import type { RoleBindings } from "./role-bindings.js";

/** Options for {@link createCallerAuthenticator}. Every part is optional. */
export interface CallerAuthenticatorOptions {
  /** API tokens (`--auth-tokens`). */
  tokens?: Authenticator | undefined;
  /** Bearer JWTs (`--auth-jwks`); gets every bearer shaped like a JWS. */
  jwt?: Authenticator | undefined;
  /** Client certificates (`--tls-client-ca`). */
  certificates?: Authenticator | undefined;
  /** Extra roles by identity and group (`--auth-role-bindings`). */
  bindings?: RoleBindings | undefined;
}

/**
 * Composes the configured authenticators into one. A bearer credential decides when present
 * (a JWT goes to the JWT verifier, anything else to the API tokens); otherwise the client
 * certificate does; with neither the caller is anonymous (`undefined`). Whatever proves the
 * identity, role bindings then add roles by identity and group.
 */
export function createCallerAuthenticator(options: CallerAuthenticatorOptions): Authenticator {
  const { tokens, jwt, certificates, bindings } = options;
  const parts = [tokens, jwt, certificates].filter((part) => part !== undefined);
  return {
    async authenticate(credentials: Credentials): Promise<Identity | undefined> {
      let identity: Identity | undefined;
      if (credentials.bearer !== undefined) {
        const verifier = jwt && looksLikeJwt(credentials.bearer) ? jwt : tokens;
        if (!verifier) {
          throw new UnauthenticatedError(
            jwt
              ? "the bearer credential is not a JWT, and this server has no API tokens configured (--auth-tokens)"
              : "this server accepts no bearer credentials (configure --auth-tokens or --auth-jwks)",
          );
        }
        identity = await verifier.authenticate({ bearer: credentials.bearer });
      } else if (credentials.certificate !== undefined && certificates) {
        identity = await certificates.authenticate({ certificate: credentials.certificate });
      }
      return identity && bindings ? bindings.apply(identity) : identity;
    },
    async close() {
      await Promise.all(parts.map((part) => part.close?.()));
    },
  };
}
