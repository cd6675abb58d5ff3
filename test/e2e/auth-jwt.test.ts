import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Code, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AuditRecordKind, AuditService } from "../../gen/vigil/v1/audit_pb.js";
import { Decision } from "../../gen/vigil/v1/common_pb.js";
import { PolicyService } from "../../gen/vigil/v1/policy_service_pb.js";
import { bearer } from "../support/bearer.js";
import { expectConnectError } from "../support/connect-error.js";
import { ordinaryRead } from "../support/requests.js";
import { removeDir, startVigil, type VigilProcess } from "../support/vigil-process.js";

const issuer = "https://idp.example.test";
const audience = "vigil";
const kid = "idp-2026";

let jwksServer: http.Server;
let signingKey: CryptoKey;
let vigil: VigilProcess;
/** Every JWT handed to a client, to check none reaches the server's output. */
const issued: string[] = [];

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  signingKey = privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: "ES256" }] });
  jwksServer = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(jwks);
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  const { port } = jwksServer.address() as AddressInfo;
  vigil = await startVigil({
    policy: inject("defaultBundlePath"),
    args: [
      "--auth-jwks",
      `http://127.0.0.1:${port}/.well-known/jwks.json`,
      "--auth-jwt-issuer",
      issuer,
      "--auth-jwt-audience",
      audience,
    ],
  });
});

afterAll(async () => {
  await vigil?.stop();
  if (vigil) await removeDir(vigil.dataDir);
  await new Promise((resolve) => jwksServer?.close(resolve));
});

const now = () => Math.floor(Date.now() / 1000);

/** A JWT from the test identity provider; `claims` override the defaults. */
async function jwt(sub: string, roles: string[], claims: Record<string, unknown> = {}) {
  const token = await new SignJWT({
    iss: issuer,
    aud: audience,
    sub,
    iat: now(),
    exp: now() + 300,
    roles,
    groups: ["payments"],
    ...claims,
  })
    .setProtectedHeader({ alg: "ES256", kid })
    .sign(signingKey);
  issued.push(token);
  return token;
}

const protocols = [
  {
    name: "gRPC",
    transport: (baseUrl: string, token?: string): Transport =>
      createGrpcTransport({ baseUrl, interceptors: bearer(token) }),
  },
  {
    name: "Connect",
    transport: (baseUrl: string, token?: string): Transport =>
      createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: bearer(token) }),
  },
];

describe.each(protocols)("bearer JWTs over $name", (protocol) => {
  const policy = (token?: string) =>
    createClient(PolicyService, protocol.transport(vigil.baseUrl, token));
  const audit = async () =>
    createClient(
      AuditService,
      protocol.transport(vigil.baseUrl, await jwt("auditor@example.test", ["auditor"])),
    );
  const subject = `svc:checkout-${protocol.name.toLowerCase()}`;

  it("answers Authorize for a JWT with the client role and records its subject", async () => {
    const request = ordinaryRead();
    request.sessionId = `jwt-${protocol.name}`;
    const res = await policy(await jwt(subject, ["client"])).authorize(request);
    expect(res.decision).toBe(Decision.ALLOW);
    const { records } = await (await audit()).queryRecords({
      filter: { kind: AuditRecordKind.DECISION, callerId: subject },
    });
    expect(records).toHaveLength(1);
    expect(records[0]?.caller?.method).toBe("jwt");
    expect(records[0]?.caller?.id).toBe(subject);
    expect(records[0]?.caller?.groups).toEqual(["payments"]);
  });

  it.each([
    ["an expired JWT", { iat: now() - 3600, exp: now() - 600 }, "the JWT has expired"],
    [
      "a JWT from another issuer",
      { iss: "https://other-idp.example.test" },
      `the JWT is not issued by ${issuer}`,
    ],
    [
      "a JWT for another audience",
      { aud: "billing" },
      `the JWT is not meant for audience ${audience}`,
    ],
  ])("refuses %s as unauthenticated and records the refusal", async (_name, claims, message) => {
    const token = await jwt(subject, ["client"], claims);
    const error = await expectConnectError(policy(token).authorize(ordinaryRead()));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toBe(message);
    const { records } = await (await audit()).queryRecords({
      filter: { kind: AuditRecordKind.ACCESS },
      descending: true,
      pageSize: 50,
    });
    const refusal = records.find((r) => r.reasons[0]?.message === message);
    expect(refusal?.decision).toBe(Decision.DENY);
    expect(refusal?.reasons[0]?.code).toBe("unauthenticated");
    expect(refusal?.caller?.method).toBe("jwt");
    expect(refusal?.action).toBe("vigil.v1.PolicyService/Authorize");
  });

  it("denies Authorize to a JWT holding only the auditor role", async () => {
    const token = await jwt("auditor@example.test", ["auditor"]);
    const error = await expectConnectError(policy(token).authorize(ordinaryRead()));
    expect(error.code).toBe(Code.PermissionDenied);
  });

  it("refuses a caller without a token", async () => {
    const error = await expectConnectError(policy().authorize(ordinaryRead()));
    expect(error.code).toBe(Code.Unauthenticated);
  });
});

describe("the server's output", () => {
  it("never contains a JWT a client sent", () => {
    expect(issued.length).toBeGreaterThan(0);
    const output = vigil.output.join("\n");
    for (const token of issued) {
      expect(output).not.toContain(token);
      // Nor its signature alone, which is what would identify a replayable token.
      expect(output).not.toContain(token.split(".")[2]);
    }
  });
});
