import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CallerSchema } from "../../gen/vigil/v1/audit_pb.js";
import { PolicyLoadError } from "../../server/src/errors.js";
import type { PolicyBundle } from "../../server/src/policy/bundle-reader.js";
import {
  type ActiveBundle,
  createPolicyEngine,
  type PolicyEngine,
} from "../../server/src/policy/policy-engine.js";
import { createPolicyEvaluator } from "../../server/src/policy/policy-evaluator.js";
import { type AuthorizeInput, buildAuthorizeInput } from "../../server/src/policy/policy-input.js";
import {
  createPolicyWorkerPool,
  type PolicyWorkerPool,
} from "../../server/src/policy/policy-worker-pool.js";
import { captureLogs } from "../support/log-capture.js";
import {
  authzModule,
  buildWithOpa,
  compileBundle,
  defaultBundle,
  writePolicyDir,
} from "../support/policy-fixtures.js";
import { destructiveAgentCommand, offboardedCiJob, ordinaryRead } from "../support/requests.js";
import { removeDir } from "../support/vigil-process.js";

const caller = create(CallerSchema, { id: "anonymous", method: "none" });
const input = (request = ordinaryRead()): AuthorizeInput =>
  buildAuthorizeInput(request, caller, new Date("2026-03-01T12:00:00Z"));

const fixtures = {
  /** Compiles, but answers `vigil/other/decision` instead of the Authorize entrypoint. */
  otherEntrypoint: {
    files: { "other.rego": 'package vigil.other\n\ndecision := {"decision": "allow"}\n' },
    entrypoints: ["vigil/other/decision"],
  },
  maybe: { files: authzModule('decision := {"decision": "maybe"}') },
  /** Well-formed for the smoke test's empty request, malformed for a secret read. */
  maybeForSecrets: {
    files: authzModule(
      'decision := {"decision": "maybe"} if input.action == "secret.read"\nelse := {"decision": "allow"}',
    ),
  },
  /** Conflicts for every input, so the smoke evaluation itself fails. */
  alwaysConflicting: {
    files: authzModule(
      [
        'decision := {"decision": "allow"} if input.time.unix_ms > 0',
        'decision := {"decision": "deny"} if input.time.unix_ms > 1',
      ].join("\n"),
    ),
  },
  /** Allows only when Vigil's host builtins agree with the engine's pinned clock. */
  clock: {
    files: authzModule(
      [
        'decision := {"decision": "allow"} if {',
        "\tnow := time.now_ns()",
        '\tnow >= time.parse_rfc3339_ns("2026-03-01T12:00:00Z")',
        '\tnow < time.parse_rfc3339_ns("2026-03-01T13:00:00+01:00") + time.parse_duration_ns("1s")',
        '\tunits.parse_bytes("1KiB") == 1024',
        '} else := {"decision": "deny", "reasons": [{"code": "clock", "message": "host builtins disagree"}]}',
      ].join("\n"),
    ),
  },
  redactPlan: {
    files: {
      ...authzModule('decision := {"decision": "allow"}'),
      "redact.rego":
        'package vigil.redact\n\nimport rego.v1\n\nplan := {"detectors": ["secret.*"], "operators": [{"match": "*", "type": input.target}]}\n',
    },
    entrypoints: ["vigil/authz/decision", "vigil/redact/plan"],
  },
  revisionB: {
    files: authzModule(
      'decision := {"decision": "deny", "reasons": [{"code": "b", "message": "b"}]}',
    ),
  },
  undefinedForInput: {
    files: authzModule('decision := {"decision": "allow"} if input.action == "never.asked"'),
  },
  // Two complete definitions that are both true with different values: opa's wasm raises
  // "var assignment conflict" at evaluation time, which the compiler cannot see.
  conflicting: {
    files: authzModule(
      [
        'decision := {"decision": "allow"} if input.action == "secret.read"',
        'decision := {"decision": "deny"} if input.resource.kind == "secret"',
      ].join("\n"),
    ),
  },
} satisfies Record<string, { files: Record<string, string>; entrypoints?: string[] }>;

const bundles = {} as Record<
  keyof typeof fixtures | "default" | "unsupportedBuiltin",
  PolicyBundle
>;
const dirs: string[] = [];

