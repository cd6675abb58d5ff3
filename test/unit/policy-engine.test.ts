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
import { type AuthorizeInput, buildAuthorizeInput } from "../../server/src/policy/policy-input.js";
import { captureLogs } from "../support/log-capture.js";
import {
  authzModule,
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

const bundles = {} as Record<keyof typeof fixtures | "default", PolicyBundle>;
const dirs: string[] = [];

beforeAll(async () => {
  bundles.default = await defaultBundle();
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

function engineWith(onActivate?: (bundle: ActiveBundle) => void) {
  const logs = captureLogs();
  const engine: PolicyEngine = createPolicyEngine(
    onActivate ? { logger: logs.logger, onActivate } : { logger: logs.logger },
  );
  return { engine, logs };
}

async function loaded(bundle: PolicyBundle) {
  const made = engineWith();
  await made.engine.load(bundle);
  return made;
}

describe("before any bundle is loaded", () => {
  it("denies with no_policy and empty provenance", () => {
    const { engine } = engineWith();
    const decision = engine.authorize(input());
    expect(decision.outcome).toBe("deny");
    expect(decision.reasons.map((r) => r.code)).toEqual(["no_policy"]);
    expect(decision.provenance).toEqual({
      revision: "",
      entrypoint: "vigil/authz/decision",
      digest: "",
    });
  });

  it("reports no active bundle and no load attempt", () => {
    const { engine } = engineWith();
    expect([engine.active(), engine.lastAttempt()]).toEqual([undefined, undefined]);
  });
});

describe("with the default bundle", () => {
  it("allows an ordinary read with the bundle's provenance", async () => {
    const { engine } = await loaded(bundles.default);
    const decision = engine.authorize(input());
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
    const decision = engine.authorize(input(offboardedCiJob()));
    expect(decision.outcome).toBe("deny");
    expect(decision.reasons.map((r) => r.code)).toEqual(["offboarded_identity"]);
  });

  it("requires sre-oncall approval for an agent's destructive production command", async () => {
    const { engine } = await loaded(bundles.default);
    const decision = engine.authorize(input(destructiveAgentCommand()));
    expect(decision.outcome).toBe("require_approval");
    expect(decision.approval).toEqual({
      rules: [{ group: "sre-oncall", required: 1 }],
      ttlSeconds: 900,
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
    const { engine } = engineWith((bundle) => activated.push(bundle));
    await engine.load(bundles.default);
    expect(activated).toEqual([engine.active()]);
    expect(activated[0]?.revision).toBe(bundles.default.revision);
  });
});

describe("rejected bundles", () => {
  it("rejects a bundle without the Authorize entrypoint and keeps the previous one", async () => {
    const activated: ActiveBundle[] = [];
    const { engine } = engineWith((bundle) => activated.push(bundle));
    await engine.load(bundles.default);

    const error = await engine.load(bundles.otherEntrypoint).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyLoadError);
    expect((error as Error).message).toBe(
      "bundle does not declare entrypoint(s) vigil/authz/decision",
    );
    expect(engine.active()?.digest).toBe(bundles.default.digest);
    expect(engine.authorize(input(offboardedCiJob())).reasons[0]?.code).toBe("offboarded_identity");
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
    const { engine } = engineWith();
    const broken = { ...bundles.default, wasm: Buffer.from("not wasm"), source: "broken" };
    const error = await engine.load(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyLoadError);
    expect((error as Error).message).toMatch(/^policy\.wasm failed to load: /);
    expect(engine.active()).toBeUndefined();
    expect(engine.authorize(input()).reasons[0]?.code).toBe("no_policy");
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
    const { engine } = await loaded(bundles.maybe);
    const decision = engine.authorize(input());
    expect(decision.outcome).toBe("deny");
    expect(decision.reasons).toEqual([
      {
        code: "policy_output_invalid",
        message: '"decision" must be one of allow, deny, require_approval; got "maybe"',
      },
    ]);
    expect(decision.provenance.digest).toBe(bundles.maybe.digest);
  });

  it("denies with policy_undefined when the policy has no answer for the input", async () => {
    const { engine } = await loaded(bundles.undefinedForInput);
    expect(engine.authorize(input()).reasons).toEqual([
      { code: "policy_undefined", message: "vigil/authz/decision is undefined" },
    ]);
  });

  it("denies with policy_error when evaluation fails", async () => {
    const { engine } = await loaded(bundles.conflicting);
    const decision = engine.authorize(input());
    expect(decision.outcome).toBe("deny");
    expect(decision.reasons).toEqual([
      { code: "policy_error", message: "policy evaluation failed" },
    ]);
  });

  it("logs the evaluation error without the input", async () => {
    const { engine, logs } = await loaded(bundles.conflicting);
    engine.authorize(input(offboardedCiJob()));
    expect(logs.entries().at(-1)).toMatchObject({
      level: 50,
      msg: "policy error",
      err: expect.stringContaining("conflict"),
    });
    expect(logs.text()).not.toContain("legacy-billing");
  });

  it("keeps deciding after an evaluation error", async () => {
    const { engine } = await loaded(bundles.conflicting);
    expect(engine.authorize(input()).reasons[0]?.code).toBe("policy_error");
    const onlyFirstRule = { ...input(), resource: { kind: "llm", id: "", attributes: {} } };
    expect(engine.authorize(onlyFirstRule).outcome).toBe("allow");
  });
});
