import { describe, expect, it } from "vitest";
import { createCertificateAuthenticator } from "../../server/src/auth/certificate-authenticator.js";
import type { ClientCertificate } from "../../server/src/auth/identity.js";
import { UnauthenticatedError } from "../../server/src/errors.js";

function certificate(overrides: Partial<ClientCertificate> = {}): ClientCertificate {
  return { authorized: true, subjectAltNames: [], fingerprint256: "AB:CD", ...overrides };
}

const authenticator = createCertificateAuthenticator();
const idOf = async (cert: ClientCertificate) =>
  (await authenticator.authenticate({ certificate: cert }))?.id;

describe("certificate authenticator", () => {
  it("answers undefined without a certificate", async () => {
    expect(await authenticator.authenticate({})).toBeUndefined();
  });

  it("names the identity by its URI SAN first, with no roles of its own", async () => {
    const identity = await authenticator.authenticate({
      certificate: certificate({
        commonName: "ci-runner",
        subjectAltNames: ["DNS:ci.example.org", "URI:spiffe://example.org/ci/deploy", "URI:x:y"],
      }),
    });
    expect(identity).toEqual({
      id: "spiffe://example.org/ci/deploy",
      method: "mtls",
      roles: [],
      groups: [],
    });
  });

  it("falls back to the DNS SAN, then the email SAN, then the common name", async () => {
    const sans = ["email:ops@example.org", "IP Address:10.0.0.1", "DNS:worker.example.org"];
    expect(await idOf(certificate({ commonName: "cn", subjectAltNames: sans }))).toBe(
      "worker.example.org",
    );
    expect(await idOf(certificate({ commonName: "cn", subjectAltNames: sans.slice(0, 2) }))).toBe(
      "ops@example.org",
    );
    expect(
      await idOf(certificate({ commonName: "billing-batch", subjectAltNames: sans.slice(1, 2) })),
    ).toBe("billing-batch");
  });

  it("refuses a certificate that names no identity", async () => {
    await expect(
      authenticator.authenticate({
        certificate: certificate({ subjectAltNames: ["IP Address:10.0.0.1"] }),
      }),
    ).rejects.toThrow(/names no identity/);
  });

  it("refuses a certificate not issued by a trusted CA, with the reason", async () => {
    const refused = authenticator.authenticate({
      certificate: certificate({
        authorized: false,
        authorizationError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        subjectAltNames: ["URI:spiffe://example.org/ci/deploy"],
      }),
    });
    await expect(refused).rejects.toThrow(UnauthenticatedError);
    await expect(refused).rejects.toThrow(
      "the client certificate is not issued by a trusted CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)",
    );
  });
});