beforeAll(async () => {
  bundles.default = await defaultBundle();
  // Built with opa directly: compilePolicyDir would refuse it before the engine sees it.
  const dir = await writePolicyDir(
    authzModule(
      'decision := {"decision": "allow", "reasons": [{"code": crypto.sha256(input.action), "message": ""}]}',
    ),
  );
  dirs.push(dir);
  bundles.unsupportedBuiltin = await buildWithOpa(dir);
  for (const [name, fixture] of Object.entries(fixtures)) {
    const dir = await writePolicyDir(fixture.files);
    dirs.push(dir);
    const entrypoints = "entrypoints" in fixture ? fixture.entrypoints : undefined;
    bundles[name as keyof typeof fixtures] = await compileBundle(dir, entrypoints);
  }
});

afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});

/** The shared worker pool; each engine gets its own evaluator on top of it. */
let pool: PolicyWorkerPool;

beforeAll(() => {
  pool = createPolicyWorkerPool({ threads: 2 });
});

afterAll(async () => {
  await pool.close();
});

/** Where evaluations run: the suite below runs once for each. */
const placements = [
  { name: "main thread", onPool: false },
  { name: "worker pool", onPool: true },
];

function engineWith(onPool: boolean, onActivate?: (bundle: ActiveBundle) => void) {
  const logs = captureLogs();
  // inlineMaxBytes 0 sends every evaluation to the pool.
  const evaluator = onPool
    ? createPolicyEvaluator({ pool, inlineMaxBytes: 0 })
    : createPolicyEvaluator();
  const engine: PolicyEngine = createPolicyEngine({
    logger: logs.logger,
    evaluator,
    now: () => Date.parse("2026-03-01T12:00:00Z"),
    ...(onActivate ? { onActivate } : {}),
  });
  return { engine, logs };
}

