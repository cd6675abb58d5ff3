import type { Role } from "../auth/roles.js";

/** Who may call a method: the roles that grant it, or `public` for anyone. */
export type MethodAccess = readonly Role[] | "public";

/**
 * The role table of every RPC, keyed `package.Service/Method`. A method missing here is refused
 * to everyone (fail closed); a test checks every served method has an entry.
 */
export const methodRoles: Readonly<Record<string, MethodAccess>> = {
  "vigil.v1.PolicyService/Authorize": ["client"],
  "vigil.v1.PolicyService/AuthorizeBatch": ["client"],
  "vigil.v1.PolicyService/Redact": ["client"],
  "vigil.v1.PolicyService/RedactStream": ["client"],
  "vigil.v1.PolicyService/Record": ["client"],
  "vigil.v1.PolicyService/RecordStream": ["client"],
  "vigil.v1.ApprovalService/ListApprovals": ["approver"],
  // A client waits on the approval its request created; reviewers read it to decide.
  "vigil.v1.ApprovalService/GetApproval": ["approver", "client"],
  "vigil.v1.ApprovalService/WatchApproval": ["approver", "client"],
  "vigil.v1.ApprovalService/DecideApproval": ["approver"],
  "vigil.v1.AuditService/QueryRecords": ["auditor"],
  "vigil.v1.AuditService/GetRecord": ["auditor"],
  "vigil.v1.AuditService/VerifyLog": ["auditor"],
  "vigil.v1.AuditService/ExportRecords": ["auditor"],
  "vigil.v1.AuditService/ListCheckpoints": ["auditor"],
  "vigil.v1.PolicyAdminService/GetPolicyStatus": ["admin", "auditor"],
  // Probes and schema discovery carry no data.
  "grpc.health.v1.Health/Check": "public",
  "grpc.health.v1.Health/Watch": "public",
  "grpc.health.v1.Health/List": "public",
  "grpc.reflection.v1.ServerReflection/ServerReflectionInfo": "public",
  "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": "public",
};

/** The access rule of `service/method`; `undefined` (refused) when the table has none. */
export function accessOf(service: string, method: string): MethodAccess | undefined {
  return methodRoles[`${service}/${method}`];
}
