import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ApprovalService } from "../../gen/vigil/v1/approval_pb.js";
import { AuditRecordKind, AuditService } from "../../gen/vigil/v1/audit_pb.js";
import { Decision } from "../../gen/vigil/v1/common_pb.js";
import { PolicyAdminService } from "../../gen/vigil/v1/policy_admin_pb.js";
import { PolicyService } from "../../gen/vigil/v1/policy_service_pb.js";
import { tokenHash } from "../../server/src/auth/api-tokens.js";
import { bearer } from "../support/bearer.js";
import { expectConnectError } from "../support/connect-error.js";
import { ordinaryRead } from "../support/requests.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "../support/vigil-process.js";

/** One token per role, one holding every role, and one holding none. */
const holders = {
  client: { id: "svc:billing", token: "vgl_test_role_client_41f2", roles: ["client"] },
  approver: { id: "rita@example.com", token: "vgl_test_role_approver_8c1d", roles: ["approver"] },
  auditor: { id: "audrey@example.com", token: "vgl_test_role_auditor_27ab", roles: ["auditor"] },
  admin: { id: "ops@example.com", token: "vgl_test_role_admin_9e30", roles: ["admin"] },
  nobody: { id: "svc:retired", token: "vgl_test_role_none_5d77", roles: [] as string[] },
} as const;
type Holder = keyof typeof holders;

/**
 * The role boundary, written out rather than read from the server's table: which holders each
 * RPC admits. Everyone else gets PermissionDenied; a caller without a credential gets
 * Unauthenticated on every one of them.
 */
const admits: Record<string, Holder[]> = {
  "PolicyService/Authorize": ["client"],
  "PolicyService/AuthorizeBatch": ["client"],
  "PolicyService/Redact": ["client"],
  "PolicyService/RedactStream": ["client"],
  "PolicyService/Record": ["client"],
  "PolicyService/RecordStream": ["client"],
  "ApprovalService/ListApprovals": ["approver"],
  "ApprovalService/GetApproval": ["approver", "client"],
  "ApprovalService/WatchApproval": ["approver", "client"],
  "ApprovalService/DecideApproval": ["approver"],
  "AuditService/QueryRecords": ["auditor"],
  "AuditService/GetRecord": ["auditor"],
  "AuditService/VerifyLog": ["auditor"],
  "AuditService/ExportRecords": ["auditor"],
  "AuditService/ListCheckpoints": ["auditor"],
  "PolicyAdminService/GetPolicyStatus": ["admin", "auditor"],
};
const services: DescService[] = [PolicyService, ApprovalService, AuditService, PolicyAdminService];

let vigil: VigilProcess;
let dir: string;
let tokensFile: string;

function tokensToml(entries: { id: string; token: string; roles: readonly string[] }[]): string {
  return entries
    .map(
      (e) =>
        `[[tokens]]\nid = "${e.id}"\nsha256 = "${tokenHash(e.token)}"\nroles = ${JSON.stringify(e.roles)}\n`,
    )
    .join("\n");
}

beforeAll(async () => {
  dir = await tempDir("vigil-access-");
  tokensFile = join(dir, "tokens.toml");
  await writeFile(tokensFile, tokensToml(Object.values(holders)));
  vigil = await startVigil({
    policy: inject("defaultBundlePath"),
    args: ["--auth-tokens", tokensFile],
  });
});

afterAll(async () => {
  await vigil?.stop();
  await removeDir(vigil?.dataDir ?? "");
  await removeDir(dir);
});

const protocols = {
  grpc: (baseUrl: string, interceptors: Interceptor[]) =>
    createGrpcTransport({ baseUrl, interceptors }),
  connect: (baseUrl: string, interceptors: Interceptor[]) =>
    createConnectTransport({ baseUrl, httpVersion: "2", interceptors }),
};

function transportFor(protocol: keyof typeof protocols, token?: string): Transport {
  return protocols[protocol](vigil.baseUrl, bearer(token));
}

/**
 * Calls `method` with an empty request (one empty message for client streams, the first answer
 * of server streams) and returns the error code, or undefined when it succeeded. An empty
 * request is often invalid: InvalidArgument still proves the call got past access control.
 */
