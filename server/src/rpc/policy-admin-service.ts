import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  GetPolicyStatusResponseSchema,
  type PolicyAdminService,
} from "../../../gen/vigil/v1/policy_admin_pb.js";
import type { PolicyEngine } from "../policy/policy-engine.js";

/** Operators' view of the active bundle and the last load attempt. */
export function createPolicyAdminService(
  engine: PolicyEngine,
): ServiceImpl<typeof PolicyAdminService> {
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
        },
        lastAttempt: attempt && {
          source: attempt.source,
          time: timestampFromDate(attempt.time),
          ok: attempt.ok,
          error: attempt.error,
        },
      });
    },
  };
}
