import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tls from "node:tls";
import {
  Code,
  type ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AuditRecordKind, AuditService } from "../../gen/vigil/v1/audit_pb.js";
import { Decision } from "../../gen/vigil/v1/common_pb.js";
import { PolicyService } from "../../gen/vigil/v1/policy_service_pb.js";
import { people, writeTokensFile } from "../support/approval-fixtures.js";
import { expectConnectError } from "../support/connect-error.js";
import { ordinaryRead } from "../support/requests.js";
import { createTestCa, type IssuedCertificate, type TestCa } from "../support/test-pki.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "../support/vigil-process.js";

const deployId = "spiffe://example.test/ci/deploy";
const auditorId = "spiffe://example.test/audit/reader";

let dir: string;
let ca: TestCa;
let server: IssuedCertificate;
const clients = {} as Record<
  "deploy" | "worker" | "batch" | "auditor" | "unbound" | "expired" | "untrusted",
  IssuedCertificate
>;

beforeAll(async () => {
  dir = await tempDir("vigil-mtls-");
  const [trusted, rogue] = await Promise.all([createTestCa(dir, "ca"), createTestCa(dir, "rogue")]);
  ca = trusted;
  [
    server,
    clients.deploy,
    clients.worker,
    clients.batch,
    clients.auditor,
    clients.unbound,
    clients.expired,
    clients.untrusted,
  ] = await Promise.all([
    ca.issue("server", {
      commonName: "localhost",
      subjectAltName: "IP:127.0.0.1,DNS:localhost",
      usage: "serverAuth",
    }),
    ca.issue("deploy", {
      commonName: "deploy",
      subjectAltName: `DNS:deploy.example.test,URI:${deployId}`,
    }),
    ca.issue("worker", { commonName: "worker", subjectAltName: "DNS:worker.example.test" }),
    ca.issue("batch", { commonName: "batch-job" }),
    ca.issue("auditor", { commonName: "auditor", subjectAltName: `URI:${auditorId}` }),
    ca.issue("unbound", { commonName: "x", subjectAltName: "URI:spiffe://example.test/nobody" }),
    ca.issue("expired", { commonName: "x", subjectAltName: `URI:${deployId}`, expired: true }),
    // Same identity as the deploy job, from a CA the server does not trust.
    rogue.issue("impostor", { commonName: "deploy", subjectAltName: `URI:${deployId}` }),
  ]);
  await writeFile(
    join(dir, "bindings.toml"),
    [
      "[[bindings]]",
      'role = "client"',
      'identities = ["spiffe://example.test/ci/*", "worker.example.test", "batch-job"]',
      'methods = ["mtls"]',
      "",
      "[[bindings]]",
      'role = "auditor"',
      `identities = ["${auditorId}"]`,
      'methods = ["mtls"]',
      "",
    ].join("\n"),
  );
});

afterAll(async () => {
  await removeDir(dir);
});

/** Flags for a TLS server asking for client certificates from the test CA. */
function mtlsArgs(required: boolean): string[] {
  return [
    "--tls-cert",
    server.certFile,
    "--tls-key",
    server.keyFile,
    "--tls-client-ca",
    ca.certFile,
    "--tls-require-client-cert",
    String(required),
    "--auth-role-bindings",
    join(dir, "bindings.toml"),
  ];
}

interface Caller {
  certificate?: IssuedCertificate;
  token?: string;
}

const grpcTransport = (port: number, caller: Caller): Transport =>
  createGrpcTransport({
    baseUrl: `https://127.0.0.1:${port}`,
    nodeOptions: tlsOptions(caller),
    interceptors: bearer(caller),
  });

const protocols = [
  { name: "gRPC", transport: grpcTransport },
  {
    name: "Connect (HTTP/1.1)",
    transport: (port: number, caller: Caller): Transport =>
      createConnectTransport({
        baseUrl: `https://127.0.0.1:${port}`,
        httpVersion: "1.1",
        nodeOptions: tlsOptions(caller),
        interceptors: bearer(caller),
      }),
  },
];

function tlsOptions(caller: Caller) {
  const { certificate } = caller;
  return certificate
    ? { ca: ca.cert, cert: certificate.cert, key: certificate.key }
    : { ca: ca.cert };
}

function bearer(caller: Caller): Interceptor[] {
  const { token } = caller;
  if (!token) return [];
  return [
    (next) => (request) => {
      request.header.set("authorization", `Bearer ${token}`);
      return next(request);
    },
  ];
}

