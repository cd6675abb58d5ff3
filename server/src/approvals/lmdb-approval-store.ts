import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Database, open, type RootDatabase } from "lmdb";
import { type Approval, ApprovalSchema, ApprovalState } from "../../../gen/vigil/v1/approval_pb.js";
import { checkLmdbFiles } from "../audit/lmdb-file-check.js";
import { InvalidInputError, NotFoundError, quoteUntrusted } from "../errors.js";
import type { ApprovalListQuery, ApprovalPage, ApprovalStore } from "./approval-store.js";

/** Options for {@link openLmdbApprovalStore}. */
export interface LmdbApprovalStoreOptions {
  /** Directory holding the LMDB environment; created if missing. */
  path: string;
}

const emptyValue = Buffer.alloc(0);
const openStates = [ApprovalState.PENDING, ApprovalState.APPROVED];

/**
 * Opens the embedded approval store, refusing a damaged one (`StoreCorruptedError`).
 * Approvals live in `approvals` keyed by id (UUIDv7, so key order is creation order) as
 * protobuf bytes; `by-state` holds `[state, id]` keys for the inbox and the expiry sweep.
 * The environment also hosts other approval data (e.g. the webhook outbox): see `root`.
 */
export async function openLmdbApprovalStore(
  options: LmdbApprovalStoreOptions,
): Promise<ApprovalStore & { root: RootDatabase }> {
  await checkLmdbFiles(options.path);
  const root: RootDatabase = open({ path: options.path, maxDbs: 8 });
  const approvals: Database<Buffer, string> = root.openDB({
    name: "approvals",
    encoding: "binary",
  });
  const byState: Database<Buffer, [number, string]> = root.openDB({
    name: "by-state",
    encoding: "binary",
  });

  const read = (id: string): Approval | undefined => {
    const bytes = approvals.get(id);
    return bytes ? fromBinary(ApprovalSchema, bytes) : undefined;
  };
  const write = (approval: Approval, previous: ApprovalState | undefined) => {
    approvals.put(approval.id, Buffer.from(toBinary(ApprovalSchema, approval)));
    if (previous !== undefined && previous !== approval.state) {
      byState.remove([previous, approval.id]);
    }
    byState.put([approval.state, approval.id], emptyValue);
  };
  const durably = async <T>(work: () => T): Promise<T> => {
    const result = await root.transaction(work);
    // overlappingSync resolves on commit; durability needs the flush.
    await root.flushed;
    return result;
  };

  const ids = (query: ApprovalListQuery): Iterable<string> => {
    if (query.state === undefined) {
      return approvals.getKeys({
        reverse: true,
        ...(query.after === undefined ? {} : { start: query.after, exclusiveStart: true }),
      });
    }
    const state = query.state;
    return byState
      .getKeys({
        reverse: true,
        start: [state, query.after ?? "\uffff"],
        end: [state, ""],
        exclusiveStart: query.after !== undefined,
      })
      .map((key) => key[1]);
  };

  return {
    root,

    async create(approval) {
      await durably(() => {
        if (approvals.doesExist(approval.id)) {
          throw new InvalidInputError("id", `approval ${approval.id} already exists`);
        }
        write(approval, undefined);
      });
    },

    async get(id) {
      return read(id);
    },

    async update(id, change) {
      return durably(() => {
        const current = read(id);
        if (!current) throw new NotFoundError(`no approval has id ${quoteUntrusted(id)}`);
        const next = change(current);
        write(next, current.state);
        return next;
      });
    },

    async list(query) {
      const found: Approval[] = [];
      let examined = 0;
      let last: string | undefined;
      for (const id of ids(query)) {
        if (found.length >= query.limit || examined >= query.scanLimit) {
          return { approvals: found, next: last };
        }
        examined++;
        last = id;
        const approval = read(id);
        if (approval && (query.match?.(approval) ?? true)) found.push(approval);
      }
      return { approvals: found, next: undefined } satisfies ApprovalPage;
    },

    async open() {
      const found: Approval[] = [];
      for (const state of openStates) {
        for (const [, id] of byState.getKeys({ start: [state, ""], end: [state, "\uffff"] })) {
          const approval = read(id);
          if (approval) found.push(approval);
        }
      }
      return found;
    },

    async close() {
      await root.close();
    },
  };
}
