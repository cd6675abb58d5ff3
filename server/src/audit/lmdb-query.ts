import { fromBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { AuditRecordSchema } from "../../../gen/vigil/v1/audit_pb.js";
import type { RecordQuery } from "./audit-store.js";
import type { LmdbDatabases } from "./lmdb-audit-store.js";
import { chooseIndex, matchesFilter } from "./record-index.js";

/** Where the log currently starts and ends, and how to turn a time into a sequence. */
export interface LogBounds {
  first: bigint;
  head: bigint;
  /** The first sequence at or after a time (entry times never decrease). */
  timeBounds(timeMs: number): bigint;
}

/** Matching entries' bytes, and where the next page starts. */
export interface EntryPage {
  entries: Buffer[];
  next: bigint | undefined;
}

/**
 * Answers a query from LMDB: the time range becomes sequence bounds (two binary searches),
 * the most selective filtered field picks an index to walk, and the other fields are checked
 * on each candidate. At most `scanLimit` candidates are examined per page.
 */
export function queryLog(dbs: LmdbDatabases, query: RecordQuery, bounds: LogBounds): EntryPage {
  const { filter } = query;
  let lo = bounds.first;
  let hi = bounds.head;
  if (filter.startTime)
    lo = maxOf(lo, bounds.timeBounds(timestampDate(filter.startTime).getTime()));
  if (filter.endTime)
    hi = minOf(hi, bounds.timeBounds(timestampDate(filter.endTime).getTime()) - 1n);
  if (query.after !== undefined) {
    if (query.descending) hi = minOf(hi, query.after - 1n);
    else lo = maxOf(lo, query.after + 1n);
  }
  if (lo > hi) return { entries: [], next: undefined };

  const candidates = candidateSequences(dbs, query, lo, hi);
  const entries: Buffer[] = [];
  let scanned = 0;
  for (const sequence of candidates) {
    if (entries.length === query.limit || scanned === query.scanLimit) {
      // Something is left: the next page starts after the last one examined.
      return { entries, next: lastExamined(query, sequence) };
    }
    scanned++;
    const bytes = dbs.log.get(sequence);
    if (!bytes) continue;
    // Index-only filters need no decode; a second field needs the record.
    if (needsDecode(query) && !matchesFilter(fromBinary(AuditRecordSchema, bytes), filter))
      continue;
    entries.push(bytes);
  }
  return { entries, next: undefined };
}

function candidateSequences(
  dbs: LmdbDatabases,
  query: RecordQuery,
  lo: bigint,
  hi: bigint,
): Iterable<number> {
  const term = chooseIndex(query.filter);
  if (!term) {
    return query.descending
      ? dbs.log.getKeys({ start: Number(hi), end: Number(lo) - 1, reverse: true })
      : dbs.log.getKeys({ start: Number(lo), end: Number(hi) + 1 });
  }
  const [field, value] = term;
  const keys = query.descending
    ? dbs.index.getKeys({
        start: [field, value, Number(hi)],
        end: [field, value, Number(lo) - 1],
        reverse: true,
      })
    : dbs.index.getKeys({ start: [field, value, Number(lo)], end: [field, value, Number(hi) + 1] });
  return keys.map((key) => key[2]);
}

/** Whether any filter field is not answered by the chosen index alone. */
function needsDecode(query: RecordQuery): boolean {
  const f = query.filter;
  const set = [
    f.sessionId,
    f.principalId,
    f.callerId,
    f.action,
    f.resourceKind,
    f.resourceId,
    f.decision ? "d" : "",
    f.kind ? "k" : "",
  ].filter(Boolean).length;
  const fullyIndexed = set === 1 && !(f.resourceId && !f.resourceKind);
  const resourcePair = set === 2 && f.resourceKind && f.resourceId;
  return !(fullyIndexed || resourcePair);
}

// `sequence` is the first candidate not returned; the page ends just before it.
function lastExamined(query: RecordQuery, sequence: number): bigint {
  return query.descending ? BigInt(sequence) + 1n : BigInt(sequence) - 1n;
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function minOf(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
