import { describe, expect, it } from "vitest";
import {
  type ConfigDefaults,
  loadServerConfig,
  parseListen,
} from "../../server/src/config/server-config.js";
import { ConfigError } from "../../server/src/errors.js";

const defaults: ConfigDefaults = {
  policyDir: "/opt/vigil/policies",
  opaPath: "/opt/vigil/opa",
  policyWorkers: 2,
};
const cwd = "/srv/vigil";

function load(argv: string[], env: Record<string, string | undefined> = {}) {
  return loadServerConfig(argv, env, defaults, cwd);
}

/** Returns the ConfigError a load throws; a load that succeeds fails the test. */
function configError(argv: string[], env: Record<string, string | undefined> = {}): ConfigError {
  try {
    load(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected loadServerConfig to throw");
}

describe("loadServerConfig", () => {
  it("uses the defaults when no flag or variable is given", () => {
    expect(load([])).toEqual({
      host: "127.0.0.1",
      port: 8444,
      dataDir: "/srv/vigil/data",
      policy: "/opt/vigil/policies",
      opaPath: "/opt/vigil/opa",
      tls: undefined,
      maxMessageBytes: 4194304,
      shutdownGraceMs: 10000,
      logLevel: "info",
      allowUnauthenticated: false,
      policyLoading: {
        watch: true,
        pollMs: 30000,
        token: undefined,
        verificationKeyFile: undefined,
        verificationKeyId: undefined,
        verificationScope: undefined,
      },
      policyEvaluation: {
        workers: 2,
        inlineMaxBytes: 16384,
        maxMemoryBytes: 256 * 1024 * 1024,
        recycleAboveBytes: 64 * 1024 * 1024,
      },
      redaction: {
        rulesFiles: [],
        maxBytes: 4 * 1024 * 1024,
        inlineMaxBytes: 65536,
        timeoutMs: 10000,
      },
      audit: {
        signingKeyFile: "/srv/vigil/data/keys/audit-signing.key",
        checkpointEvery: 1000,
        checkpointIntervalMs: 60_000,
        retentionMaxAgeMs: undefined,
        retentionMaxBytes: undefined,
        retentionIntervalMs: 60_000,
        maxPending: 10_000,
      },
      auth: {
        tokensFile: undefined,
        jwt: undefined,
        clientCertificates: undefined,
        roleBindingsFile: undefined,
        anonymousRoles: ["client", "approver", "auditor", "admin"],
      },
      // Checked in "request limits" below.
      limits: expect.any(Object),
      approvals: {
        sweepIntervalMs: 1000,
        webhookUrl: undefined,
        webhookSecretFile: undefined,
        webhookFormat: "json",
        consoleUrl: undefined,
        console: true,
      },
    });
  });

  it("reads every VIGIL_* variable, resolving paths against cwd", () => {
    const config = load([], {
      VIGIL_LISTEN: "0.0.0.0:9443",
      VIGIL_DATA_DIR: "state",
      VIGIL_POLICY: "rego",
      VIGIL_OPA: "/usr/bin/opa",
      VIGIL_TLS_CERT: "tls/cert.pem",
      VIGIL_TLS_KEY: "tls/key.pem",
      VIGIL_MAX_MESSAGE_BYTES: "65536",
      VIGIL_SHUTDOWN_GRACE_MS: "250",
      VIGIL_LOG_LEVEL: "debug",
      VIGIL_POLICY_WATCH: "false",
      VIGIL_POLICY_POLL_MS: "5000",
      VIGIL_POLICY_TOKEN: "t0ken",
      VIGIL_POLICY_VERIFICATION_KEY: "keys/bundle.pem",
      VIGIL_POLICY_VERIFICATION_KEY_ID: "release",
      VIGIL_POLICY_VERIFICATION_SCOPE: "prod",
      VIGIL_POLICY_WORKERS: "0",
      VIGIL_POLICY_INLINE_MAX_BYTES: "1024",
      VIGIL_POLICY_MAX_MEMORY_MB: "32",
      VIGIL_POLICY_RECYCLE_MEMORY_MB: "8",
      VIGIL_REDACT_RULES: "rules/acme.toml, rules/team.toml",
      VIGIL_REDACT_MAX_BYTES: "1000",
      VIGIL_REDACT_INLINE_MAX_BYTES: "0",
      VIGIL_REDACT_TIMEOUT_MS: "500",
      VIGIL_AUDIT_SIGNING_KEY: "keys/audit.pem",
      VIGIL_AUDIT_CHECKPOINT_EVERY: "50",
      VIGIL_AUDIT_CHECKPOINT_INTERVAL_MS: "1000",
      VIGIL_AUDIT_RETENTION_AGE: "30d",
      VIGIL_AUDIT_RETENTION_MAX_BYTES: "1GiB",
      VIGIL_AUDIT_RETENTION_INTERVAL_MS: "2000",
      VIGIL_AUDIT_MAX_PENDING: "99",
      VIGIL_AUTH_TOKENS: "secrets/tokens.toml",
      VIGIL_AUTH_JWKS: "https://idp.example.com/.well-known/jwks.json",
      VIGIL_AUTH_JWT_ISSUER: "https://idp.example.com/",
      VIGIL_AUTH_JWT_AUDIENCE: "vigil",
      VIGIL_AUTH_JWT_ROLES_CLAIM: "vigil_roles",
      VIGIL_AUTH_JWT_GROUPS_CLAIM: "teams",
      VIGIL_AUTH_JWT_CLOCK_TOLERANCE_S: "5",
      VIGIL_TLS_CLIENT_CA: "tls/clients-ca.pem",
      VIGIL_TLS_REQUIRE_CLIENT_CERT: "true",
      VIGIL_AUTH_ROLE_BINDINGS: "secrets/roles.toml",
      VIGIL_AUTH_ANONYMOUS_ROLES: "client",
      VIGIL_APPROVAL_SWEEP_INTERVAL_MS: "250",
      VIGIL_APPROVAL_WEBHOOK_URL: "https://hooks.example.com/vigil",
      VIGIL_APPROVAL_WEBHOOK_SECRET_FILE: "secrets/webhook",
      VIGIL_APPROVAL_WEBHOOK_FORMAT: "slack",
      VIGIL_CONSOLE_URL: "https://vigil.example.com/console",
      VIGIL_CONSOLE: "false",
    });
    expect(config).toEqual({
      host: "0.0.0.0",
      port: 9443,
      dataDir: "/srv/vigil/state",
      policy: "/srv/vigil/rego",
      opaPath: "/usr/bin/opa",
      tls: { certFile: "/srv/vigil/tls/cert.pem", keyFile: "/srv/vigil/tls/key.pem" },
      maxMessageBytes: 65536,
      shutdownGraceMs: 250,
      logLevel: "debug",
      allowUnauthenticated: false,
      policyLoading: {
        watch: false,
        pollMs: 5000,
        token: "t0ken",
        verificationKeyFile: "/srv/vigil/keys/bundle.pem",
        verificationKeyId: "release",
        verificationScope: "prod",
      },
      policyEvaluation: {
        workers: 0,
        inlineMaxBytes: 1024,
        maxMemoryBytes: 32 * 1024 * 1024,
        recycleAboveBytes: 8 * 1024 * 1024,
      },
      redaction: {
        rulesFiles: ["/srv/vigil/rules/acme.toml", "/srv/vigil/rules/team.toml"],
        maxBytes: 1000,
        inlineMaxBytes: 0,
        timeoutMs: 500,
      },
      audit: {
        signingKeyFile: "/srv/vigil/keys/audit.pem",
        checkpointEvery: 50,
        checkpointIntervalMs: 1000,
        retentionMaxAgeMs: 30 * 86_400_000,
        retentionMaxBytes: 1024 ** 3,
        retentionIntervalMs: 2000,
        maxPending: 99,
      },
      auth: {
        tokensFile: "/srv/vigil/secrets/tokens.toml",
        jwt: {
          jwks: "https://idp.example.com/.well-known/jwks.json",
          issuer: "https://idp.example.com/",
          audience: "vigil",
          rolesClaim: "vigil_roles",
          groupsClaim: "teams",
          clockToleranceSeconds: 5,
        },
        clientCertificates: { caFile: "/srv/vigil/tls/clients-ca.pem", required: true },
        roleBindingsFile: "/srv/vigil/secrets/roles.toml",
        anonymousRoles: ["client"],
      },
      limits: expect.any(Object),
      approvals: {
        sweepIntervalMs: 250,
        webhookUrl: "https://hooks.example.com/vigil",
        webhookSecretFile: "/srv/vigil/secrets/webhook",
        webhookFormat: "slack",
        consoleUrl: "https://vigil.example.com/console",
        console: false,
      },
    });
  });

  it("refuses a webhook without a secret file, a bad format and a non-http URL", () => {
    expect(configError(["--approval-webhook-url", "https://h.example/x"]).message).toBe(
      "--approval-webhook-url needs --approval-webhook-secret-file: receivers must be able to check the signature",
    );
    expect(configError(["--approval-webhook-format", "xml"]).message).toBe(
      "--approval-webhook-format must be json or slack, not xml",
    );
    expect(
      configError(["--approval-webhook-url", "ftp://h/x", "--approval-webhook-secret-file", "s"])
        .message,
    ).toBe("--approval-webhook-url must be an http(s) URL");
  });

  it("takes --redact-rules more than once, the flags winning over the variable", () => {
    const config = load(["--redact-rules", "a.toml", "--redact-rules", "/etc/b.toml"], {
      VIGIL_REDACT_RULES: "ignored.toml",
    });
    expect(config.redaction.rulesFiles).toEqual(["/srv/vigil/a.toml", "/etc/b.toml"]);
    expect(configError(["--redact-timeout-ms", "0"]).message).toBe(
      '--redact-timeout-ms: expected a positive integer, got "0"',
    );
  });

  it("keeps an http(s) policy URL as given and refuses other schemes without echoing them", () => {
    expect(load(["--policy", "https://bundles.example.com/vigil.tar.gz"]).policy).toBe(
      "https://bundles.example.com/vigil.tar.gz",
    );
    const error = configError(["--policy", "s3://bucket/bundle.tar.gz?token=abc"]);
    expect(error.message).toBe("--policy: only http:// and https:// bundle URLs are supported");
  });

  it("names the flag for a bad boolean or a negative worker count", () => {
    expect(configError(["--policy-watch", "maybe"]).message).toBe(
      '--policy-watch: expected true or false, got "maybe"',
    );
    expect(configError(["--policy-workers=-1"]).message).toBe(
      '--policy-workers: expected a whole number ≥ 0, got "-1"',
    );
  });

  it("lets flags win over variables", () => {
    const config = load(
      ["--listen", "127.0.0.1:7000", "--data-dir", "/var/lib/vigil", "--log-level", "warn"],
      { VIGIL_LISTEN: "0.0.0.0:9443", VIGIL_DATA_DIR: "state", VIGIL_LOG_LEVEL: "debug" },
    );
    expect([config.host, config.port, config.dataDir, config.logLevel]).toEqual([
      "127.0.0.1",
      7000,
      "/var/lib/vigil",
      "warn",
    ]);
  });

  it("refuses a non-loopback address without caller authentication unless told to allow it", () => {
    expect(configError(["--listen", "0.0.0.0:8444"]).message).toBe(
      "refusing to listen on 0.0.0.0 without caller authentication: every caller on the network would be anonymous. Configure --auth-tokens, --auth-jwks or --tls-client-ca, listen on 127.0.0.1, or pass --allow-unauthenticated true",
    );
    expect(configError(["--listen", "[2001:db8::1]:8444"]).message).toContain(
      "refusing to listen on 2001:db8::1",
    );
    expect(load(["--listen", "0.0.0.0:8444", "--allow-unauthenticated", "true"])).toMatchObject({
      host: "0.0.0.0",
      allowUnauthenticated: true,
    });
    expect(load(["--listen", "0.0.0.0:8444", "--auth-tokens", "tokens.toml"]).host).toBe("0.0.0.0");
    for (const host of ["127.0.0.1", "127.1.2.3", "[::1]", "localhost", "[::ffff:127.0.0.1]"]) {
      expect(load(["--listen", `${host}:8444`]).port, host).toBe(8444);
    }
  });

  it("treats an empty variable as unset", () => {
    expect(load([], { VIGIL_LISTEN: "", VIGIL_DATA_DIR: "" })).toMatchObject({
      port: 8444,
      dataDir: "/srv/vigil/data",
    });
  });

  it("accepts the --flag=value form", () => {
    expect(load(["--max-message-bytes=1024"]).maxMessageBytes).toBe(1024);
  });

  it("rejects an unknown flag, naming it", () => {
    expect(configError(["--listne", "x"]).message).toContain("--listne");
  });

  it("rejects a listen address that is not HOST:PORT, naming --listen", () => {
    expect(configError(["--listen", "localhost"]).message).toBe(
      '--listen: expected HOST:PORT, got "localhost"',
    );
  });

  it("rejects an out-of-range port", () => {
    expect(configError(["--listen", "127.0.0.1:65536"]).message).toBe(
      "--listen: port 65536 is out of range",
    );
  });

  it.each([["abc"], ["0"], ["-5"], ["1.5"]])(
    "rejects --max-message-bytes %s, naming the flag",
    (value) => {
      expect(configError([`--max-message-bytes=${value}`]).message).toBe(
        `--max-message-bytes: expected a positive integer, got "${value}"`,
      );
    },
  );

  it("names --shutdown-grace-ms when its variable is not a number", () => {
    expect(configError([], { VIGIL_SHUTDOWN_GRACE_MS: "soon" }).message).toContain(
      "--shutdown-grace-ms",
    );
  });

  it("rejects a TLS certificate without a key", () => {
    expect(configError(["--tls-cert", "cert.pem"]).message).toBe(
      "--tls-cert and --tls-key must be given together",
    );
  });

  it("rejects a TLS key without a certificate", () => {
    expect(configError([], { VIGIL_TLS_KEY: "key.pem" }).message).toBe(
      "--tls-cert and --tls-key must be given together",
    );
  });
});

describe("parseListen", () => {
  it("splits host and port", () => {
    expect(parseListen("10.0.0.1:8444")).toEqual({ host: "10.0.0.1", port: 8444 });
  });

  it("unwraps a bracketed IPv6 host", () => {
    expect(parseListen("[::1]:9000")).toEqual({ host: "::1", port: 9000 });
  });

  it("binds every interface for :PORT", () => {
    expect(parseListen(":8444")).toEqual({ host: "0.0.0.0", port: 8444 });
  });

  it("accepts port 0, which lets the kernel pick", () => {
    expect(parseListen("127.0.0.1:0").port).toBe(0);
  });

  it.each([["8444"], ["host:"], ["::1:9000"], ["host:http"], ["[::1]"]])("rejects %s", (value) => {
    expect(() => parseListen(value)).toThrow(ConfigError);
  });
});

describe("request limits", () => {
  it("defaults to limits that shed load without getting in the way of normal use", () => {
    expect(load([]).limits).toEqual({
      maxInFlight: 512,
      maxConcurrentPerCaller: 64,
      ratePerCaller: 0,
      rateBurst: 1,
      maxJsonDepth: 32,
      maxBatchSize: 256,
      requestTimeoutMs: 60_000,
      transport: {
        maxStreamsPerConnection: 128,
        http2MaxSessionMemoryMb: 10,
        http1HeadersTimeoutMs: 10_000,
        http1RequestTimeoutMs: 120_000,
        http1KeepAliveTimeoutMs: 5_000,
      },
    });
  });

  it("reads every limit from its VIGIL_* variable, and a flag wins over it", () => {
    const config = load(["--max-json-depth", "12"], {
      VIGIL_MAX_IN_FLIGHT: "100",
      VIGIL_MAX_CONCURRENT_PER_CALLER: "8",
      VIGIL_RATE_LIMIT_PER_CALLER: "20",
      VIGIL_RATE_LIMIT_BURST: "40",
      VIGIL_MAX_JSON_DEPTH: "16",
      VIGIL_MAX_BATCH_SIZE: "50",
      VIGIL_REQUEST_TIMEOUT_MS: "5000",
      VIGIL_MAX_STREAMS_PER_CONNECTION: "64",
      VIGIL_HTTP2_MAX_SESSION_MEMORY_MB: "32",
      VIGIL_HTTP1_HEADERS_TIMEOUT_MS: "2000",
      VIGIL_HTTP1_REQUEST_TIMEOUT_MS: "0",
      VIGIL_HTTP1_KEEP_ALIVE_TIMEOUT_MS: "65000",
    });
    expect(config.limits).toEqual({
      maxInFlight: 100,
      maxConcurrentPerCaller: 8,
      ratePerCaller: 20,
      rateBurst: 40,
      maxJsonDepth: 12,
      maxBatchSize: 50,
      requestTimeoutMs: 5000,
      transport: {
        maxStreamsPerConnection: 64,
        http2MaxSessionMemoryMb: 32,
        http1HeadersTimeoutMs: 2000,
        http1RequestTimeoutMs: 0,
        http1KeepAliveTimeoutMs: 65_000,
      },
    });
  });

  it("defaults the burst to one second of calls", () => {
    expect(load(["--rate-limit-per-caller", "50"]).limits.rateBurst).toBe(50);
  });

  it("turns the call limits and the server deadline off with 0", () => {
    const { limits } = load([
      "--max-in-flight=0",
      "--max-concurrent-per-caller=0",
      "--request-timeout-ms=0",
    ]);
    expect([limits.maxInFlight, limits.maxConcurrentPerCaller, limits.requestTimeoutMs]).toEqual([
      0, 0, 0,
    ]);
  });

  it.each([
    [["--max-json-depth", "0"], '--max-json-depth: expected a positive integer, got "0"'],
    [["--max-batch-size", "0"], '--max-batch-size: expected a positive integer, got "0"'],
    [["--max-in-flight=-1"], '--max-in-flight: expected a whole number ≥ 0, got "-1"'],
    [
      ["--rate-limit-per-caller", "fast"],
      '--rate-limit-per-caller: expected a whole number ≥ 0, got "fast"',
    ],
    [["--rate-limit-burst", "10"], "--rate-limit-burst needs --rate-limit-per-caller"],
    [
      ["--max-streams-per-connection", "0"],
      '--max-streams-per-connection: expected a positive integer, got "0"',
    ],
    [
      ["--http1-headers-timeout-ms", "30000", "--http1-request-timeout-ms", "20000"],
      "--http1-headers-timeout-ms must not be longer than --http1-request-timeout-ms",
    ],
  ])("refuses %j, naming the flag", (argv, message) => {
    expect(configError(argv).message).toBe(message);
  });

  it("lists every limit flag in the usage text", async () => {
    const { serveUsage } = await import("../../server/src/config/server-config.js");
    const { limitFlagSpec } = await import("../../server/src/config/limit-config.js");
    for (const flag of Object.keys(limitFlagSpec)) expect(serveUsage).toContain(`--${flag} `);
  });
});