describe("with optional client certificates", () => {
  let vigil: VigilProcess;

  beforeAll(async () => {
    vigil = await startVigil({
      policy: inject("defaultBundlePath"),
      args: [...mtlsArgs(false), "--auth-tokens", await writeTokensFile(dir)],
    });
  });

  afterAll(async () => {
    await vigil?.stop();
    if (vigil) await removeDir(vigil.dataDir);
  });

  describe.each(protocols)("over $name", (protocol) => {
    const policy = (caller: Caller) =>
      createClient(PolicyService, protocol.transport(vigil.port, caller));
    const audit = () =>
      createClient(AuditService, protocol.transport(vigil.port, { certificate: clients.auditor }));

    it("allows a bound certificate and records its URI SAN as the caller", async () => {
      const request = ordinaryRead();
      request.sessionId = `mtls-${protocol.name}`;
      const res = await policy({ certificate: clients.deploy }).authorize(request);
      expect(res.decision).toBe(Decision.ALLOW);
      const { records } = await audit().queryRecords({
        filter: {
          kind: AuditRecordKind.DECISION,
          callerId: deployId,
          sessionId: request.sessionId,
        },
      });
      expect(records).toHaveLength(1);
      expect(records[0]?.caller?.method).toBe("mtls");
      expect(records[0]?.caller?.id).toBe(deployId);
      expect(records[0]?.caller?.roles).toEqual(["client"]);
    });

    it("names a certificate by its DNS SAN, or its CN without SANs", async () => {
      for (const certificate of [clients.worker, clients.batch]) {
        const res = await policy({ certificate }).authorize(ordinaryRead());
        expect(res.decision).toBe(Decision.ALLOW);
      }
    });

    it("refuses a certificate from an untrusted CA as unauthenticated", async () => {
      const error = await expectConnectError(
        policy({ certificate: clients.untrusted }).authorize(ordinaryRead()),
      );
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.rawMessage).toMatch(/not issued by a trusted CA \(\w+\)/);
    });

    it("refuses an expired certificate as unauthenticated", async () => {
      const error = await expectConnectError(
        policy({ certificate: clients.expired }).authorize(ordinaryRead()),
      );
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.rawMessage).toContain("CERT_HAS_EXPIRED");
    });

    it("denies a trusted certificate that no role binding names", async () => {
      const error = await expectConnectError(
        policy({ certificate: clients.unbound }).authorize(ordinaryRead()),
      );
      expect(error.code).toBe(Code.PermissionDenied);
      expect(error.rawMessage).toContain("spiffe://example.test/nobody");
    });

    it("refuses a caller with neither certificate nor token", async () => {
      const error = await expectConnectError(policy({}).authorize(ordinaryRead()));
      expect(error.code).toBe(Code.Unauthenticated);
    });

    it("still accepts an API token without a certificate", async () => {
      const res = await policy({ token: people.reporting.token }).authorize(ordinaryRead());
      expect(res.decision).toBe(Decision.ALLOW);
    });

    it("records refused certificates in the audit trail", async () => {
      const { records } = await audit().queryRecords({
        filter: { kind: AuditRecordKind.ACCESS },
        descending: true,
        pageSize: 100,
      });
      const refused = records.filter((r) =>
        r.reasons.some((reason) => reason.message.includes("not issued by a trusted CA")),
      );
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]?.decision).toBe(Decision.DENY);
      expect(refused[0]?.reasons[0]?.code).toBe("unauthenticated");
      expect(refused[0]?.caller?.method).toBe("mtls");
    });
  });
});

describe("with required client certificates", () => {
  let vigil: VigilProcess;

  beforeAll(async () => {
    vigil = await startVigil({ policy: inject("defaultBundlePath"), args: mtlsArgs(true) });
  });

  afterAll(async () => {
    await vigil?.stop();
    if (vigil) await removeDir(vigil.dataDir);
  });

  // Under TLS 1.3 the server checks the client certificate after the client thinks the
  // handshake is done, so the client sees the refusal as a broken connection on its first
  // request; connect-node reports that as Unavailable, Internal, Canceled or Aborted depending
  // on the protocol and timing. What matters is that no RPC answer comes back: not the
  // refusals access control answers with, and no refusal in the audit trail (checked last).
  // The TLS alert itself is checked below.
  const expectConnectionFailure = (error: ConnectError) =>
    expect(
      [Code.Unauthenticated, Code.PermissionDenied],
      `${Code[error.code]}: ${error.rawMessage}`,
    ).not.toContain(error.code);

  describe.each(protocols)("over $name", (protocol) => {
    const policy = (caller: Caller) =>
      createClient(PolicyService, protocol.transport(vigil.port, caller));

    it("allows a bound certificate", async () => {
      const res = await policy({ certificate: clients.deploy }).authorize(ordinaryRead());
      expect(res.decision).toBe(Decision.ALLOW);
    });

    it("fails the connection without a certificate", async () => {
      const error = await expectConnectError(policy({}).authorize(ordinaryRead()));
      expectConnectionFailure(error);
    });

    it("fails the connection for a certificate from an untrusted CA", async () => {
      const error = await expectConnectError(
        policy({ certificate: clients.untrusted }).authorize(ordinaryRead()),
      );
      expectConnectionFailure(error);
    });
  });

  it("refuses the TLS handshake without a certificate", async () => {
    expect(await handshake(vigil.port, undefined)).toMatch(/alert certificate required/);
  });

  it("refuses the TLS handshake for a certificate from an untrusted CA", async () => {
    // Node checks the chain itself after OpenSSL's handshake and drops the connection without
    // an alert, so the client sees it close (or reset) right after the handshake.
    expect(await handshake(vigil.port, clients.untrusted)).toMatch(/^closed$|ECONNRESET/);
  });

  it("completes the TLS handshake for a trusted certificate", async () => {
    expect(await handshake(vigil.port, clients.deploy)).toBe("open");
  });

  it("records no refusal: the refused connections never reached access control", async () => {
    const audit = createClient(
      AuditService,
      grpcTransport(vigil.port, { certificate: clients.auditor }),
    );
    const { records } = await audit.queryRecords({ filter: { kind: AuditRecordKind.ACCESS } });
    expect(records).toEqual([]);
  });
});

/**
 * Connects with TLS only and reports how the connection ended: the TLS error (e.g. the
 * server's alert), or `open` if it is still up a moment after the handshake.
 */
function handshake(port: number, certificate: IssuedCertificate | undefined): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ca: ca.cert,
      ...(certificate ? { cert: certificate.cert, key: certificate.key } : {}),
    });
    const finish = (outcome: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish("open"), 1_000);
    socket.on("data", () => {});
    socket.once("error", (error) => finish(error.message));
    socket.once("close", () => finish("closed"));
  });
}
