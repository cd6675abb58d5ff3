import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * Every Prometheus metric Vigil exports, in one registry served at `GET /metrics`. Label
 * values are bounded sets (source kinds, outcomes, entrypoints); nothing from a request body
 * or a secret ever becomes a label.
 */
export interface Metrics {
  registry: Registry;
  /** Bundle load attempts by source kind and result (`ok`, `rejected`). */
  policyLoads: Counter<"source_kind" | "result">;
  /** 1 for the active bundle's revision, absent before the first load. */
  policyActive: Gauge<"revision" | "source_kind">;
  /** Unix time of the last successful and the last failed load. */
  policyLastLoad: Gauge<"result">;
  /** Evaluations by entrypoint, where they ran (`main`, `worker`) and outcome. */
  policyEvaluations: Counter<"entrypoint" | "thread" | "outcome">;
  /** Evaluation latency in seconds, including the hop to a worker. */
  policyEvaluationSeconds: Histogram<"thread">;
  /** Wasm instances replaced after growing past the memory bound or failing. */
  policyInstanceRecycles: Gauge;
  /**
   * Content items redacted, by thread (`main`, `worker`) and outcome (`masked`, `clean`,
   * `blocked`, `too_large`, `timeout`, `overloaded`, `invalid`, `failed`).
   */
  redactions: Counter<"thread" | "outcome">;
  /** Masking time per content item in seconds, including the hop to a worker. */
  redactionSeconds: Histogram<"thread">;
  /** Calls refused by access control, by reason (`unauthenticated`, `permission_denied`). */
  accessDenied: Counter<"reason">;
  /** Tokens file reloads by result (`loaded`, `rejected`). */
  authReloads: Counter<"source" | "result">;
  /**
   * Calls refused or cut by a request limit, by limit (`max_in_flight`,
   * `concurrency_per_caller`, `rate_per_caller`, `json_depth`, `batch_size`, `request_timeout`).
   */
  limitRefusals: Counter<"limit">;
  /** Audit appends refused, by reason (`overloaded`: queue full; `unavailable`: write failed). */
  auditRejected: Counter<"reason">;
  /** Entries per committed audit transaction (group commit). */
  auditBatchSize: Histogram;
  /** Time to commit and fsync one audit batch, in seconds. */
  auditCommitSeconds: Histogram;
}

/** Options for {@link createMetrics}. */
export interface MetricsOptions {
  /** Also export Node's process metrics (CPU, RSS, event-loop lag). Default true. */
  processMetrics?: boolean;
  /** Read at scrape time for gauges that mirror state kept elsewhere. */
  collect?: { instanceRecycles?: () => number };
}

/** Creates a fresh registry with Vigil's metrics (a new one per server, so tests don't share). */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: "vigil_" });
  }
  const registers = [registry];
  const recycles = options.collect?.instanceRecycles;
  return {
    registry,
    policyLoads: new Counter({
      name: "vigil_policy_bundle_loads_total",
      help: "Policy bundle load attempts by source kind and result (ok, rejected).",
      labelNames: ["source_kind", "result"],
      registers,
    }),
    policyActive: new Gauge({
      name: "vigil_policy_bundle_active",
      help: "1 for the revision of the active policy bundle.",
      labelNames: ["revision", "source_kind"],
      registers,
    }),
    policyLastLoad: new Gauge({
      name: "vigil_policy_bundle_last_load_timestamp_seconds",
      help: "Unix time of the last bundle load attempt by result (ok, rejected).",
      labelNames: ["result"],
      registers,
    }),
    accessDenied: new Counter({
      name: "vigil_access_denied_total",
      help: "Calls refused by access control, by reason (unauthenticated, permission_denied).",
      labelNames: ["reason"],
      registers,
    }),
    limitRefusals: new Counter({
      name: "vigil_limit_refusals_total",
      help: "Calls refused (ResourceExhausted) or cut (DeadlineExceeded) by a request limit, by limit.",
      labelNames: ["limit"],
      registers,
    }),
    authReloads: new Counter({
      name: "vigil_auth_reloads_total",
      help: "Reloads of authentication files by source (tokens, jwks) and result (loaded, rejected).",
      labelNames: ["source", "result"],
      registers,
    }),
    policyEvaluations: new Counter({
      name: "vigil_policy_evaluations_total",
      help: "Policy evaluations by entrypoint, thread (main, worker) and outcome.",
      labelNames: ["entrypoint", "thread", "outcome"],
      registers,
    }),
    policyEvaluationSeconds: new Histogram({
      name: "vigil_policy_evaluation_seconds",
      help: "Policy evaluation latency, including the hop to a worker thread.",
      labelNames: ["thread"],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5],
      registers,
    }),
    redactions: new Counter({
      name: "vigil_redactions_total",
      help: "Content items redacted, by thread (main, worker) and outcome.",
      labelNames: ["thread", "outcome"],
      registers,
    }),
    redactionSeconds: new Histogram({
      name: "vigil_redaction_seconds",
      help: "Masking time per content item, including the hop to a worker thread.",
      labelNames: ["thread"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2, 10],
      registers,
    }),
    auditRejected: new Counter({
      name: "vigil_audit_appends_rejected_total",
      help: "Audit appends refused (the caller got an error, nothing was dropped), by reason.",
      labelNames: ["reason"],
      registers,
    }),
    auditBatchSize: new Histogram({
      name: "vigil_audit_commit_batch_size",
      help: "Entries per committed audit transaction (group commit).",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    }),
    auditCommitSeconds: new Histogram({
      name: "vigil_audit_commit_seconds",
      help: "Time to commit and flush one audit batch to disk.",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    policyInstanceRecycles: new Gauge({
      name: "vigil_policy_instance_recycles",
      help: "Wasm instances replaced after outgrowing the memory bound or failing.",
      registers,
      collect() {
        if (recycles) this.set(recycles());
      },
    }),
  };
}