async function codeOf(transport: Transport, service: DescService, name: string) {
  const method = service.methods.find((m) => m.name === name);
  if (!method) throw new Error(`no method ${name}`);
  // biome-ignore lint/suspicious/noExplicitAny: one generic call per method kind
  const client = createClient(service, transport) as any;
  const call = client[method.localName].bind(client);
  const oneEmpty = async function* () {
    yield {};
  };
  try {
    switch (method.methodKind) {
      case "unary":
        await call({});
        break;
      case "server_streaming":
        for await (const _ of call({})) break;
        break;
      case "client_streaming":
        await call(oneEmpty());
        break;
      case "bidi_streaming":
        for await (const _ of call(oneEmpty())) break;
        break;
    }
    return undefined;
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

describe.each(Object.keys(protocols) as (keyof typeof protocols)[])(
  "roles per RPC over %s",
  (protocol) => {
    it("admits each RPC's roles, refuses the others with PermissionDenied and no credential with Unauthenticated", async () => {
      const seen: string[] = [];
      for (const service of services) {
        for (const method of service.methods) {
          const rpc = `${service.name}/${method.name}`;
          const allowed = admits[rpc];
          expect(allowed, `${rpc} is missing from the test's role table`).toBeDefined();
          for (const holder of Object.keys(holders) as Holder[]) {
            const code = await codeOf(
              transportFor(protocol, holders[holder].token),
              service,
              method.name,
            );
            seen.push(`${rpc} ${holder} ${code === undefined ? "ok" : Code[code]}`);
            if (allowed?.includes(holder)) {
              expect(
                [Code.PermissionDenied, Code.Unauthenticated],
                `${rpc} as ${holder}`,
              ).not.toContain(code);
            } else {
              expect(code, `${rpc} as ${holder}`).toBe(Code.PermissionDenied);
            }
          }
          const anonymous = await codeOf(transportFor(protocol), service, method.name);
          expect(anonymous, `${rpc} without a credential`).toBe(Code.Unauthenticated);
        }
      }
      expect(seen.length).toBe(Object.keys(admits).length * Object.keys(holders).length);
    });
  },
);

describe("refusals", () => {
  it("name the RPC, the identity and the roles it lacks", async () => {
    const policy = createClient(PolicyService, transportFor("grpc", holders.auditor.token));
    const denied = await expectConnectError(policy.authorize(ordinaryRead()));
    expect([denied.code, denied.rawMessage]).toEqual([
      Code.PermissionDenied,
      "audrey@example.com may not call vigil.v1.PolicyService/Authorize: it needs one of the roles client, and holds auditor",
    ]);
    const anonymous = await expectConnectError(
      createClient(PolicyService, transportFor("grpc")).authorize(ordinaryRead()),
    );
    expect([anonymous.code, anonymous.rawMessage]).toEqual([
      Code.Unauthenticated,
      "vigil.v1.PolicyService/Authorize needs a credential (one of the roles client); send an Authorization: Bearer token or a client certificate",
    ]);
    const forged = await expectConnectError(
      createClient(PolicyService, transportFor("grpc", "vgl_not_a_real_token")).authorize(
        ordinaryRead(),
      ),
    );
    expect([forged.code, forged.rawMessage]).toEqual([
      Code.Unauthenticated,
      "the bearer token is not one this server accepts",
    ]);
  });

  it("are recorded in the audit trail and counted, without the presented token", async () => {
    const policy = createClient(PolicyService, transportFor("connect", holders.approver.token));
    await expectConnectError(policy.redact({}));
    await expectConnectError(
      createClient(PolicyService, transportFor("connect", "vgl_forged_7a7a7a7a")).authorize(
        ordinaryRead(),
      ),
    );
    const audit = createClient(AuditService, transportFor("grpc", holders.auditor.token));
    const { records } = await audit.queryRecords({
      filter: { kind: AuditRecordKind.ACCESS },
      descending: true,
      pageSize: 1000,
    });
    const denied = records.find(
      (r) => r.caller?.id === holders.approver.id && r.action === "vigil.v1.PolicyService/Redact",
    );
    expect(denied).toMatchObject({
      decision: Decision.DENY,
      caller: { method: "token", roles: ["approver"] },
      reasons: [{ code: "permission_denied" }],
    });
    expect(denied?.caller?.peer).toMatch(/127\.0\.0\.1/);
    const forged = records.find(
      (r) => r.caller?.id === "anonymous" && r.reasons[0]?.message.includes("not one this server"),
    );
    expect(forged).toMatchObject({
      action: "vigil.v1.PolicyService/Authorize",
      caller: { method: "token" },
      reasons: [{ code: "unauthenticated" }],
    });
    // The trail still verifies with the refusals in it.
    expect((await audit.verifyLog({})).ok).toBe(true);
    const metrics = await (await fetch(`${vigil.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/vigil_access_denied_total\{reason="permission_denied"\} [1-9]/);
    expect(metrics).toMatch(/vigil_access_denied_total\{reason="unauthenticated"\} [1-9]/);
    // Neither the forged token nor a real one reached the log or the data dir's text.
    const output = vigil.output.join("\n");
    expect(output).not.toContain("vgl_forged_7a7a7a7a");
    expect(output).not.toContain(holders.approver.token);
  });

  it("leave health checks and reflection open to probes", async () => {
    const res = await fetch(`${vigil.baseUrl}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "SERVING" });
  });
});

describe("the tokens file", () => {
  it("revokes a removed token and accepts a new one without a restart", async () => {
    const newcomer = { id: "svc:new", token: "vgl_test_role_new_0c0c", roles: ["client"] };
    const { client, ...rest } = holders;
    const typo = { id: "svc:typo", token: "vgl_test_role_typo_1a1a", roles: ["aprover"] };
    await writeFile(tokensFile, tokensToml([...Object.values(rest), newcomer, typo]));
    const revoked = transportFor("grpc", client.token);
    await expect
      .poll(() => codeOf(revoked, PolicyService, "Authorize"), { timeout: 10_000 })
      .toBe(Code.Unauthenticated);
    const fresh = createClient(PolicyService, transportFor("grpc", newcomer.token));
    expect((await fresh.authorize(ordinaryRead())).decision).toBe(Decision.ALLOW);
    // A misspelt role grants nothing, and the log says which entry names it.
    expect(vigil.logs().find((l) => l.id === "svc:typo" && l.level === 40)).toMatchObject({
      unknown: ["aprover"],
    });
    expect(await codeOf(transportFor("grpc", typo.token), PolicyService, "Authorize")).toBe(
      Code.PermissionDenied,
    );
  });

  it("keeps the tokens in force when a broken file is saved, and says so in the log", async () => {
    const before = await readFile(tokensFile, "utf8");
    await writeFile(tokensFile, `${before}\n[[tokens]]\nid = "half written`);
    await expect
      .poll(() => vigil.logs().some((l) => l.msg?.toString().startsWith("tokens file rejected")), {
        timeout: 10_000,
      })
      .toBe(true);
    const auditor = createClient(AuditService, transportFor("grpc", holders.auditor.token));
    expect((await auditor.listCheckpoints({})).checkpoints).toBeDefined();
    const metrics = await (await fetch(`${vigil.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/vigil_auth_reloads_total\{source="tokens",result="rejected"\} 1/);
    await writeFile(tokensFile, before);
  });
});
