import { writeFile } from "node:fs/promises";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  base64url,
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createJwtAuthenticator,
  type JwtAuthenticator,
  type JwtAuthenticatorOptions,
} from "../../server/src/auth/jwt-authenticator.js";
import type { JwtConfig } from "../../server/src/config/auth-config.js";
import { ConfigError, UnauthenticatedError } from "../../server/src/errors.js";
import { captureLogs } from "../support/log-capture.js";
import { freePort, removeDir, tempDir } from "../support/vigil-process.js";

const issuer = "https://idp.example.test";
const audience = "vigil";

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg = "ES256"): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

const now = () => Math.floor(Date.now() / 1000);

/** A JWT for `key` with good defaults; `claims` override or (as undefined) drop them. */
function sign(
  key: SigningKey,
  claims: Record<string, unknown> = {},
  header: { alg?: string; kid?: string } = {},
): Promise<string> {
  const payload: JWTPayload = {
    iss: issuer,
    aud: audience,
    sub: "svc:checkout",
    iat: now(),
    exp: now() + 300,
    roles: ["client"],
    ...claims,
  };
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined) delete payload[name];
  }
  return new SignJWT(payload)
    .setProtectedHeader({ alg: header.alg ?? "ES256", kid: header.kid ?? key.kid })
    .sign(key.privateKey);
}

let dir: string;
let k1: SigningKey;
let k2: SigningKey;
let impostor: SigningKey;
const open: JwtAuthenticator[] = [];

beforeAll(async () => {
  dir = await tempDir("vigil-jwt-");
  [k1, k2, impostor] = await Promise.all([signingKey("k1"), signingKey("k2"), signingKey("k1")]);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((authenticator) => authenticator.close?.()));
});

afterAll(async () => {
  await removeDir(dir);
});

function config(jwks: string, overrides: Partial<JwtConfig> = {}): JwtConfig {
  return {
    jwks,
    issuer,
    audience,
    rolesClaim: "roles",
    groupsClaim: "groups",
    clockToleranceSeconds: 30,
    ...overrides,
  };
}

async function writeJwks(name: string, keys: SigningKey[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify({ keys: keys.map((key) => key.jwk) }));
  return path;
}

async function authenticatorFor(
  jwks: string,
  options: Partial<JwtAuthenticatorOptions> = {},
): Promise<JwtAuthenticator> {
  const authenticator = await createJwtAuthenticator({
    config: config(jwks),
    logger: captureLogs().logger,
    ...options,
  });
  open.push(authenticator);
  return authenticator;
}

