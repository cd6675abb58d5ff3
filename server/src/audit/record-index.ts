import type { AuditRecord, RecordFilter } from "../../../gen/vigil/v1/audit_pb.js";
import { AuditRecordKind } from "../../../gen/vigil/v1/audit_pb.js";
import { Decision } from "../../../gen/vigil/v1/common_pb.js";

/** A secondary index term: which field, and its value. Index keys are `[field, value, sequence]`. */
export type IndexTerm = readonly [field: IndexField, value: string | number];

/**
 * The indexed fields, in the order a query prefers them: the most selective first, so a
 * query filtering on a session and a decision walks the session's entries, not every deny.
 */
export const indexFields = ["s", "r", "p", "c", "a", "rk", "d", "k"] as const;

/** One of {@link indexFields}: session, resource, principal, caller, action, resource kind, decision, kind. */
export type IndexField = (typeof indexFields)[number];

/** The index terms of a record; empty values are not indexed. */
export function indexTerms(record: AuditRecord): IndexTerm[] {
  const terms: IndexTerm[] = [];
  const add = (field: IndexField, value: string | number) => {
    if (value !== "" && value !== 0) terms.push([field, value]);
  };
  add("s", record.sessionId);
  if (record.resource?.kind) add("r", resourceKey(record.resource.kind, record.resource.id));
  add("p", record.principal?.id ?? "");
  add("c", record.caller?.id ?? "");
  add("a", record.action);
  add("rk", record.resource?.kind ?? "");
  add("d", record.decision);
  add("k", record.kind);
  return terms;
}

/** The index term a filter should be answered from, or undefined to walk the log itself. */
export function chooseIndex(filter: RecordFilter): IndexTerm | undefined {
  if (filter.sessionId) return ["s", filter.sessionId];
  if (filter.resourceKind && filter.resourceId) {
    return ["r", resourceKey(filter.resourceKind, filter.resourceId)];
  }
  if (filter.principalId) return ["p", filter.principalId];
  if (filter.callerId) return ["c", filter.callerId];
  if (filter.action) return ["a", filter.action];
  if (filter.resourceKind) return ["rk", filter.resourceKind];
  if (filter.decision !== Decision.UNSPECIFIED) return ["d", filter.decision];
  if (filter.kind !== AuditRecordKind.UNSPECIFIED) return ["k", filter.kind];
  return undefined;
}

/** Whether a record passes every field of the filter except the time range (sequence bounds answer that). */
export function matchesFilter(record: AuditRecord, filter: RecordFilter): boolean {
  return (
    (!filter.sessionId || record.sessionId === filter.sessionId) &&
    (!filter.principalId || record.principal?.id === filter.principalId) &&
    (!filter.callerId || record.caller?.id === filter.callerId) &&
    (!filter.action || record.action === filter.action) &&
    (!filter.resourceKind || record.resource?.kind === filter.resourceKind) &&
    (!filter.resourceId || record.resource?.id === filter.resourceId) &&
    (filter.decision === Decision.UNSPECIFIED || record.decision === filter.decision) &&
    (filter.kind === AuditRecordKind.UNSPECIFIED || record.kind === filter.kind)
  );
}

// NUL cannot appear in a kind a client would send; it keeps ("a", "b/c") apart from ("a/b", "c").
function resourceKey(kind: string, id: string): string {
  return `${kind}\u0000${id}`;
}
