import { type LoadedPolicy, loadPolicy } from "@open-policy-agent/opa-wasm";
import { describeError, PolicyLoadError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import type { PolicyBundle } from "./bundle-reader.js";
import {
  type PolicyDecision,
  PolicyOutputError,
  parseDecision,
  systemDeny,
} from "./policy-decision.js";
import type { AuthorizeInput } from "./policy-input.js";

/** The Wasm entrypoint that answers Authorize. */
export const authorizeEntrypoint = "vigil/authz/decision";

/** Every entrypoint a bundle must provide to be loaded. */
export const requiredEntrypoints = [authorizeEntrypoint];

/** The bundle currently deciding, as reported by status and provenance. */
export interface ActiveBundle {
  revision: string;
  digest: string;
  source: string;
  entrypoints: string[];
  loadedAt: Date;
}

/** The outcome of the most recent attempt to load a bundle. */
export interface LoadAttempt {
  source: string;
  time: Date;
  ok: boolean;
  error: string;
}

/** Evaluates Authorize decisions against the active bundle; denies when there is none. */
export interface PolicyEngine {
  /** Loads a bundle and makes it active. On failure the previous bundle stays active. */
  load(bundle: PolicyBundle): Promise<void>;
  /** Records a failed load that never reached {@link load} (e.g. a compile error). */
  recordFailure(source: string, error: unknown): void;
  /** Decides; never throws. Evaluation errors and malformed output become denies. */
  authorize(input: AuthorizeInput): PolicyDecision;
  /** The active bundle, or undefined before the first successful load. */
  active(): ActiveBundle | undefined;
  lastAttempt(): LoadAttempt | undefined;
}

/** Options for {@link createPolicyEngine}. */
export interface PolicyEngineOptions {
  logger: Logger;
  /** Called after a bundle becomes active. */
  onActivate?: (bundle: ActiveBundle) => void;
}

interface Loaded {
  policy: LoadedPolicy;
  info: ActiveBundle;
}

/** Creates a policy engine with no bundle loaded (every Authorize is denied until one is). */
export function createPolicyEngine(options: PolicyEngineOptions): PolicyEngine {
  const { logger } = options;
  let current: Loaded | undefined;
  let attempt: LoadAttempt | undefined;

  return {
    async load(bundle) {
      try {
        const missing = requiredEntrypoints.filter((e) => !bundle.entrypoints.includes(e));
        if (missing.length > 0) {
          throw new PolicyLoadError(`bundle does not declare entrypoint(s) ${missing.join(", ")}`);
        }
        let policy: LoadedPolicy;
        try {
          policy = await loadPolicy(bundle.wasm);
          policy.setData(bundle.data as object);
        } catch (error) {
          throw new PolicyLoadError(`policy.wasm failed to load: ${describeError(error)}`);
        }
        if (!(authorizeEntrypoint in policy.entrypoints)) {
          throw new PolicyLoadError(`policy.wasm does not export ${authorizeEntrypoint}`);
        }
        const info: ActiveBundle = {
          revision: bundle.revision,
          digest: bundle.digest,
          source: bundle.source,
          entrypoints: Object.keys(policy.entrypoints),
          loadedAt: new Date(),
        };
        current = { policy, info };
        attempt = { source: bundle.source, time: info.loadedAt, ok: true, error: "" };
        logger.info({ revision: info.revision, source: info.source }, "policy bundle active");
        options.onActivate?.(info);
      } catch (error) {
        this.recordFailure(bundle.source, error);
        throw error;
      }
    },

    recordFailure(source, error) {
      attempt = { source, time: new Date(), ok: false, error: describeError(error) };
      logger.error({ source, err: attempt.error }, "policy bundle rejected");
    },

    authorize(input) {
      const loaded = current;
      if (!loaded) {
        return systemDeny("no_policy", "no policy bundle is loaded; Vigil denies by default", {
          revision: "",
          entrypoint: authorizeEntrypoint,
          digest: "",
        });
      }
      const provenance = {
        revision: loaded.info.revision,
        entrypoint: authorizeEntrypoint,
        digest: loaded.info.digest,
      };
      let results: unknown;
      try {
        results = loaded.policy.evaluate(input, authorizeEntrypoint);
      } catch (error) {
        // opa-wasm throws plain strings; the message names the builtin or trap, not the input.
        logger.error({ err: describeError(error), revision: provenance.revision }, "policy error");
        return systemDeny("policy_error", "policy evaluation failed", provenance);
      }
      const result = Array.isArray(results)
        ? (results[0] as { result?: unknown })?.result
        : undefined;
      if (result === undefined) {
        return systemDeny("policy_undefined", `${authorizeEntrypoint} is undefined`, provenance);
      }
      try {
        return parseDecision(result, provenance);
      } catch (error) {
        if (!(error instanceof PolicyOutputError)) throw error;
        logger.error({ err: error.message, revision: provenance.revision }, "bad policy output");
        return systemDeny("policy_output_invalid", error.message, provenance);
      }
    },

    active: () => current?.info,
    lastAttempt: () => attempt,
  };
}
