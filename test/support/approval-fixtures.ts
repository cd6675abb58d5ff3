import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { ApprovalService } from "../../gen/vigil/v1/approval_pb.js";
import { PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import {
  type AuthorizeRequest,
  AuthorizeRequestSchema,
  PolicyService,
} from "../../gen/vigil/v1/policy_service_pb.js";
import { tokenHash } from "../../server/src/auth/api-tokens.js";
import { projectRoot } from "../../server/src/main.js";
import { bearer } from "./bearer.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "./vigil-process.js";

/** The reviewers and other token holders of the approval tests, with their tokens. */
export const people = {
  alice: {
    id: "alice@example.com",
    token: "vgl_test_alice_5c1d8e2f",
    roles: ["approver", "auditor"],
    groups: ["sre-oncall"],
  },
  bob: {
    id: "bob@example.com",
    token: "vgl_test_bob_9a7b3c4d",
    roles: ["approver"],
    groups: ["sre-oncall"],
  },
  dave: {
    id: "dave@example.com",
    token: "vgl_test_dave_1e2f3a4b",
    roles: ["approver"],
    groups: ["marketing"],
  },
  // Reads the audit trail; decides nothing.
  auditor: {
    id: "audit@example.com",
    token: "vgl_test_auditor_3b9e41d0",
    roles: ["auditor"],
    groups: [],
  },
  // The principal of productionRead(), holding a reviewer's role and group: it still cannot
  // approve itself.
  reporting: {
    id: "svc:reporting",
    token: "vgl_test_reporting_7d6c",
    roles: ["client", "approver"],
    groups: ["sre-oncall"],
  },
} as const;

/** Writes a tokens file for {@link people} and returns its path. */
export async function writeTokensFile(dir: string): Promise<string> {
  const path = join(dir, "tokens.toml");
  const entries = Object.values(people).map((p) =>
    [
      "[[tokens]]",
      `id = "${p.id}"`,
      `sha256 = "${tokenHash(p.token)}"`,
      `roles = ${JSON.stringify(p.roles)}`,
      `groups = ${JSON.stringify(p.groups)}`,
    ].join("\n"),
  );
  await writeFile(path, `${entries.join("\n\n")}\n`);
  return path;
}

/**
 * `vigil serve` flags for a tokens file of {@link people} (written into `dir`). Callers without
 * a token keep the `client` role (`--auth-anonymous-roles client`), as for a loopback sidecar,
 * so a test can Authorize anonymously while reviewers must sign in.
 */
export async function peopleAuthArgs(dir: string): Promise<string[]> {
  return ["--auth-tokens", await writeTokensFile(dir), "--auth-anonymous-roles", "client"];
}

/** A server whose callers authenticate as {@link people}; see {@link startVigilForPeople}. */
export interface PeopleServer {
  vigil: VigilProcess;
  /** A temp directory holding the tokens file, free for the test's own files. */
  dir: string;
  /** Stops the server and removes its data and the temp directory. */
  stop(): Promise<void>;
}

/** Starts the real server with `policy` and {@link peopleAuthArgs}, then `args`. */
export async function startVigilForPeople(
  policy: string,
  args: string[] = [],
): Promise<PeopleServer> {
  const dir = await tempDir("vigil-people-");
  const vigil = await startVigil({
    policy,
    args: [...(await peopleAuthArgs(dir)), ...args],
  });
  return {
    vigil,
    dir,
    async stop() {
      await vigil.stop();
      await removeDir(vigil.dataDir);
      await removeDir(dir);
    },
  };
}

/**
 * A copy of the bundled policy whose approval specs are changed by `edit` (data.json's
 * `vigil.approval`), for quorum and expiry tests. Returns the directory.
 */
export async function policyWithApprovals(
  edit: (approval: Record<string, Record<string, unknown>>) => void,
): Promise<string> {
  const dir = await tempDir("vigil-approval-policy-");
  await cp(join(projectRoot, "policies"), dir, { recursive: true });
  const dataPath = join(dir, "data.json");
  const data = JSON.parse(await readFile(dataPath, "utf8"));
  edit(data.vigil.approval);
  await writeFile(dataPath, JSON.stringify(data, null, 2));
  return dir;
}

/** A service reading a production secret: the default policy requires one sre-oncall approval. */
export function productionRead(secret = "prod/reporting-db"): AuthorizeRequest {
  return create(AuthorizeRequestSchema, {
    principal: { id: people.reporting.id, kind: PrincipalKind.SERVICE },
    action: "secret.read",
    resource: { kind: "secret", id: secret, attributes: { environment: "production" } },
    secrets: [{ name: "REPORTING_DB", store: "vault" }],
  });
}

/** The `vigil authorize` flags asking what {@link productionRead} asks, for `resource`. */
export function productionReadArgs(resource: string): string[] {
  return [
    "authorize",
    "--principal",
    people.reporting.id,
    "--action",
    "secret.read",
    "--resource",
    `secret:${resource}`,
    "--attr",
    "environment=production",
    "--secret",
    "REPORTING_DB",
  ];
}

/** Clients for one caller (a token, or anonymous) over gRPC or Connect. */
export function clientsFor(baseUrl: string, token?: string, protocol: "grpc" | "connect" = "grpc") {
  const interceptors = bearer(token);
  const transport =
    protocol === "grpc"
      ? createGrpcTransport({ baseUrl, interceptors })
      : createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors });
  return {
    policy: createClient(PolicyService, transport),
    approvals: createClient(ApprovalService, transport),
  };
}
