import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ContentTooLargeError,
  InvalidInputError,
  RedactionBlockedError,
  RedactionTimeoutError,
} from "../../server/src/errors.js";
import { createPolicyEngine, type PolicyEngine } from "../../server/src/policy/policy-engine.js";
import { createPolicyEvaluator } from "../../server/src/policy/policy-evaluator.js";
import type { RedactPlanInput } from "../../server/src/policy/redact-plan.js";
import { createContentRedactor } from "../../server/src/redact/content-redactor.js";
import { customRuleSet } from "../../server/src/redact/custom-rule-set.js";
import { createWorkerPool, type WorkerPool } from "../../server/src/workers/worker-pool.js";
import { captureLogs } from "../support/log-capture.js";
import { authzModule, compileBundle, writePolicyDir } from "../support/policy-fixtures.js";
import { removeDir } from "../support/vigil-process.js";

/** Blocks everything bound for "llm"; masks secrets elsewhere. */
const blockingPolicy = {
  ...authzModule('decision := {"decision": "allow"}'),
  "redact.rego": [
    "package vigil.redact",
    "import rego.v1",
    'default plan := {"detectors": ["secret.*", "custom.*"], "operators": [{"match": "*", "type": "replace"}]}',
    'plan := {"block": true, "reasons": [{"code": "no_llm", "message": "nothing goes to the model"}]} if input.target == "prompt"',
  ].join("\n"),
};

const input = (target: string): RedactPlanInput => ({
  caller: { id: "c", method: "none", roles: [], groups: [], peer: "" },
  principal: { id: "p", kind: "user", groups: [], attributes: {} },
  action: "llm.complete",
  resource: { kind: "llm", id: "m", attributes: {} },
  target,
  destination: "",
  content_names: [],
  time: { unix_ms: 0, rfc3339: "1970-01-01T00:00:00Z" },
});

let engine: PolicyEngine;
let dir: string;
let pool: WorkerPool;
beforeAll(async () => {
  pool = createWorkerPool({ threads: 1 });
  dir = await writePolicyDir(blockingPolicy);
  engine = createPolicyEngine({ logger: captureLogs().logger, evaluator: createPolicyEvaluator() });
  await engine.load(await compileBundle(dir, ["vigil/authz/decision", "vigil/redact/plan"]));
});
afterAll(async () => {
  await pool.close();
  await removeDir(dir);
});

const githubToken = "ghp_Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ";
const acmeToken = "acme_3f9a0c1b7e2d4f6a8b5c9d0e1f2a3b4c";
const acmeRules = customRuleSet(
  [
    {
      id: "acme-token",
      description: "",
      regex: "acme_[0-9a-f]{32}",
      secretGroup: 0,
      entropy: 0,
      keywords: ["acme_"],
      allowlists: [],
    },
  ],
  "acme.toml",
);

/** A log of `lines` lines with a GitHub token and an ACME token on the last one. */
function bigLog(lines: number): string {
  const filler = "2026-11-22T07:00:00Z INFO request served in 12 ms path=/v1/items status=200\n";
  return `${filler.repeat(lines)}deploy token=${githubToken} acme=${acmeToken}\n`;
}

describe("createContentRedactor", () => {
  const redactor = () =>
    createContentRedactor({ engine, fingerprintKey: Buffer.from("k".repeat(32)) });

  it("refuses content the plan blocks, with the plan's reason and not the content", async () => {
    const secret = "do not show this text";
    const error = await redactor()
      .redact({ text: secret }, "content", [], input("prompt"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedactionBlockedError);
    expect((error as RedactionBlockedError).message).toBe(
      "content refused by the redact plan: no_llm",
    );
    expect((error as Error).message).not.toContain(secret);
  });

  it("masks with the plan's operators otherwise, and says when nothing changed", async () => {
    const unchanged = await redactor().redact(
      { text: "nothing here" },
      "content",
      [],
      input("log"),
    );
    expect([unchanged.content, unchanged.modified, unchanged.findings]).toEqual([
      { text: "nothing here" },
      false,
      [],
    ]);
    expect(unchanged.provenance.entrypoint).toBe("vigil/redact/plan");
  });
});

describe("createContentRedactor bounds and threads", () => {
  const bounded = (options: { maxBytes?: number; inlineMaxBytes?: number; timeoutMs?: number }) =>
    createContentRedactor({
      engine,
      fingerprintKey: Buffer.from("k".repeat(32)),
      customRules: acmeRules,
      pool,
      ...options,
    });

  it("refuses content over maxBytes before evaluating anything, naming the limit", async () => {
    const text = `${"é".repeat(600)} ${githubToken}`;
    const error = await bounded({ maxBytes: 1000 })
      .redact({ text }, "content", [], input("log"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContentTooLargeError);
    // é is two bytes in UTF-8: the limit counts bytes, not characters.
    expect((error as Error).message).toBe(
      "content: 1241 bytes is over the redaction limit (server flag --redact-max-bytes) of 1000 bytes; split the content",
    );
  });

  it("masks large content on a worker exactly as on the main thread, custom rules included", async () => {
    const text = bigLog(2000);
    const onWorker = await bounded({ inlineMaxBytes: 1024 }).redact(
      { text },
      "content",
      [],
      input("log"),
    );
    const inline = await bounded({ inlineMaxBytes: 1024 * 1024 }).redact(
      { text },
      "content",
      [],
      input("log"),
    );
    expect(onWorker.content).toEqual(inline.content);
    expect(onWorker.findings).toEqual(inline.findings);
    expect(onWorker.findings.map((f) => f.detector)).toEqual([
      "secret.github-pat",
      "custom.acme-token",
    ]);
    expect(JSON.stringify(onWorker)).not.toContain(githubToken);
  });

  it("keeps JSON errors from a worker as InvalidInputError with the field", async () => {
    const json = `{"log": "${"x".repeat(4096)}", "broken": }`;
    const error = await bounded({ inlineMaxBytes: 1024 })
      .redact({ json }, "content", [], input("log"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe("content.json");
  });

  it("fails with RedactionTimeoutError when a worker takes too long, and the pool recovers", async () => {
    const text = bigLog(40_000);
    const error = await bounded({ inlineMaxBytes: 1024, timeoutMs: 1 })
      .redact({ text }, "content", [], input("log"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedactionTimeoutError);
    expect((error as Error).message).toBe(
      "content: masking did not finish within 1 ms (server flag --redact-timeout-ms); nothing was returned",
    );
    // The stopped thread is replaced; the next large item is masked normally.
    const next = await bounded({ inlineMaxBytes: 1024 }).redact(
      { text: bigLog(100) },
      "content",
      [],
      input("log"),
    );
    expect(next.findings).toHaveLength(2);
  });
});
