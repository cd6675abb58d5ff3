import {
  ContentTooLargeError,
  InvalidInputError,
  OverloadedError,
  RedactionBlockedError,
  RedactionFailedError,
  RedactionTimeoutError,
} from "../errors.js";
import type { Metrics } from "../metrics/metrics.js";
import type { PlannedRedaction, PolicyEngine } from "../policy/policy-engine.js";
import type { RedactPlan, RedactPlanInput } from "../policy/redact-plan.js";
import type { WorkerPool } from "../workers/worker-pool.js";
import type { CustomRuleSet } from "./custom-rule-set.js";
import { type MaskedContent, maskContent, type RedactableContent } from "./mask-content.js";
import { createTextRedactor, type TextRedactor } from "./redact-text.js";
import type { RegisteredValue } from "./registered-values.js";

export type { RedactableContent } from "./mask-content.js";

/** What a redaction returns: the masked content in the same form, and where things were. */
export interface Redaction extends MaskedContent {
  provenance: PlannedRedaction["provenance"];
}

/** Options for {@link createContentRedactor}. */
export interface ContentRedactorOptions {
  /** Supplies the redact plan for each request (`vigil/redact/plan`, or the built-in default). */
  engine: PolicyEngine;
  /** Key for finding fingerprints (see `fingerprint-key.ts`). */
  fingerprintKey: Buffer;
  /** The server's custom rules (`--redact-rules`), run when a plan selects them. Default none. */
  customRules?: CustomRuleSet | undefined;
  /** Threads for large content; without one everything is masked on the main thread. */
  pool?: WorkerPool | undefined;
  /** Largest content item in UTF-8 bytes; larger is refused. Default 4 MiB. */
  maxBytes?: number;
  /** Items up to this size are masked on the main thread, larger on the pool. Default 64 KiB. */
  inlineMaxBytes?: number;
  /** A worker task taking longer is stopped and the call fails. Default 10 s. */
  timeoutMs?: number;
  /** Where redaction counts and timings go. Default: not recorded. */
  metrics?: Metrics | undefined;
}

/** Masks one content item as the policy's plan says. */
export interface ContentRedactor {
  /**
   * The text redactor for one caller and target, from the policy's plan; for streams, which
   * mask many chunks with one plan. Throws `RedactionBlockedError` when the plan refuses.
   */
  textRedactorFor(
    registered: readonly RegisteredValue[],
    planInput: RedactPlanInput,
  ): Promise<{
    redactor: TextRedactor;
    plan: RedactPlan;
    provenance: PlannedRedaction["provenance"];
    /**
     * Asks the plan again with the detector ids found so far; throws `RedactionBlockedError`
     * when it now refuses the content. A stream calls it before emitting a chunk.
     */
    checkFindings(detectors: Iterable<string>): Promise<void>;
  }>;
  /**
   * Masks one item: on the main thread when small, on a worker when large. Throws
   * `RedactionBlockedError` when the plan refuses the content, before or after seeing which
   * detectors fired, `ContentTooLargeError` over
   * `maxBytes`, `RedactionTimeoutError` after `timeoutMs`, `OverloadedError` when the worker
   * queue is full, `InvalidInputError` for malformed JSON, a too-short registered value or
   * JSON nested too deeply. Never returns the content unmasked in place of an error.
   */
  redact(
    content: RedactableContent,
    field: string,
    registered: readonly RegisteredValue[],
    planInput: RedactPlanInput,
  ): Promise<Redaction>;
  /** Largest content item accepted, in UTF-8 bytes. */
  readonly maxBytes: number;
}

const defaults = { maxBytes: 4 * 1024 * 1024, inlineMaxBytes: 64 * 1024, timeoutMs: 10_000 };

/** Creates the redactor behind the Redact RPC (and, later, Record's server-side masking). */
export function createContentRedactor(options: ContentRedactorOptions): ContentRedactor {
  const { engine, fingerprintKey, customRules, pool } = options;
  const maxBytes = options.maxBytes ?? defaults.maxBytes;
  const inlineMaxBytes = options.inlineMaxBytes ?? defaults.inlineMaxBytes;
  const timeoutMs = options.timeoutMs ?? defaults.timeoutMs;

  const planFor = async (planInput: RedactPlanInput) => {
    const planned = await engine.redactPlan(planInput);
    if (planned.plan.block) throw new RedactionBlockedError(planned.plan.reasons);
    return planned;
  };

  /**
   * The second pass: the policy's plan sees which detectors fired and may refuse the content.
   * Only the policy's own plan can depend on findings; the built-in one never blocks.
   */
  const checkFindings = async (
    planInput: RedactPlanInput,
    source: PlannedRedaction["source"],
    detectors: Iterable<string>,
  ) => {
    const findings = [...new Set(detectors)].sort();
    if (findings.length === 0 || source === "default") return;
    await planFor({ ...planInput, findings });
  };

  const onWorker = async (
    content: RedactableContent,
    field: string,
    plan: RedactPlan,
    registered: readonly RegisteredValue[],
    workers: WorkerPool,
  ): Promise<MaskedContent> => {
    const task = { content, field, plan, registered, customRules, fingerprintKey };
    let reply: Awaited<ReturnType<typeof workers.run<"redact">>>;
    try {
      reply = await workers.run("redact", task, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      if (error instanceof OverloadedError) throw error;
      if ((error as Error).name === "AbortError") throw new RedactionTimeoutError(field, timeoutMs);
      throw new RedactionFailedError(field, { cause: error });
    }
    if (reply.ok) return reply.masked;
    if ("invalid" in reply) throw new InvalidInputError(reply.invalid.field, reply.invalid.problem);
    throw new RedactionFailedError(field, { cause: new Error(reply.failed) });
  };

  return {
    maxBytes,
    async textRedactorFor(registered, planInput) {
      const { plan, provenance, source } = await planFor(planInput);
      const redactor = createTextRedactor({ plan, registered, customRules, fingerprintKey });
      return {
        redactor,
        plan,
        provenance,
        checkFindings: (detectors) => checkFindings(planInput, source, detectors),
      };
    },
    async redact(content, field, registered, planInput) {
      const body = "json" in content ? content.json : content.text;
      const bytes = Buffer.byteLength(body, "utf8");
      const thread = pool && bytes > inlineMaxBytes ? "worker" : "main";
      const started = performance.now();
      try {
        if (bytes > maxBytes) throw new ContentTooLargeError(field, bytes, maxBytes);
        const { plan, provenance, source } = await planFor(planInput);
        const masked =
          pool && thread === "worker"
            ? await onWorker(content, field, plan, registered, pool)
            : maskContent(content, field, { plan, registered, customRules, fingerprintKey });
        await checkFindings(
          planInput,
          source,
          masked.findings.map((f) => f.detector),
        );
        options.metrics?.redactions.inc({ thread, outcome: masked.modified ? "masked" : "clean" });
        return { ...masked, provenance };
      } catch (error) {
        options.metrics?.redactions.inc({ thread, outcome: outcomeOf(error) });
        throw error;
      } finally {
        options.metrics?.redactionSeconds.observe({ thread }, (performance.now() - started) / 1000);
      }
    },
  };
}

/** The metric outcome for a redaction that failed. */
function outcomeOf(error: unknown): string {
  if (error instanceof RedactionBlockedError) return "blocked";
  if (error instanceof ContentTooLargeError) return "too_large";
  if (error instanceof RedactionTimeoutError) return "timeout";
  if (error instanceof OverloadedError) return "overloaded";
  if (error instanceof InvalidInputError) return "invalid";
  return "failed";
}
