import { create } from "@bufbuild/protobuf";
import { CallerSchema } from "../../../gen/vigil/v1/audit_pb.js";
import { AuthorizeRequestSchema } from "../../../gen/vigil/v1/policy_service_pb.js";
import { describeError, PolicyLoadError } from "../errors.js";
import type { PolicyBundle } from "./bundle-reader.js";
import { parseDecision } from "./policy-decision.js";
import type { PolicyEvaluator, PreparedPolicy } from "./policy-evaluator.js";
import { buildAuthorizeInput } from "./policy-input.js";
import { assertSupportedBuiltins } from "./wasm-builtins.js";

/** The Wasm entrypoint that answers Authorize. */
export const authorizeEntrypoint = "vigil/authz/decision";

/** The Wasm entrypoint that plans masking for Redact and Record; optional in a bundle. */
export const redactPlanEntrypoint = "vigil/redact/plan";

/** Every entrypoint a bundle must provide to be loaded. */
export const requiredEntrypoints = [authorizeEntrypoint];

/** Entrypoints compiled when a policy defines them. */
export const optionalEntrypoints = [redactPlanEntrypoint];

/**
 * Turns a bundle into a policy ready to serve, beside whatever is active: checks its
 * entrypoints and host builtins, compiles and instantiates it, and smoke-evaluates it.
 * Throws {@link PolicyLoadError} naming the first problem.
 */
export async function preparePolicy(
  bundle: PolicyBundle,
  evaluator: PolicyEvaluator,
  nowMs: number,
): Promise<PreparedPolicy> {
  const missing = requiredEntrypoints.filter((e) => !bundle.entrypoints.includes(e));
  if (missing.length > 0) {
    throw new PolicyLoadError(`bundle does not declare entrypoint(s) ${missing.join(", ")}`);
  }
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bundle.wasm);
  } catch (error) {
    throw new PolicyLoadError(`policy.wasm is not valid WebAssembly: ${describeError(error)}`);
  }
  assertSupportedBuiltins(module);
  let policy: PreparedPolicy;
  try {
    policy = evaluator.prepare(module, bundle.data as object);
  } catch (error) {
    throw new PolicyLoadError(`policy.wasm failed to load: ${describeError(error)}`);
  }
  if (!policy.entrypoints.includes(authorizeEntrypoint)) {
    throw new PolicyLoadError(`policy.wasm does not export ${authorizeEntrypoint}`);
  }
  smokeTest(policy, nowMs);
  return policy;
}

/**
 * Evaluates a new bundle once, on the main thread, before it may serve: a module that traps
 * or answers with the wrong shape for a plain request is rejected while the old bundle keeps
 * serving. A decision that is merely undefined for this request is allowed (it denies).
 */
function smokeTest(policy: PreparedPolicy, nowMs: number): void {
  const caller = create(CallerSchema, { id: "vigil-smoke-test", method: "none" });
  const input = buildAuthorizeInput(create(AuthorizeRequestSchema), caller, new Date(nowMs));
  const bytes = new TextEncoder().encode(JSON.stringify(input));
  let result: unknown;
  try {
    result = policy.inline.evaluate(authorizeEntrypoint, bytes, nowMs);
  } catch (error) {
    throw new PolicyLoadError(
      `smoke evaluation of ${authorizeEntrypoint} failed: ${describeError(error)}`,
    );
  }
  if (result === undefined) return;
  try {
    parseDecision(result, { revision: "", entrypoint: authorizeEntrypoint, digest: "" });
  } catch (error) {
    throw new PolicyLoadError(
      `smoke evaluation of ${authorizeEntrypoint}: ${describeError(error)}`,
    );
  }
}
