import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseApiTokens, tokenHash } from "../../server/src/auth/api-tokens.js";
import type { Authenticator } from "../../server/src/auth/authenticator.js";
import { createCallerAuthenticator } from "../../server/src/auth/caller-authenticator.js";
import type { Identity } from "../../server/src/auth/identity.js";
import { loadRoleBindings } from "../../server/src/auth/role-bindings.js";
import { ConfigError, UnauthenticatedError } from "../../server/src/errors.js";
import { projectRoot } from "../../server/src/main.js";
import { removeDir, tempDir } from "../support/vigil-process.js";

let dir: string;
beforeAll(async () => {
  dir = await tempDir("vigil-bindings-");
});
afterAll(() => removeDir(dir));

async function bindingsFile(text: string) {
  const path = join(dir, `bindings-${Math.random().toString(36).slice(2)}.toml`);
  await writeFile(path, text);
  return path;
}

const tokens = parseApiTokens(
  `[[tokens]]\nid = "ci"\nsha256 = "${tokenHash("vgl_ci")}"\nroles = ["client"]\ngroups = ["builders"]\n`,
  "tokens.toml",
);
const tokenAuth: Authenticator = {
  async authenticate(c) {
    return c.bearer === undefined ? undefined : tokens.authenticate(c.bearer);
  },
};
const fixed = (identity: Identity): Authenticator => ({
  async authenticate() {
    return identity;
  },
});
const jwtIdentity: Identity = { id: "user-7", method: "jwt", roles: [], groups: ["sre-oncall"] };
const certIdentity: Identity = {
  id: "spiffe://corp/ci/deploy",
  method: "mtls",
  roles: [],
  groups: [],
};
const certificate = { authorized: true, subjectAltNames: [], fingerprint256: "AB" };

describe("createCallerAuthenticator", () => {
  it("sends a JWT-shaped bearer to the JWT verifier and anything else to the API tokens", async () => {
    const auth = createCallerAuthenticator({ tokens: tokenAuth, jwt: fixed(jwtIdentity) });
    expect(await auth.authenticate({ bearer: "aGVhZA.Ym9keQ.c2ln" })).toEqual(jwtIdentity);
    expect((await auth.authenticate({ bearer: "vgl_ci" }))?.id).toBe("ci");
    await expect(auth.authenticate({ bearer: "vgl_unknown" })).rejects.toThrow(
      UnauthenticatedError,
    );
    expect(await auth.authenticate({})).toBeUndefined();
  });

  it("refuses a bearer no configured verifier takes, never treating it as anonymous", async () => {
    await expect(createCallerAuthenticator({}).authenticate({ bearer: "vgl_x" })).rejects.toThrow(
      "this server accepts no bearer credentials (configure --auth-tokens or --auth-jwks)",
    );
    await expect(
      createCallerAuthenticator({ jwt: fixed(jwtIdentity) }).authenticate({ bearer: "vgl_x" }),
    ).rejects.toThrow(
      "the bearer credential is not a JWT, and this server has no API tokens configured",
    );
  });

  it("lets a bearer decide over a client certificate, and uses the certificate without one", async () => {
    const auth = createCallerAuthenticator({
      tokens: tokenAuth,
      certificates: fixed(certIdentity),
    });
    expect((await auth.authenticate({ bearer: "vgl_ci", certificate }))?.id).toBe("ci");
    expect(await auth.authenticate({ certificate })).toEqual(certIdentity);
    // Without a certificate authenticator configured, a certificate proves nothing.
    expect(
      await createCallerAuthenticator({ tokens: tokenAuth }).authenticate({ certificate }),
    ).toBeUndefined();
  });
});

describe("role bindings", () => {
  it("add roles by identity, identity prefix and group, restricted to credential kinds", async () => {
    const bindings = await loadRoleBindings(
      await bindingsFile(`
[[bindings]]
role = "client"
identities = ["spiffe://corp/ci/*"]
methods = ["mtls"]

[[bindings]]
role = "approver"
groups = ["sre-oncall"]

[[bindings]]
role = "auditor"
identities = ["user-7"]
methods = ["token"]
`),
    );
    const auth = createCallerAuthenticator({
      certificates: fixed(certIdentity),
      jwt: fixed(jwtIdentity),
      bindings,
    });
    expect((await auth.authenticate({ certificate }))?.roles).toEqual(["client"]);
    // user-7 is bound to auditor for tokens only; as a JWT subject it gets its group's role.
    expect((await auth.authenticate({ bearer: "a.b.c" }))?.roles).toEqual(["approver"]);
    const impostor = { ...certIdentity, method: "jwt" as const };
    expect(bindings.apply(impostor).roles).toEqual([]);
    // Roles the credential already holds are kept.
    expect(bindings.apply({ ...jwtIdentity, roles: ["admin"] }).roles).toEqual([
      "admin",
      "approver",
    ]);
  });

  it("refuse a malformed file naming the entry", async () => {
    const cases: [string, RegExp][] = [
      [
        '[[bindings]]\nrole = "root"\ngroups = ["x"]\n',
        /bindings\[0\]: "role" must be one of client, approver, auditor, admin/,
      ],
      [
        '[[bindings]]\nrole = "client"\n',
        /bindings\[0\]: name at least one of "identities" or "groups"/,
      ],
      ['[[bindings]]\nrole = "client"\nidentities = ["*"]\n', /"\*" would bind every identity/],
      [
        '[[bindings]]\nrole = "client"\ngroups = ["g"]\nmethods = ["kerberos"]\n',
        /methods: "kerberos" is not one of token, jwt, mtls/,
      ],
      ["bindings = 3\n", /"bindings" must be an array of tables/],
      ["[[bindings]\n", /role bindings file .*:/],
    ];
    for (const [text, message] of cases) {
      const path = await bindingsFile(text);
      await expect(loadRoleBindings(path)).rejects.toThrow(ConfigError);
      await expect(loadRoleBindings(path)).rejects.toThrow(message);
    }
  });
});

describe("the README's role bindings example", () => {
  it("loads, and binds a CI workload's certificate to client and on-call reviewers to approver", async () => {
    const readme = await readFile(join(projectRoot, "README.md"), "utf8");
    const block = /```toml\n(\[\[bindings\]\][\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const bindings = await loadRoleBindings(await bindingsFile(block ?? ""));
    const ci: Identity = {
      id: "spiffe://example.org/ci/deploy",
      method: "mtls",
      roles: [],
      groups: [],
    };
    expect(bindings.apply(ci).roles).toEqual(["client"]);
    expect(bindings.apply({ ...jwtIdentity, roles: [] }).roles).toEqual(["approver"]);
  });
});
