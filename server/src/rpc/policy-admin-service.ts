import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  GetPolicyStatusResponseSchema,
  type PolicyAdminService,
} from "../../../gen/vigil/v1/policy_admin_pb.js";
import type { PolicyEngine } from "../policy/policy-engine.js";

/** What the status RPC reports beyond the engine's own state. */
export interface PolicyAdminDeps {
  engine: PolicyEngine;
  /** `directory`, `file` or `http`. Default empty (unknown). */
  sourceKind?: string;
  /** Evaluation placement and counters. Default: unreported. */
  evaluation?: { workerThreads: number; inlineMaxBytes: number; recycles: () => number };
}

/** Operators' view of the active bundle, the last load attempt and evaluation placement. */
export function createPolicyAdminService(
  deps: PolicyAdminDeps,
): ServiceImpl<typeof PolicyAdminService> {
  const { engine, evaluation } = deps;
  return {
    getPolicyStatus() {
      const active = engine.active();
      const attempt = engine.lastAttempt();
      return create(GetPolicyStatusResponseSchema, {
        active: active && {
          revision: active.revision,
          source: active.source,
          digest: active.digest,
          entrypoints: active.entrypoints,
          loadedAt: timestampFromDate(active.loadedAt),
          sourceKind: deps.sourceKind ?? "",
          signatureKeyId: active.signatureKeyId,
        },
        lastAttempt: attempt && {
          source: attempt.source,
          time: timestampFromDate(attempt.time),
          ok: attempt.ok,
          error: attempt.error,
          consecutiveFailures: attempt.consecutiveFailures,
        },
        evaluation: evaluation && {
          workerThreads: evaluation.workerThreads,
          inlineMaxBytes: evaluation.inlineMaxBytes,
          instanceRecycles: BigInt(evaluation.recycles()),
        },
      });
    },
  };
}
