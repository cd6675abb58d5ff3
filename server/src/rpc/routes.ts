import type { ConnectRouter } from "@connectrpc/connect";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { ApprovalService, file_vigil_v1_approval } from "../../../gen/vigil/v1/approval_pb.js";
import { AuditService, file_vigil_v1_audit } from "../../../gen/vigil/v1/audit_pb.js";
import {
  file_vigil_v1_policy_admin,
  PolicyAdminService,
} from "../../../gen/vigil/v1/policy_admin_pb.js";
import {
  file_vigil_v1_policy_service,
  PolicyService,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import type { ApprovalWatchers } from "../approvals/approval-watchers.js";
import type { ApprovalWorkflow } from "../approvals/approval-workflow.js";
import type { AuditSigner } from "../audit/audit-signer.js";
import type { AuditStore } from "../audit/audit-store.js";
import type { HealthStatuses } from "../health/health-statuses.js";
import type { Logger } from "../logging/logger.js";
import type { PolicyEngine } from "../policy/policy-engine.js";
import type { ContentRedactor } from "../redact/content-redactor.js";
import { createApprovalService } from "./approval-service.js";
import { createAuditService } from "./audit-service.js";
import { createHealthService } from "./health-service.js";
import { createPolicyAdminService, type PolicyAdminDeps } from "./policy-admin-service.js";
import { createPolicyService } from "./policy-service.js";
import { createReflectionServices } from "./reflection-service.js";

/** What the routes need from the composition root. */
export interface RouteDeps {
  engine: PolicyEngine;
  /** Extra facts for PolicyAdminService status. Default: none reported. */
  policyAdmin?: Omit<PolicyAdminDeps, "engine">;
  store: AuditStore;
  /** Verifies checkpoint and anchor signatures for VerifyLog. */
  signer: AuditSigner;
  health: HealthStatuses;
  logger: Logger;
  /** Masks content for Redact, Record, approval previews and reviewers' comments. */
  redactor: ContentRedactor;
  /** The approval lifecycle behind Authorize and ApprovalService. */
  approvals: ApprovalWorkflow;
  /** Clients waiting in WatchApproval. */
  watchers: ApprovalWatchers;
}

/** Every service Vigil serves, on every protocol (Connect, gRPC, gRPC-Web). */
export function createRoutes(deps: RouteDeps): (router: ConnectRouter) => void {
  const advertised = [
    PolicyService,
    AuditService,
    ApprovalService,
    PolicyAdminService,
    Health,
    ReflectionV1,
    ReflectionV1alpha,
  ].map((s) => s.typeName);
  const reflection = createReflectionServices({
    files: [
      file_vigil_v1_policy_service,
      file_vigil_v1_audit,
      file_vigil_v1_approval,
      file_vigil_v1_policy_admin,
      Health.file,
      ReflectionV1.file,
      ReflectionV1alpha.file,
    ],
    services: advertised,
  });
  // Built once: the server's router and the in-process one (`in-process-authorize.ts`)
  // register the same service instances.
  const policy = createPolicyService(deps);
  const policyAdmin = createPolicyAdminService({ engine: deps.engine, ...deps.policyAdmin });
  const audit = createAuditService(deps);
  const approvals = createApprovalService(deps);
  const health = createHealthService(deps.health);
  return (router) => {
    router.service(PolicyService, policy);
    router.service(PolicyAdminService, policyAdmin);
    router.service(AuditService, audit);
    router.service(ApprovalService, approvals);
    router.service(Health, health);
    router.service(ReflectionV1, reflection.v1);
    router.service(ReflectionV1alpha, reflection.v1alpha);
  };
}
