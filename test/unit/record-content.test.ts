import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContentKind, ContentSchema, PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import { RecordEventKind, RecordEventSchema } from "../../gen/vigil/v1/policy_service_pb.js";
import { createPolicyEngine } from "../../server/src/policy/policy-engine.js";
import { createPolicyEvaluator } from "../../server/src/policy/policy-evaluator.js";
import { createContentRedactor } from "../../server/src/redact/content-redactor.js";
import { recordedContent } from "../../server/src/rpc/record-content.js";
import { captureLogs } from "../support/log-capture.js";
import { authzModule, compileBundle, writePolicyDir } from "../support/policy-fixtures.js";
import { removeDir } from "../support/vigil-process.js";

/** Masks everything, but refuses to let tool results into the audit log at all. */
const policy = {
  ...authzModule('decision := {"decision": "allow"}'),
  "redact.rego": [
    "package vigil.redact",
    "import rego.v1",
    'default plan := {"detectors": ["secret.*"], "operators": [{"match": "*", "type": "replace"}]}',
    'plan := {"block": true, "reasons": [{"code": "no_tool_output_in_audit", "message": "tool output is not kept"}]} if {',
    '  input.destination == "audit"',
    '  input.target == "tool_result"',
    "}",
  ].join("\n"),
};

let dir: string;
let redactor: ReturnType<typeof createContentRedactor>;
beforeAll(async () => {
  dir = await writePolicyDir(policy);
  const engine = createPolicyEngine({
    logger: captureLogs().logger,
    evaluator: createPolicyEvaluator(),
  });
  await engine.load(await compileBundle(dir, ["vigil/authz/decision", "vigil/redact/plan"]));
  redactor = createContentRedactor({ engine, fingerprintKey: Buffer.alloc(32) });
});
afterAll(() => removeDir(dir));

const caller = {
  $typeName: "vigil.v1.Caller" as const,
  id: "c",
  method: "none",
  roles: [],
  groups: [],
  peer: "",
};
const event = (kind: ContentKind, value: string) =>
  create(RecordEventSchema, {
    kind: RecordEventKind.OUTPUT,
    principal: { id: "agent-7", kind: PrincipalKind.AGENT },
    content: create(ContentSchema, { kind, name: "out", body: { case: "text", value } }),
  });

describe("recordedContent", () => {
  const token = "ghp_Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ";
  const deps = () => ({ redactor, registered: [], caller, now: new Date(0) });

  it("stores content masked by the plan for destination audit", async () => {
    const recorded = await recordedContent(
      event(ContentKind.LOG, `token ${token}`),
      "event",
      deps(),
    );
    expect(recorded.contents[0]).toMatchObject({
      stored: true,
      body: { case: "text", value: "token [REDACTED:github-pat]" },
    });
    expect(recorded.reasons).toEqual([]);
  });

  it("keeps metadata and the plan's reasons when the plan refuses the content", async () => {
    const recorded = await recordedContent(
      event(ContentKind.TOOL_RESULT, `token ${token}`),
      "event",
      deps(),
    );
    expect(recorded.contents[0]).toMatchObject({
      stored: false,
      name: "out",
      originalLength: 46n,
      body: { case: undefined },
    });
    expect(recorded.findings).toEqual([]);
    expect(recorded.reasons.map((r) => [r.code, r.message])).toEqual([
      ["no_tool_output_in_audit", "tool output is not kept"],
    ]);
  });
});
