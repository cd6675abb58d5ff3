import { appendFile } from "node:fs/promises";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Verdict } from "../../gen/vigil/v1/approval_pb.js";
import { tokenHash } from "../../server/src/auth/api-tokens.js";
import { auditClient } from "../../server/src/cli/server-client.js";
import { clientsFor, people, writeTokensFile } from "../support/approval-fixtures.js";
import { type NginxProcess, startNginx } from "../support/nginx.js";
import { readmeConfig } from "../support/readme-snippets.js";
import {
  freePort,
  removeDir,
  startVigil,
  tempDir,
  type VigilProcess,
} from "../support/vigil-process.js";

// The gateway's own Vigil token: audit records name nginx as the caller.
const gateway = { id: "nginx-gateway", token: "vgl_test_nginx_gateway_4f1e" };

let vigil: VigilProcess;
let nginx: NginxProcess;
let dir: string;
let app: http.Server;
const appHits: http.IncomingHttpHeaders[] = [];
let gated: string;
let broken: string;

beforeAll(async () => {
  dir = await tempDir("vigil-nginx-");
  const tokens = await writeTokensFile(dir);
  await appendFile(
    tokens,
    `\n[[tokens]]\nid = "${gateway.id}"\nsha256 = "${tokenHash(gateway.token)}"\nroles = ["client"]\n`,
  );
  vigil = await startVigil({
    policy: inject("defaultBundlePath"),
    args: ["--auth-tokens", tokens],
  });

  // The protected application: it records what reached it.
  app = http.createServer((req, res) => {
    appHits.push(req.headers);
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("hello from the app\n");
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  const appPort = (app.address() as AddressInfo).port;

  const [gatedPort, brokenPort, closedPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
  ]);
  gated = `http://127.0.0.1:${gatedPort}`;
  broken = `http://127.0.0.1:${brokenPort}`;
  // The README's configuration, with the test's ports and the gateway's token. A header the
  // test sends stands in for auth_basic: names like svc:reporting cannot be htpasswd users.
  const documented = readmeConfig("nginx");
  const configure = (port: number, vigilUrl: string) =>
    documented
      .replace("listen 8080;", `listen 127.0.0.1:${port};`)
      .replace("http://127.0.0.1:3000", `http://127.0.0.1:${appPort}`)
      .replace("http://127.0.0.1:8444", vigilUrl)
      .replace('"vgl_…"', `"${gateway.token}"`)
      .replaceAll("$remote_user", "$http_x_user")
      .replace(/^\s*auth_basic.*$/gm, "");
  // The map is declared once per http block; the second server reuses it.
  const [map = "", gatedServer = ""] = configure(gatedPort, vigil.baseUrl).split(/\n(?=server \{)/);
  const brokenServer =
    configure(brokenPort, `http://127.0.0.1:${closedPort}`).split(/\n(?=server \{)/)[1] ?? "";
  nginx = await startNginx(dir, [map, gatedServer, brokenServer].join("\n"), [
    gatedPort,
    brokenPort,
  ]);
});

afterAll(async () => {
  await nginx?.stop();
  await new Promise((resolve) => app?.close(resolve));
  await vigil?.stop();
  if (vigil) await removeDir(vigil.dataDir);
  await removeDir(dir);
});

/** A request through nginx; `X-User` names the caller, as auth_basic would. */
function get(base: string, path: string, headers: Record<string, string> = {}) {
  return fetch(`${base}${path}`, { headers });
}

const audit = () => auditClient(vigil.baseUrl, people.auditor.token);

describe("nginx auth_request in front of an app", () => {
  it("lets an allowed request through, with the decision id, and audits it without the query", async () => {
    const before = appHits.length;
    const res = await get(gated, "/orders/42?api_key=sk_live_never_logged", {
      "X-User": "alice@example.com",
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello from the app\n");
    expect(appHits.length).toBe(before + 1);
    const decisionId = String(appHits.at(-1)?.["x-vigil-decision-id"]);

    const { record } = await audit().getRecord({ id: decisionId });
    expect(record?.principal?.id).toBe("alice@example.com");
    expect(record?.action).toBe("http.request");
    expect(record?.resource?.id).toBe("127.0.0.1/orders/42");
    expect(record?.caller?.id).toBe(gateway.id);
    expect(JSON.stringify(record?.resource)).not.toContain("sk_live_never_logged");
  });

  it("answers 403 for a denied identity and the app never sees the request", async () => {
    const before = appHits.length;
    const res = await get(gated, "/orders", {
      "X-User": "repo:acme/legacy-billing:ref:refs/heads/main",
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("x-vigil-reasons")).toBe("offboarded_identity");
    expect(appHits.length).toBe(before);
  });

  it("answers 401 when the gateway has no identity to name", async () => {
    const before = appHits.length;
    const res = await get(gated, "/orders");
    expect(res.status).toBe(401);
    expect(appHits.length).toBe(before);
  });

  it("holds a service's production request for approval, then lets the approved retry through once", async () => {
    const asService = { "X-User": "svc:reporting" };
    const first = await get(gated, "/reports/q3", asService);
    expect(first.status).toBe(403);
    expect(first.headers.get("x-vigil-reasons")).toBe("production_requires_human");
    const approvalId = first.headers.get("x-vigil-approval-id") ?? "";
    expect(approvalId).not.toBe("");

    await clientsFor(vigil.baseUrl, people.alice.token).approvals.decideApproval({
      id: approvalId,
      verdict: Verdict.APPROVE,
      comment: "quarterly report",
    });
    const before = appHits.length;
    const retry = await get(gated, "/reports/q3", { ...asService, "X-Vigil-Approval": approvalId });
    expect(retry.status).toBe(200);
    expect(appHits.length).toBe(before + 1);
    // Single use: the same approval does not open the door twice.
    const again = await get(gated, "/reports/q3", { ...asService, "X-Vigil-Approval": approvalId });
    expect(again.status).toBe(403);
    expect(again.headers.get("x-vigil-reasons")).toContain("approval_consumed");
  });

  it("ignores X-Vigil-* headers a client sends itself", async () => {
    const before = appHits.length;
    const res = await get(gated, "/orders", {
      "X-User": "repo:acme/legacy-billing:ref:refs/heads/main",
      "X-Vigil-Principal": "alice@example.com",
      "X-Vigil-Principal-Kind": "user",
      "X-Vigil-Resource": "http:staging/orders",
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("x-vigil-reasons")).toBe("offboarded_identity");
    expect(appHits.length).toBe(before);
  });

  it("fails closed when Vigil cannot be reached", async () => {
    const before = appHits.length;
    const res = await get(broken, "/orders", { "X-User": "alice@example.com" });
    expect(res.status).toBe(500);
    expect(appHits.length).toBe(before);
    expect(await nginx.errorLog()).toMatch(/connect\(\) failed/);
  });
});