/** The refusal of `token`; checks the token never reaches the message. */
async function refusal(authenticator: JwtAuthenticator, token: string): Promise<string> {
  const error = await authenticator.authenticate({ bearer: token }).then(
    () => expect.fail("the token was accepted"),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(UnauthenticatedError);
  const { message } = error as UnauthenticatedError;
  expect(message).not.toContain(token);
  return message;
}

describe("with a JWKS file", () => {
  let jwks: string;
  let authenticator: JwtAuthenticator;

  beforeAll(async () => {
    jwks = await writeJwks("static.json", [k1]);
  });

  it("accepts a valid JWT and maps subject, roles and groups", async () => {
    authenticator = await authenticatorFor(jwks, { watch: false });
    const token = await sign(k1, {
      roles: ["client", "auditor", "superuser"],
      groups: ["sre-oncall", "payments"],
    });
    expect(await authenticator.authenticate({ bearer: token })).toEqual({
      id: "svc:checkout",
      method: "jwt",
      roles: ["client", "auditor"],
      groups: ["sre-oncall", "payments"],
    });
  });

  it("reads space-separated roles and groups, and custom claim names", async () => {
    authenticator = await authenticatorFor(jwks, {
      config: config(jwks, { rolesClaim: "vigil_roles", groupsClaim: "teams" }),
      watch: false,
    });
    const token = await sign(k1, {
      roles: undefined,
      vigil_roles: "approver  admin root",
      teams: "sre",
    });
    const identity = await authenticator.authenticate({ bearer: token });
    expect(identity?.roles).toEqual(["approver", "admin"]);
    expect(identity?.groups).toEqual(["sre"]);
  });

  it("answers undefined without a bearer credential", async () => {
    authenticator = await authenticatorFor(jwks, { watch: false });
    expect(await authenticator.authenticate({})).toBeUndefined();
  });

  it("refuses an expired JWT", async () => {
    authenticator = await authenticatorFor(jwks, { watch: false });
    const token = await sign(k1, { iat: now() - 600, exp: now() - 120 });
    expect(await refusal(authenticator, token)).toBe("the JWT has expired");
  });

  it("accepts a JWT expired within the clock tolerance", async () => {
    authenticator = await authenticatorFor(jwks, { watch: false });
    const token = await sign(k1, { exp: now() - 5 });
    expect((await authenticator.authenticate({ bearer: token }))?.id).toBe("svc:checkout");
  });

  it("refuses a JWT that is not valid yet", async () => {
    authenticator = await authenticatorFor(jwks, { watch: false });
    const token = await sign(k1, { nbf: now() + 120 });
    expect(await refusal(authenticator, token)).toMatch(/not valid yet/);
  });

  it("refuses a JWT from another issuer without echoing it", async () => {
    authenticator = await authenticatorFor(jwks, { watch: false });
    const token = await sign(k1, { iss: "https://evil.example.test" });
    const message = await refusal(authenticator, token);
    expect(message).toBe(`the JWT is not issued by ${issuer}`);
    expect(message).not.toContain("evil");
  });

  it("refuses a JWT for another audience", async () => {
    authenticator = await authenticatorFor(jwks, { watch: false });
    const token = await sign(k1, { aud: "billing" });
    expect(await refusal(authenticator, token)).toBe(
      `the JWT is not meant for audience ${audience}`,
    );
  });

  it("refuses a JWT signed by another key under a known kid", async () => {
    authenticator = await authenticatorFor(jwks, { watch: false });
    const token = await sign(impostor);
    expect(await refusal(authenticator, token)).toBe("the JWT signature does not verify");
  });

  it("refuses a JWT whose kid is not in the key set", async () => {
    authenticator = await authenticatorFor(jwks, { watch: false });
    const token = await sign(k2);
    expect(await refusal(authenticator, token)).toMatch(/no key in the key set matches/);
  });

  it("refuses an HS256 JWT", async () => {
    authenticator = await authenticatorFor(jwks, { watch: false });
    const secret = new TextEncoder().encode("a-shared-secret-of-thirty-two-bytes!");
    const token = await new SignJWT({ sub: "svc:x", iss: issuer, aud: audience, exp: now() + 60 })
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .sign(secret);
    expect(await refusal(authenticator, token)).toMatch(/algorithm is not allowed/);
  });

  it("refuses an unsigned JWT (alg none)", async () => {
    authenticator = await authenticatorFor(jwks, { watch: false });
    const part = (value: object) => base64url.encode(JSON.stringify(value));
    const token = `${part({ alg: "none", kid: "k1" })}.${part({
      sub: "svc:x",
      iss: issuer,
      aud: audience,
      exp: now() + 60,
      roles: ["admin"],
    })}.`;
    expect(await refusal(authenticator, token)).toMatch(/algorithm is not allowed/);
  });

  it("refuses a JWT without a subject", async () => {
    authenticator = await authenticatorFor(jwks, { watch: false });
    const token = await sign(k1, { sub: undefined });
    expect(await refusal(authenticator, token)).toBe('the JWT has no "sub" claim');
  });

  it("refuses a JWT without an expiry", async () => {
    authenticator = await authenticatorFor(jwks, { watch: false });
    const token = await sign(k1, { exp: undefined });
    expect(await refusal(authenticator, token)).toBe('the JWT has no "exp" claim');
  });

  it("refuses a malformed JWT", async () => {
    authenticator = await authenticatorFor(jwks, { watch: false });
    expect(await refusal(authenticator, "abc.def.ghi")).toBe("the JWT is malformed");
  });

  it("stops the start on a missing, malformed or private JWKS file", async () => {
    const missing = join(dir, "missing.json");
    await expect(authenticatorFor(missing)).rejects.toThrow(ConfigError);
    const garbage = join(dir, "garbage.json");
    await writeFile(garbage, "{not json");
    await expect(authenticatorFor(garbage)).rejects.toThrow(ConfigError);
    const empty = join(dir, "empty.json");
    await writeFile(empty, JSON.stringify({ keys: [] }));
    await expect(authenticatorFor(empty)).rejects.toThrow(/at least one key/);
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const leaked = join(dir, "leaked.json");
    await writeFile(leaked, JSON.stringify({ keys: [await exportJWK(privateKey)] }));
    await expect(authenticatorFor(leaked)).rejects.toThrow(/private or secret key material/);
  });
});

describe("when the JWKS file changes", () => {
  it("accepts the rotated-in key and refuses the retired one", async () => {
    const path = await writeJwks("rotating.json", [k1]);
    const reloads: string[] = [];
    let reloaded = () => {};
    const authenticator = await authenticatorFor(path, {
      onReload: (result) => {
        reloads.push(result);
        reloaded();
      },
    });
    await authenticator.ready;
    const [old, rotated] = await Promise.all([sign(k1), sign(k2)]);
    expect((await authenticator.authenticate({ bearer: old }))?.id).toBe("svc:checkout");

    const done = new Promise<void>((resolve) => {
      reloaded = resolve;
    });
    await writeJwks("rotating.json", [k2]);
    await done;
    expect(reloads).toContain("loaded");
    expect(reloads).not.toContain("rejected");
    expect((await authenticator.authenticate({ bearer: rotated }))?.id).toBe("svc:checkout");
    expect(await refusal(authenticator, old)).toMatch(/no key in the key set matches/);
  });

  it("keeps the previous keys when the new file is malformed", async () => {
    const path = await writeJwks("broken.json", [k1]);
    const logs = captureLogs();
    let reloaded = (_result: string) => {};
    const authenticator = await authenticatorFor(path, {
      logger: logs.logger,
      onReload: (result) => reloaded(result),
    });
    await authenticator.ready;
    const done = new Promise<string>((resolve) => {
      reloaded = resolve;
    });
    await writeFile(path, '{"keys": [');
    expect(await done).toBe("rejected");
    const token = await sign(k1);
    expect((await authenticator.authenticate({ bearer: token }))?.id).toBe("svc:checkout");
    expect(
      logs
        .entries()
        .some(
          (entry) =>
            entry.msg ===
            "JWKS file rejected; the keys loaded before stay in force until it is fixed",
        ),
    ).toBe(true);
  });
});

describe("with a JWKS URL", () => {
  let server: http.Server;
  let keys: SigningKey[] = [];
  let status = 200;
  let fetches = 0;
  let url: string;

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      fetches++;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: keys.map((key) => key.jwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("fetches the key set once and verifies with it", async () => {
    keys = [k1];
    status = 200;
    fetches = 0;
    const authenticator = await authenticatorFor(url);
    for (let i = 0; i < 3; i++) {
      const identity = await authenticator.authenticate({ bearer: await sign(k1) });
      expect(identity?.id).toBe("svc:checkout");
    }
    expect(fetches).toBe(1);
    expect(await refusal(authenticator, await sign(impostor))).toBe(
      "the JWT signature does not verify",
    );
  });

  it("fetches again for an unknown kid once the cooldown is over", async () => {
    keys = [k1];
    status = 200;
    const authenticator = await authenticatorFor(url, { cooldownMs: 0 });
    expect((await authenticator.authenticate({ bearer: await sign(k1) }))?.id).toBeDefined();
    keys = [k1, k2];
    expect((await authenticator.authenticate({ bearer: await sign(k2) }))?.id).toBeDefined();
  });

  it("refuses as unauthenticated while the key set answers with an error", async () => {
    keys = [k1];
    status = 503;
    const logs = captureLogs();
    const authenticator = await authenticatorFor(url, { logger: logs.logger });
    const token = await sign(k1);
    expect(await refusal(authenticator, token)).toMatch(/key set at .* could not be fetched/);
    expect(logs.text()).not.toContain(token);
    status = 200;
    expect((await authenticator.authenticate({ bearer: token }))?.id).toBe("svc:checkout");
  });

  it("refuses as unauthenticated when nothing answers at the URL", async () => {
    const down = `http://127.0.0.1:${await freePort()}/jwks.json`;
    const authenticator = await authenticatorFor(down, { fetchTimeoutMs: 2_000 });
    expect(await refusal(authenticator, await sign(k1))).toBe(
      `the JWT cannot be verified: the key set at ${down} could not be fetched`,
    );
  });
});