describe.each(placements)("evaluating on the $name", ({ onPool }) => {
  async function loaded(bundle: PolicyBundle) {
    const made = engineWith(onPool);
    await made.engine.load(bundle);
    return made;
  }

  describe("before any bundle is loaded", () => {
    it("denies with no_policy and empty provenance", async () => {
      const { engine } = engineWith(onPool);
      const decision = await engine.authorize(input());
      expect(decision.outcome).toBe("deny");
      expect(decision.reasons.map((r) => r.code)).toEqual(["no_policy"]);
      expect(decision.provenance).toEqual({
        revision: "",
        entrypoint: "vigil/authz/decision",
        digest: "",
      });
    });

    it("reports no active bundle and no load attempt", () => {
      const { engine } = engineWith(onPool);
      expect([engine.active(), engine.lastAttempt()]).toEqual([undefined, undefined]);
    });
  });

  describe("with the default bundle", () => {
    it("allows an ordinary read with the bundle's provenance", async () => {
      const { engine } = await loaded(bundles.default);
      const decision = await engine.authorize(input());
      expect(decision.outcome).toBe("allow");
      expect(decision.reasons.map((r) => r.code)).toEqual(["allowed"]);
      expect(decision.provenance).toEqual({
        revision: bundles.default.revision,
        entrypoint: "vigil/authz/decision",
        digest: bundles.default.digest,
      });
    });

    it("denies an offboarded CI identity listed in data.json", async () => {
      const { engine } = await loaded(bundles.default);
      const decision = await engine.authorize(input(offboardedCiJob()));
      expect(decision.outcome).toBe("deny");
      expect(decision.reasons.map((r) => r.code)).toEqual(["offboarded_identity"]);
    });

    it("requires sre-oncall approval for an agent's destructive production command", async () => {
      const { engine } = await loaded(bundles.default);
      const decision = await engine.authorize(input(destructiveAgentCommand()));
      expect(decision.outcome).toBe("require_approval");
      expect(decision.approval).toEqual({
        rules: [{ group: "sre-oncall", required: 1 }],
        ttlSeconds: 900,
        grantTtlSeconds: 900,
        uses: 1,
        bypassGroups: [],
      });
      expect(decision.obligations).toEqual([{ type: "record", session: true }]);
    });

    it("reports the active bundle and a successful attempt", async () => {
      const { engine } = await loaded(bundles.default);
      expect(engine.active()).toMatchObject({
        revision: bundles.default.revision,
        digest: bundles.default.digest,
        source: bundles.default.source,
        entrypoints: expect.arrayContaining(["vigil/authz/decision"]),
      });
      expect(engine.lastAttempt()).toMatchObject({
        source: bundles.default.source,
        ok: true,
        error: "",
      });
    });

    it("calls onActivate with the bundle that became active", async () => {
      const activated: ActiveBundle[] = [];
      const { engine } = engineWith(onPool, (bundle) => activated.push(bundle));
      await engine.load(bundles.default);
      expect(activated).toEqual([engine.active()]);
      expect(activated[0]?.revision).toBe(bundles.default.revision);
    });
  });

  describe("rejected bundles", () => {
    it("rejects a bundle without the Authorize entrypoint and keeps the previous one", async () => {
      const activated: ActiveBundle[] = [];
      const { engine } = engineWith(onPool, (bundle) => activated.push(bundle));
      await engine.load(bundles.default);

      const error = await engine.load(bundles.otherEntrypoint).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PolicyLoadError);
      expect((error as Error).message).toBe(
        "bundle does not declare entrypoint(s) vigil/authz/decision",
      );
      expect(engine.active()?.digest).toBe(bundles.default.digest);
      expect((await engine.authorize(input(offboardedCiJob()))).reasons[0]?.code).toBe(
        "offboarded_identity",
      );
      expect(activated).toHaveLength(1);
    });

    it("records the failed attempt, with its source and error", async () => {
      const { engine, logs } = await loaded(bundles.default);
      await engine.load(bundles.otherEntrypoint).catch(() => undefined);
      expect(engine.lastAttempt()).toMatchObject({
        source: bundles.otherEntrypoint.source,
        ok: false,
        error: "bundle does not declare entrypoint(s) vigil/authz/decision",
      });
      expect(logs.entries().at(-1)).toMatchObject({ level: 50, msg: "policy bundle rejected" });
    });

    it("rejects a module that is not valid wasm with PolicyLoadError", async () => {
      const { engine } = engineWith(onPool);
      const broken = { ...bundles.default, wasm: Buffer.from("not wasm"), source: "broken" };
      const error = await engine.load(broken).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PolicyLoadError);
      expect((error as Error).message).toMatch(/^policy\.wasm is not valid WebAssembly: /);
      expect(engine.active()).toBeUndefined();
      expect((await engine.authorize(input())).reasons[0]?.code).toBe("no_policy");
    });

    it("rejects a bundle whose smoke evaluation answers with the wrong shape", async () => {
      const { engine } = await loaded(bundles.default);
      const error = await engine.load(bundles.maybe).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PolicyLoadError);
      expect((error as Error).message).toBe(
        'smoke evaluation of vigil/authz/decision: "decision" must be one of allow, deny, require_approval; got "maybe"',
      );
      expect(engine.active()?.digest).toBe(bundles.default.digest);
    });

    it("rejects a bundle whose smoke evaluation fails and keeps the previous one", async () => {
      const { engine } = await loaded(bundles.default);
      const error = await engine.load(bundles.alwaysConflicting).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PolicyLoadError);
      expect((error as Error).message).toMatch(
        /^smoke evaluation of vigil\/authz\/decision failed: .*conflict/,
      );
      expect((await engine.authorize(input(offboardedCiJob()))).reasons[0]?.code).toBe(
        "offboarded_identity",
      );
    });

    it("rejects a bundle that calls a builtin Vigil cannot run, naming it", async () => {
      const { engine } = await loaded(bundles.default);
      const error = await engine.load(bundles.unsupportedBuiltin).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PolicyLoadError);
      expect((error as Error).message).toMatch(
        /^policy uses builtin crypto\.sha256, which Vigil cannot run in Wasm/,
      );
      expect(engine.active()?.digest).toBe(bundles.default.digest);
    });

    it("records a failure that happened before load, such as a compile error", async () => {
      const { engine } = await loaded(bundles.default);
      engine.recordFailure("/policies", new PolicyLoadError("opa build failed"));
      expect(engine.lastAttempt()).toMatchObject({
        source: "/policies",
        ok: false,
        error: "opa build failed",
      });
      expect(engine.active()?.digest).toBe(bundles.default.digest);
    });
  });

  describe("policies that misbehave", () => {
    it("denies with policy_output_invalid, naming the field, when the decision is not known", async () => {
      const { engine } = await loaded(bundles.maybeForSecrets);
      const decision = await engine.authorize(input());
      expect(decision.outcome).toBe("deny");
      expect(decision.reasons).toEqual([
        {
          code: "policy_output_invalid",
          message: '"decision" must be one of allow, deny, require_approval; got "maybe"',
        },
      ]);
      expect(decision.provenance.digest).toBe(bundles.maybeForSecrets.digest);
    });

    it("denies with policy_undefined when the policy has no answer for the input", async () => {
      const { engine } = await loaded(bundles.undefinedForInput);
      expect((await engine.authorize(input())).reasons).toEqual([
        { code: "policy_undefined", message: "vigil/authz/decision is undefined" },
      ]);
    });

    it("denies with policy_error when evaluation fails", async () => {
      const { engine } = await loaded(bundles.conflicting);
      const decision = await engine.authorize(input());
      expect(decision.outcome).toBe("deny");
      expect(decision.reasons).toEqual([
        { code: "policy_error", message: "policy evaluation failed" },
      ]);
    });

    it("logs the evaluation error without the input", async () => {
      const { engine, logs } = await loaded(bundles.conflicting);
      await engine.authorize(input(offboardedCiJob()));
      expect(logs.entries().at(-1)).toMatchObject({
        level: 50,
        msg: "policy error",
        err: expect.stringContaining("conflict"),
      });
      expect(logs.text()).not.toContain("legacy-billing");
    });

    it("keeps deciding after an evaluation error", async () => {
      const { engine } = await loaded(bundles.conflicting);
      expect((await engine.authorize(input())).reasons[0]?.code).toBe("policy_error");
      const onlyFirstRule = { ...input(), resource: { kind: "llm", id: "", attributes: {} } };
      expect((await engine.authorize(onlyFirstRule)).outcome).toBe("allow");
    });
  });

  describe("host builtins and swaps", () => {
    it("provides time.now_ns, time.parse_rfc3339_ns, time.parse_duration_ns and units.parse_bytes", async () => {
      const { engine } = await loaded(bundles.clock);
      const decision = await engine.authorize(input());
      expect(decision).toMatchObject({ outcome: "allow", reasons: [] });
    });

    it("finishes in-flight evaluations on the bundle they started with", async () => {
      const { engine } = await loaded(bundles.default);
      const before = Array.from({ length: 40 }, () => engine.authorize(input()));
      await engine.load(bundles.revisionB);
      const after = await engine.authorize(input());
      const revisions = new Set((await Promise.all(before)).map((d) => d.provenance.digest));
      expect([...revisions]).toEqual([bundles.default.digest]);
      expect(after.provenance.digest).toBe(bundles.revisionB.digest);
      expect(after.reasons).toEqual([{ code: "b", message: "b" }]);
    });
  });
});

