import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Decision } from "../../gen/vigil/v1/common_pb.js";
import { PolicyService } from "../../gen/vigil/v1/policy_service_pb.js";
import { ordinaryRead } from "../support/requests.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "../support/vigil-process.js";

const run = promisify(execFile);
let certDir: string;
let ca: Buffer;
let vigil: VigilProcess;

beforeAll(async () => {
  certDir = await tempDir("vigil-tls-");
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    join(certDir, "key.pem"),
    "-out",
    join(certDir, "cert.pem"),
    "-days",
    "1",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
  ]);
  ca = await readFile(join(certDir, "cert.pem"));
  vigil = await startVigil({
    policy: inject("defaultBundlePath"),
    args: ["--tls-cert", join(certDir, "cert.pem"), "--tls-key", join(certDir, "key.pem")],
  });
});

afterAll(async () => {
  await vigil.stop();
  await Promise.all([removeDir(vigil.dataDir), removeDir(certDir)]);
});

describe("with a certificate and key configured", () => {
  const baseUrl = () => `https://127.0.0.1:${vigil.port}`;

  it("serves gRPC over TLS (HTTP/2 via ALPN)", async () => {
    const transport = createGrpcTransport({ baseUrl: baseUrl(), nodeOptions: { ca } });
    const res = await createClient(PolicyService, transport).authorize(ordinaryRead());
    expect(res.decision).toBe(Decision.ALLOW);
  });

  it("serves Connect over TLS with HTTP/1.1", async () => {
    const transport = createConnectTransport({
      baseUrl: baseUrl(),
      httpVersion: "1.1",
      nodeOptions: { ca },
    });
    const res = await createClient(PolicyService, transport).authorize(ordinaryRead());
    expect(res.decision).toBe(Decision.ALLOW);
  });

  it("refuses clear-text HTTP/2 on the TLS port", async () => {
    const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${vigil.port}` });
    await expect(
      createClient(PolicyService, transport).authorize(ordinaryRead()),
    ).rejects.toThrow();
  });
});
