import { createContextKey, type Interceptor } from "@connectrpc/connect";
import type { Identity, TokenAuthenticator } from "../auth/api-tokens.js";
import { UnauthenticatedError } from "../errors.js";

/** The authenticated identity of the current call; undefined for an anonymous caller. */
export const identityKey = createContextKey<Identity | undefined>(undefined, {
  description: "authenticated identity",
});

/**
 * Authenticates each call from its `Authorization: Bearer` header and puts the identity in the
 * call's context for `callerOf`. A call without a credential stays anonymous (roles per RPC
 * and a switch to require credentials are the next step); a credential that does not verify is
 * refused with `Unauthenticated`, never downgraded to anonymous.
 */
export function createAuthenticationInterceptor(
  tokens: TokenAuthenticator | undefined,
): Interceptor {
  return (next) => async (request) => {
    const header = request.header.get("authorization");
    if (header !== null) {
      const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
      if (!match?.[1]) {
        throw new UnauthenticatedError('the authorization header must be "Bearer <token>"');
      }
      if (!tokens) {
        throw new UnauthenticatedError("this server has no API tokens configured (--auth-tokens)");
      }
      request.contextValues.set(identityKey, tokens.authenticate(match[1]));
    }
    return next(request);
  };
}
