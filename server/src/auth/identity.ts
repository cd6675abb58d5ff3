/** Who a credential belongs to, and what it may do. */
export interface Identity {
  /** Stable id: the token entry's id, the JWT subject, or the certificate's SAN / CN. */
  id: string;
  /** How it was authenticated: `token`, `jwt` or `mtls`. */
  method: "token" | "jwt" | "mtls";
  /** Roles (see `auth/roles.ts`), from the credential itself and from role bindings. */
  roles: string[];
  /** Reviewer groups, e.g. `sre-oncall`. */
  groups: string[];
}

/** What a caller presented on one request, before anything is verified. */
export interface Credentials {
  /** The token of an `Authorization: Bearer` header. */
  bearer?: string;
  /** The TLS client certificate, when the connection carried one. */
  certificate?: ClientCertificate;
}

/** A TLS client certificate as the connection saw it. */
export interface ClientCertificate {
  /** Whether it chains to the configured client CA (Node's `socket.authorized`). */
  authorized: boolean;
  /** Why it does not, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`. */
  authorizationError?: string;
  /** Subject common name. */
  commonName?: string;
  /** Subject alternative names as Node prints them: `URI:spiffe://…`, `DNS:…`, `email:…`. */
  subjectAltNames: string[];
  /** SHA-256 fingerprint, for logs and audit. */
  fingerprint256: string;
}
