import { create, toBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type AuditService,
  type Checkpoint,
  ExportRecordsResponseSchema,
  GetRecordResponseSchema,
  ListCheckpointsResponseSchema,
  QueryRecordsResponseSchema,
  type RecordFilter,
  RecordFilterSchema,
  VerifyLogResponseSchema,
} from "../../../gen/vigil/v1/audit_pb.js";
import type { AuditSigner } from "../audit/audit-signer.js";
import type { AuditStore } from "../audit/audit-store.js";
import { verifyLog } from "../audit/log-verifier.js";
import { InvalidInputError, NotFoundError, quoteUntrusted } from "../errors.js";
import { decodePageToken, encodePageToken, pageSize } from "./page-token.js";

/** Dependencies of {@link createAuditService}. */
export interface AuditServiceDeps {
  store: AuditStore;
  /** Verifies checkpoint and anchor signatures. */
  signer: AuditSigner;
}

const pageLimits = { default: 100, max: 1000 };
// Candidates examined per page: bounds the work of a filter that matches rarely.
const scanLimit = 10_000;
const exportBatch = 500;

/** Query, get, verify and export the audit trail, and list its signed checkpoints. */
export function createAuditService(deps: AuditServiceDeps): ServiceImpl<typeof AuditService> {
  const { store, signer } = deps;

  return {
    async queryRecords(request) {
      const filter = validFilter(request.filter);
      const limit = pageSize(request.pageSize, "page_size", pageLimits);
      const queryKey = queryBytes(filter, request.descending ? "desc" : "asc");
      const page = await store.query({
        filter,
        limit,
        descending: request.descending,
        after: decodePageToken(request.pageToken, queryKey),
        scanLimit,
      });
      return create(QueryRecordsResponseSchema, {
        records: page.records,
        nextPageToken: page.next === undefined ? "" : encodePageToken(page.next, queryKey),
      });
    },

    async getRecord(request) {
      if (request.id === "") throw new InvalidInputError("id", "is required");
      const record = await store.get(request.id);
      if (!record) throw new NotFoundError(`no audit record has id ${quoteUntrusted(request.id)}`);
      return create(GetRecordResponseSchema, { record });
    },

    async verifyLog(request) {
      const trusted = request.trustedCheckpoints.map((c, i) => validCheckpoint(c, i));
      if (request.toSequence > 0n && request.fromSequence > request.toSequence) {
        throw new InvalidInputError("from_sequence", "is after to_sequence");
      }
      const result = await verifyLog(store, signer, {
        ...(request.fromSequence > 0n ? { from: request.fromSequence } : {}),
        ...(request.toSequence > 0n ? { to: request.toSequence } : {}),
        trusted,
      });
      return create(VerifyLogResponseSchema, result);
    },

    async *exportRecords(request) {
      const filter = validFilter(request.filter);
      let after: bigint | undefined;
      do {
        const page = await store.query({
          filter,
          limit: exportBatch,
          descending: false,
          after,
          scanLimit,
        });
        if (page.records.length > 0) {
          yield create(ExportRecordsResponseSchema, { records: page.records });
        }
        after = page.next;
      } while (after !== undefined);
    },

    async listCheckpoints(request) {
      const limit = pageSize(request.pageSize, "page_size", pageLimits);
      const queryKey = new TextEncoder().encode("checkpoints");
      const after = decodePageToken(request.pageToken, queryKey) ?? 0n;
      const found = await store.checkpoints(after, limit + 1);
      const checkpoints = found.slice(0, limit);
      const last = checkpoints.at(-1);
      return create(ListCheckpointsResponseSchema, {
        checkpoints,
        nextPageToken: found.length > limit && last ? encodePageToken(last.size, queryKey) : "",
      });
    },
  };
}

function validFilter(filter: RecordFilter | undefined): RecordFilter {
  const f = filter ?? create(RecordFilterSchema);
  if (f.startTime && f.endTime && timestampDate(f.startTime) > timestampDate(f.endTime)) {
    throw new InvalidInputError("filter.start_time", "is after filter.end_time");
  }
  if (f.resourceId && !f.resourceKind) {
    throw new InvalidInputError("filter.resource_id", "needs filter.resource_kind");
  }
  return f;
}

function queryBytes(filter: RecordFilter, direction: string): Uint8Array {
  return Buffer.concat([Buffer.from(direction), toBinary(RecordFilterSchema, filter)]);
}

function validCheckpoint(checkpoint: Checkpoint, index: number): Checkpoint {
  const field = `trusted_checkpoints[${index}]`;
  if (checkpoint.size === 0n) throw new InvalidInputError(`${field}.size`, "is required");
  if (!/^[0-9a-f]{64}$/.test(checkpoint.headHash)) {
    throw new InvalidInputError(`${field}.head_hash`, "must be 64 lower-case hex digits");
  }
  if (checkpoint.signature.length !== 64) {
    throw new InvalidInputError(`${field}.signature`, "must be a 64-byte Ed25519 signature");
  }
  if (checkpoint.publicKey.length !== 0 && checkpoint.publicKey.length !== 32) {
    throw new InvalidInputError(`${field}.public_key`, "must be a 32-byte Ed25519 key");
  }
  return checkpoint;
}