describe("redact plans", () => {
  const planInput = (target: string) => ({
    caller: { id: "c", method: "none", roles: [], groups: [], peer: "" },
    principal: { id: "p", kind: "user", groups: [], attributes: {} },
    action: "llm.complete",
    resource: { kind: "llm", id: "gpt", attributes: {} },
    target,
    destination: "llm",
    content_names: [],
    time: { unix_ms: 0, rfc3339: "1970-01-01T00:00:00Z" },
  });

  it("uses the built-in default plan when the bundle has no vigil/redact/plan", async () => {
    const { engine } = engineWith(false);
    await engine.load(bundles.revisionB);
    const planned = await engine.redactPlan(planInput("prompt"));
    expect(planned.source).toBe("default");
    expect(planned.plan.detectors).toEqual(["registered", "secret.*", "pii.*", "custom.*"]);
  });

  it("evaluates the bundle's plan with the caller's target", async () => {
    const { engine } = engineWith(false);
    await engine.load(bundles.redactPlan);
    const planned = await engine.redactPlan(planInput("fingerprint"));
    expect(planned).toMatchObject({
      source: "policy",
      plan: { detectors: ["secret.*"], operators: [{ match: "*", type: "fingerprint" }] },
      provenance: { entrypoint: "vigil/redact/plan", digest: bundles.redactPlan.digest },
    });
  });

  it("blocks, naming the problem, when the plan is malformed", async () => {
    const { engine } = engineWith(false);
    await engine.load(bundles.redactPlan);
    const planned = await engine.redactPlan(planInput("shred"));
    expect(planned.plan.block).toBe(true);
    expect(planned.plan.reasons).toEqual([
      {
        code: "policy_output_invalid",
        message:
          'operators[0].type must be one of replace, partial, fingerprint, drop; got "shred"',
      },
    ]);
  });
});
