/**
 * The roles an identity can hold. Each RPC names the roles that may call it
 * (`rpc/method-roles.ts`); no role implies another.
 * - `client`: services, proxies and CI jobs: Authorize, Redact, Record, and waiting on their
 *   own approvals.
 * - `approver`: reviewers: list, read, decide and watch approvals.
 * - `auditor`: read, verify and export the audit trail.
 * - `admin`: policy administration (status of the loaded bundle).
 */
export const roleNames = ["client", "approver", "auditor", "admin"] as const;

/** One of {@link roleNames}. */
export type Role = (typeof roleNames)[number];

/** Whether `name` is a role Vigil knows. */
export function isRole(name: string): name is Role {
  return (roleNames as readonly string[]).includes(name);
}
