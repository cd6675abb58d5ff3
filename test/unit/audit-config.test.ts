import { describe, expect, it } from "vitest";
import { parseAge, parseSize } from "../../server/src/config/audit-config.js";
import { loadServerConfig } from "../../server/src/config/server-config.js";
import { ConfigError } from "../../server/src/errors.js";

const defaults = { policyDir: "/p", opaPath: "opa", policyWorkers: 2 };

describe("audit configuration", () => {
  it("reads flags over variables", () => {
    const { audit } = loadServerConfig(
      ["--audit-retention-age", "90d", "--audit-signing-key", "/keys/a.pem"],
      {
        VIGIL_AUDIT_RETENTION_AGE: "1d",
        VIGIL_AUDIT_RETENTION_MAX_BYTES: "10GiB",
        VIGIL_AUDIT_MAX_PENDING: "50",
      },
      defaults,
      "/srv",
    );
    expect(audit).toMatchObject({
      signingKeyFile: "/keys/a.pem",
      retentionMaxAgeMs: 90 * 86_400_000,
      retentionMaxBytes: 10 * 1024 ** 3,
      maxPending: 50,
    });
  });

  it.each([
    ["12h", 43_200_000],
    ["30m", 1_800_000],
    ["45s", 45_000],
    ["500ms", 500],
  ])("parses the age %s", (text, ms) => expect(parseAge(text)).toBe(ms));

  it.each([
    ["500MB", 5e8],
    ["1048576", 1_048_576],
    ["2kib", 2048],
  ])("parses the size %s", (text, bytes) => expect(parseSize(text)).toBe(bytes));

  it.each(["", "90", "-1d", "1y", "0d"])("refuses the age %j naming the flag", (text) => {
    expect(() => parseAge(text)).toThrow(ConfigError);
    expect(() => parseAge(text)).toThrow(/--audit-retention-age/);
  });

  it.each(["", "ten", "0", "5TB"])("refuses the size %j naming the flag", (text) => {
    expect(() => parseSize(text)).toThrow(/--audit-retention-max-bytes/);
  });

  it("refuses a non-positive checkpoint interval", () => {
    expect(() => loadServerConfig(["--audit-checkpoint-every", "0"], {}, defaults)).toThrow(
      /--audit-checkpoint-every: expected a positive integer/,
    );
  });
});
