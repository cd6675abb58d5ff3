import { describe, expect, it } from "vitest";
import { loadServerConfig } from "../../server/src/config/server-config.js";
import { ConfigError } from "../../server/src/errors.js";

const defaults = { policyDir: "/p", opaPath: "opa", policyWorkers: 1 };
const load = (argv: string[]) => loadServerConfig(argv, {}, defaults, "/srv/vigil").auth;
const failure = (argv: string[]) => {
  try {
    load(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
};
const tls = ["--tls-cert", "c.pem", "--tls-key", "k.pem"];
const jwt = [
  "--auth-jwks",
  "jwks.json",
  "--auth-jwt-issuer",
  "https://idp",
  "--auth-jwt-audience",
  "vigil",
];

describe("authentication flags", () => {
  it("gives anonymous callers every role only when no authentication is configured", () => {
    expect(load([]).anonymousRoles).toEqual(["client", "approver", "auditor", "admin"]);
    expect(load(["--auth-tokens", "t.toml"]).anonymousRoles).toEqual([]);
    expect(load(jwt).anonymousRoles).toEqual([]);
    expect(load([...tls, "--tls-client-ca", "ca.pem"]).anonymousRoles).toEqual([]);
    expect(
      load(["--auth-tokens", "t.toml", "--auth-anonymous-roles", "client, client"]).anonymousRoles,
    ).toEqual(["client"]);
    expect(load(["--auth-anonymous-roles", "none"]).anonymousRoles).toEqual([]);
  });

  it("refuses an unknown anonymous role, naming the known ones", () => {
    expect(failure(["--auth-anonymous-roles", "client,root"])).toBe(
      '--auth-anonymous-roles: unknown role "root" (known: client, approver, auditor, admin)',
    );
  });

  it("needs an issuer and an audience with a JWKS, and a JWKS with either", () => {
    expect(failure(["--auth-jwks", "jwks.json", "--auth-jwt-issuer", "https://idp"])).toMatch(
      /^--auth-jwks needs --auth-jwt-issuer and --auth-jwt-audience/,
    );
    expect(failure(["--auth-jwt-audience", "vigil"])).toBe(
      "--auth-jwt-issuer and --auth-jwt-audience need --auth-jwks",
    );
    expect(load(jwt).jwt).toEqual({
      jwks: "/srv/vigil/jwks.json",
      issuer: "https://idp",
      audience: "vigil",
      rolesClaim: "roles",
      groupsClaim: "groups",
      clockToleranceSeconds: 30,
    });
    expect(load([...jwt.slice(2), "--auth-jwks", "https://idp/keys"]).jwt?.jwks).toBe(
      "https://idp/keys",
    );
    expect(failure([...jwt.slice(2), "--auth-jwks", "ftp://idp/keys"])).toBe(
      "--auth-jwks: only a file or an http(s) URL",
    );
    expect(failure([...jwt, "--auth-jwt-clock-tolerance-s", "3600"])).toMatch(
      /^--auth-jwt-clock-tolerance-s: expected whole seconds from 0 to 300/,
    );
  });

  it("needs TLS for client certificates, and a CA to require them", () => {
    expect(failure(["--tls-client-ca", "ca.pem"])).toBe(
      "--tls-client-ca needs TLS: give --tls-cert and --tls-key too",
    );
    expect(failure([...tls, "--tls-require-client-cert", "true"])).toBe(
      "--tls-require-client-cert needs --tls-client-ca",
    );
    expect(
      load([...tls, "--tls-client-ca", "ca.pem", "--tls-require-client-cert", "true"])
        .clientCertificates,
    ).toEqual({
      caFile: "/srv/vigil/ca.pem",
      required: true,
    });
  });

  it("counts JWTs and client certificates as authentication for a non-loopback address", () => {
    expect(() =>
      loadServerConfig(["--listen", "0.0.0.0:8444", ...jwt], {}, defaults, "/srv"),
    ).not.toThrow();
    expect(() =>
      loadServerConfig(
        ["--listen", "0.0.0.0:8444", ...tls, "--tls-client-ca", "ca.pem"],
        {},
        defaults,
        "/srv",
      ),
    ).not.toThrow();
  });
});
