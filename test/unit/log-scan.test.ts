import { describe, expect, it } from "vitest";
import { createLogScanner, formatFinding, maskValue } from "../support/log-scan.js";
import { PLANTED_SECRETS } from "../support/planted-secrets.js";

/** Synthetic credentials, built from pieces so no scanner flags this file. */
const githubToken = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ"}`;
const registered = "hunter2-REGISTERED-9c1e7a3b5d";
const base64url = (value: string) => Buffer.from(value).toString("base64url");
const jwt = [
  base64url(JSON.stringify({ alg: "HS256", typ: "JWT" })),
  base64url(JSON.stringify({ sub: "agent:release-bot", exp: 1_900_000_000 })),
  "q7Wm2Rt9Xv4Lp8Nz3Kc6Hd1Fb5Yg0Js",
].join(".");

/** A pino line as the server writes it, with `fields` merged in. */
const logLine = (msg: string, fields: Record<string, unknown> = {}) =>
  JSON.stringify({ level: 30, time: "2026-01-01T00:00:00.000Z", service: "vigil", ...fields, msg });

const scanner = createLogScanner({
  planted: [{ name: "registered value (lifecycle)", value: registered }],
});

describe("log scan", () => {
  it("flags a GitHub PAT with its file, line and detector, showing the value only masked", () => {
    const text = [
      logLine("listening", { port: 8444 }),
      logLine("record", { note: `pushing with ${githubToken}` }),
    ].join("\n");
    const findings = scanner.scan("server.log", text);
    expect(findings).toEqual([
      { file: "server.log", line: 2, detector: "secret.github-pat", masked: "ghp_… (40 chars)" },
    ]);
    const report = findings.map(formatFinding).join("\n");
    expect(report).toBe("server.log:2: secret.github-pat ghp_… (40 chars)");
    expect(report).not.toContain(githubToken.slice(4));
  });

  it("flags a planted registered value in plain text, in basic auth and JSON-escaped", () => {
    const text = [
      logLine("caller failed", { password: registered }),
      `authorization: Basic ${Buffer.from(`svc:${registered}`).toString("base64")}`,
      JSON.stringify({ body: JSON.stringify({ secret: registered }) }),
    ].join("\n");
    const findings = scanner.scan("cli.log", text);
    expect(findings.map((f) => [f.line, f.detector])).toEqual([
      [1, "planted: registered value (lifecycle)"],
      [2, "planted: registered value (lifecycle)"],
      [3, "planted: registered value (lifecycle)"],
    ]);
    for (const finding of findings) expect(finding.masked).not.toContain(registered);
  });

  it("flags a JWT", () => {
    const findings = scanner.scan("proxy.log", logLine("upstream said", { detail: jwt }));
    expect(findings.map((f) => f.detector)).toEqual(["secret.jwt"]);
  });

  it("names the planted value rather than the detector when both find the same span", () => {
    const withPlanted = createLogScanner({ planted: PLANTED_SECRETS });
    const [finding] = withPlanted.scan("server.log", `token ${githubToken}`);
    expect(finding?.detector).toMatch(/^planted: GitHub PAT/);
  });

  it("passes placeholders, fingerprints, pino's censor and ordinary log lines", () => {
    const text = [
      logLine("audit trail open", { entries: "0", signingKeyId: "ad6e950ec4f532e7" }),
      logLine("listening", { address: "127.0.0.1", port: 41891, dataDir: "/tmp/vigil-e2e-7099ho" }),
      logLine("record", {
        content: "pushing with [REDACTED:github-pat] and [REDACTED:registered]",
      }),
      logLine("record", { content: "key [HMAC:3f9a1c7e5b8d2f4a] stays correlated" }),
      logLine("request", { token: "[REDACTED]", headers: { authorization: "[REDACTED]" } }),
      logLine("denied", { principal: "alice@example.com", reason: "no_token" }),
      "stdin:1:25: secret.github-pat (masked)",
    ].join("\n");
    expect(createLogScanner({ planted: PLANTED_SECRETS }).scan("server.log", text)).toEqual([]);
  });

  it("skips an allowed detector value but never an allowed-looking planted one", () => {
    const allowing = createLogScanner({
      planted: [{ name: "planted PAT", value: githubToken }],
      allowed: [{ detector: "secret.github-pat", value: /^ghp_/, reason: "test" }],
    });
    const other = `ghp_${"R8mZq2Vn5Xc7Lp0Kt4Wb9Yd3Hs6Jf1Ga2Ue8"}`;
    const findings = allowing.scan("x.log", `${githubToken}\n${other}`);
    expect(findings.map((f) => [f.line, f.detector])).toEqual([[1, "planted: planted PAT"]]);
  });
});

describe("maskValue", () => {
  it("keeps the first four characters and the length", () => {
    expect(maskValue("vgl_test_alice_5c1d8e2f")).toBe("vgl_… (23 chars)");
  });
});
