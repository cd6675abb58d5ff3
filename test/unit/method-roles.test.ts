import { describe, expect, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { ApprovalService } from "../../gen/vigil/v1/approval_pb.js";
import { AuditService } from "../../gen/vigil/v1/audit_pb.js";
import { PolicyAdminService } from "../../gen/vigil/v1/policy_admin_pb.js";
import { PolicyService } from "../../gen/vigil/v1/policy_service_pb.js";
import { roleNames } from "../../server/src/auth/roles.js";
import { accessOf, methodRoles } from "../../server/src/rpc/method-roles.js";

const served = [
  PolicyService,
  ApprovalService,
  AuditService,
  PolicyAdminService,
  Health,
  ReflectionV1,
  ReflectionV1alpha,
];

describe("the role table", () => {
  it("has an entry for every method Vigil serves, and none for methods it does not", () => {
    const methods = served.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`));
    expect(Object.keys(methodRoles).sort()).toEqual(methods.sort());
  });

  it("names only known roles, and opens only probes and reflection to everyone", () => {
    for (const [rpc, access] of Object.entries(methodRoles)) {
      if (access === "public") {
        expect(rpc).toMatch(/^grpc\.(health|reflection)\./);
      } else {
        expect(access.length, rpc).toBeGreaterThan(0);
        for (const role of access) expect(roleNames).toContain(role);
      }
    }
  });

  it("refuses a method it does not list", () => {
    expect(accessOf("vigil.v1.PolicyService", "Authorize")).toEqual(["client"]);
    expect(accessOf("vigil.v1.PolicyService", "DropTables")).toBeUndefined();
  });
});
