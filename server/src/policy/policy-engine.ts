import { describeError, PolicyEvaluationError, PolicyLoadError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";
import type { PolicyBundle } from "./bundle-reader.js";
import {
  type PolicyDecision,
  PolicyOutputError,
  parseDecision,
  systemDeny,
} from "./policy-decision.js";
import type { PolicyEvaluator, PreparedPolicy } from "./policy-evaluator.js";
import type { AuthorizeInput } from "./policy-input.js";
import { authorizeEntrypoint, preparePolicy, redactPlanEntrypoint } from "./prepare-policy.js";
import {
  blockingPlan,
  defaultRedactPlan,
  parseRedactPlan,
  type RedactPlan,
  type RedactPlanInput,
} from "./redact-plan.js";

/** The bundle currently deciding, as reported by status and provenance. */
export interface ActiveBundle {
  revision: string;
  digest: string;
  source: string;
  entrypoints: string[];
  loadedAt: Date;
  /** The key that signed the bundle, when signatures are verified. */
  signatureKeyId: string;
}

/** The outcome of the most recent attempt to load a bundle. */
export interface LoadAttempt {
  source: string;
  time: Date;
  ok: boolean;
  error: string;
  /** Failed attempts since the last success. */
  consecutiveFailures: number;
}

/** A raw evaluation result with the bundle that produced it. */
export interface EngineEvaluation {
  result: unknown;
  provenance: PolicyDecision["provenance"];
}

/** A redact plan with where it came from. */
export interface PlannedRedaction {
  plan: RedactPlan;
  /** `policy` when the bundle's entrypoint decided, `default` when it has none or none is loaded. */
  source: "policy" | "default";
  provenance: PolicyDecision["provenance"];
}

/** Evaluates decisions against the active bundle; denies when there is none. */
export interface PolicyEngine {
  /**
   * Checks a bundle (entrypoints, builtins, a smoke evaluation) beside the active one, then
   * makes it active in one step. On failure throws {@link PolicyLoadError}; the previous
   * bundle stays active. Evaluations already running finish on the bundle they started with.
   */
  load(bundle: PolicyBundle): Promise<ActiveBundle>;
  /** Records a failed load that never reached {@link load} (a compile or fetch error). */
  recordFailure(source: string, error: unknown): void;
  /** Decides; never rejects for policy reasons: failures and malformed output become denies. */
  authorize(input: AuthorizeInput): Promise<PolicyDecision>;
  /**
   * Evaluates any entrypoint of the active bundle and returns its raw value (undefined when
   * the rule is undefined). Rejects with {@link PolicyLoadError} when no bundle is active or
   * the entrypoint is missing, {@link PolicyEvaluationError} when evaluation fails.
   */
  evaluate(entrypoint: string, input: unknown): Promise<EngineEvaluation>;
  /**
   * The masking plan for a caller and target. A bundle without `vigil/redact/plan` gets
   * {@link defaultRedactPlan}; a failing or malformed plan blocks the content (fail closed).
   */
  redactPlan(input: RedactPlanInput): Promise<PlannedRedaction>;
  /** The active bundle, or undefined before the first successful load. */
  active(): ActiveBundle | undefined;
  lastAttempt(): LoadAttempt | undefined;
}

/** Options for {@link createPolicyEngine}. */
export interface PolicyEngineOptions {
  logger: Logger;
  /** Runs evaluations on the main thread or the worker pool. */
  evaluator: PolicyEvaluator;
  /** Where evaluation and load metrics go. Default: not recorded. */
  metrics?: Metrics | undefined;
  /** Called after a bundle becomes active. */
  onActivate?: (bundle: ActiveBundle) => void;
  /** The clock for `input.time` of smoke evaluations and `time.now_ns`. Default `Date.now`. */
  now?: () => number;
}

interface Loaded {
  policy: PreparedPolicy;
  info: ActiveBundle;
}

/** Creates a policy engine with no bundle loaded (every Authorize is denied until one is). */
export function createPolicyEngine(options: PolicyEngineOptions): PolicyEngine {
  const { logger, evaluator, metrics } = options;
  const now = options.now ?? Date.now;
  let current: Loaded | undefined;
  let attempt: LoadAttempt | undefined;

  const provenanceOf = (loaded: Loaded, entrypoint: string) => ({
    revision: loaded.info.revision,
    entrypoint,
    digest: loaded.info.digest,
  });

  const timed = async (loaded: Loaded, entrypoint: string, input: unknown) => {
    const started = performance.now();
    const evaluation = await evaluator.evaluate(loaded.policy, entrypoint, input, now());
    metrics?.policyEvaluationSeconds.observe(
      { thread: evaluation.thread },
      (performance.now() - started) / 1000,
    );
    return evaluation;
  };

  /**
   * Evaluates an entrypoint and shapes its value with `parse`. Whatever goes wrong becomes
   * `fallback(code, message)`, logged and counted: `policy_error` when evaluation fails,
   * `policy_undefined` when there is no value, `policy_output_invalid` for a wrong shape.
   */
  const decide = async <T>(
    loaded: Loaded,
    entrypoint: string,
    input: unknown,
    spec: {
      parse: (result: unknown) => T;
      outcome: (value: T) => string;
      fallback: (code: string, message: string) => T;
    },
  ): Promise<T> => {
    const revision = loaded.info.revision;
    const count = (thread: string, outcome: string) =>
      metrics?.policyEvaluations.inc({ entrypoint, thread, outcome });
    let evaluation: Awaited<ReturnType<typeof timed>>;
    try {
      evaluation = await timed(loaded, entrypoint, input);
    } catch (error) {
      if (!(error instanceof PolicyEvaluationError)) throw error;
      // The message names the trap or builtin, never the input.
      logger.error({ err: error.message, revision, entrypoint }, "policy error");
      count("unknown", "policy_error");
      return spec.fallback("policy_error", "policy evaluation failed");
    }
    if (evaluation.result === undefined) {
      count(evaluation.thread, "policy_undefined");
      return spec.fallback("policy_undefined", `${entrypoint} is undefined`);
    }
    try {
      const value = spec.parse(evaluation.result);
      count(evaluation.thread, spec.outcome(value));
      return value;
    } catch (error) {
      if (!(error instanceof PolicyOutputError)) throw error;
      logger.error({ err: error.message, revision, entrypoint }, "bad policy output");
      count(evaluation.thread, "policy_output_invalid");
      return spec.fallback("policy_output_invalid", error.message);
    }
  };

  const engine: PolicyEngine = {
    async load(bundle) {
      try {
        const policy = await preparePolicy(bundle, evaluator, now());
        const info: ActiveBundle = {
          revision: bundle.revision,
          digest: bundle.digest,
          source: bundle.source,
          entrypoints: [...policy.entrypoints],
          loadedAt: new Date(),
          signatureKeyId: bundle.signature?.keyId ?? "",
        };
        // The swap: one assignment. Evaluations hold their own reference to the old bundle.
        current = { policy, info };
        attempt = {
          source: bundle.source,
          time: info.loadedAt,
          ok: true,
          error: "",
          consecutiveFailures: 0,
        };
        logger.info({ revision: info.revision, source: info.source }, "policy bundle active");
        options.onActivate?.(info);
        return info;
      } catch (error) {
        engine.recordFailure(bundle.source, error);
        throw error instanceof PolicyLoadError
          ? error
          : new PolicyLoadError(describeError(error), { cause: error });
      }
    },

    recordFailure(source, error) {
      attempt = {
        source,
        time: new Date(),
        ok: false,
        error: describeError(error),
        consecutiveFailures: (attempt?.ok === false ? attempt.consecutiveFailures : 0) + 1,
      };
      logger.error({ source, err: attempt.error }, "policy bundle rejected");
    },

    async authorize(input) {
      const loaded = current;
      if (!loaded) {
        return systemDeny("no_policy", "no policy bundle is loaded; Vigil denies by default", {
          revision: "",
          entrypoint: authorizeEntrypoint,
          digest: "",
        });
      }
      const provenance = provenanceOf(loaded, authorizeEntrypoint);
      return decide(loaded, authorizeEntrypoint, input, {
        parse: (result) => parseDecision(result, provenance),
        outcome: (decision) => decision.outcome,
        fallback: (code, message) => systemDeny(code, message, provenance),
      });
    },

    async evaluate(entrypoint, input) {
      const loaded = current;
      if (!loaded) throw new PolicyLoadError("no policy bundle is loaded");
      if (!loaded.policy.entrypoints.includes(entrypoint)) {
        throw new PolicyLoadError(
          `bundle ${loaded.info.revision} has no entrypoint ${entrypoint} ` +
            `(it has ${loaded.policy.entrypoints.join(", ")})`,
        );
      }
      const evaluation = await timed(loaded, entrypoint, input);
      metrics?.policyEvaluations.inc({
        entrypoint,
        thread: evaluation.thread,
        outcome: "evaluated",
      });
      return { result: evaluation.result, provenance: provenanceOf(loaded, entrypoint) };
    },

    async redactPlan(input) {
      const loaded = current;
      if (!loaded?.policy.entrypoints.includes(redactPlanEntrypoint)) {
        const provenance = loaded
          ? provenanceOf(loaded, redactPlanEntrypoint)
          : { revision: "", entrypoint: redactPlanEntrypoint, digest: "" };
        return { plan: defaultRedactPlan, source: "default", provenance };
      }
      const provenance = provenanceOf(loaded, redactPlanEntrypoint);
      const plan = await decide(loaded, redactPlanEntrypoint, input, {
        parse: parseRedactPlan,
        outcome: (p) => (p.block ? "block" : "mask"),
        fallback: blockingPlan,
      });
      return { plan, source: "policy", provenance };
    },

    active: () => current?.info,
    lastAttempt: () => attempt,
  };

  return engine;
}
