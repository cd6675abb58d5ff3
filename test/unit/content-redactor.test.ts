import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedactionBlockedError } from "../../server/src/errors.js";
import { createPolicyEngine, type PolicyEngine } from "../../server/src/policy/policy-engine.js";
import { createPolicyEvaluator } from "../../server/src/policy/policy-evaluator.js";
import type { RedactPlanInput } from "../../server/src/policy/redact-plan.js";
import { createContentRedactor } from "../../server/src/redact/content-redactor.js";
import { captureLogs } from "../support/log-capture.js";
import { authzModule, compileBundle, writePolicyDir } from "../support/policy-fixtures.js";
import { removeDir } from "../support/vigil-process.js";

/** Blocks everything bound for "llm"; masks secrets elsewhere. */
const blockingPolicy = {
  ...authzModule('decision := {"decision": "allow"}'),
  "redact.rego": [
    "package vigil.redact",
    "import rego.v1",
    'default plan := {"detectors": ["secret.*"], "operators": [{"match": "*", "type": "replace"}]}',
    'plan := {"block": true, "reasons": [{"code": "no_llm", "message": "nothing goes to the model"}]} if input.target == "prompt"',
  ].join("\n"),
};

const input = (target: string): RedactPlanInput => ({
  caller: { id: "c", method: "none", roles: [], peer: "" },
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
beforeAll(async () => {
  dir = await writePolicyDir(blockingPolicy);
  engine = createPolicyEngine({ logger: captureLogs().logger, evaluator: createPolicyEvaluator() });
  await engine.load(await compileBundle(dir, ["vigil/authz/decision", "vigil/redact/plan"]));
});
afterAll(() => removeDir(dir));

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
