import { UnauthenticatedError } from "../errors.js";
import type { Authenticator } from "./authenticator.js";
import type { ClientCertificate, Identity } from "./identity.js";

/** Subject alternative name kinds that can name an identity, most specific first. */
const identityKinds = ["URI:", "DNS:", "email:"] as const;

/**
 * Authenticates callers by their TLS client certificate (`--tls-client-ca`). The handshake has
 * already checked the chain; this refuses a certificate the chain check failed (it reaches
 * here only when client certificates are optional) and names the identity: the first `URI:`
 * SAN (a SPIFFE id), else the first `DNS:`, else the first `email:`, else the subject CN.
 * A certificate carries no roles: role bindings (`--auth-role-bindings`) grant them.
 */
export function createCertificateAuthenticator(): Authenticator {
  return {
    async authenticate(credentials) {
      const { certificate } = credentials;
      if (!certificate) return undefined;
      if (!certificate.authorized) {
        throw new UnauthenticatedError(
          `the client certificate is not issued by a trusted CA (${certificate.authorizationError ?? "unknown reason"})`,
        );
      }
      const id = certificateIdentity(certificate);
      if (!id) {
        throw new UnauthenticatedError(
          "the client certificate names no identity: it has no URI, DNS or email subject alternative name and no common name",
        );
      }
      const identity: Identity = { id, method: "mtls", roles: [], groups: [] };
      return identity;
    },
  };
}

/** The identity a certificate names, by the precedence of {@link createCertificateAuthenticator}. */
export function certificateIdentity(certificate: ClientCertificate): string | undefined {
  for (const kind of identityKinds) {
    const name = certificate.subjectAltNames.find((entry) => entry.startsWith(kind));
    const value = name?.slice(kind.length);
    if (value) return value;
  }
  return certificate.commonName || undefined;
}
