import type { Approval, ApprovalState } from "../../../gen/vigil/v1/approval_pb.js";

/** A page of {@link ApprovalStore.list}, newest first. */
export interface ApprovalPage {
  approvals: Approval[];
  /** Pass as `after` for the next page; undefined when nothing is left to examine. */
  next: string | undefined;
}

/** What {@link ApprovalStore.list} looks for. */
export interface ApprovalListQuery {
  /** Only approvals in this state; undefined for every state. */
  state?: ApprovalState | undefined;
  /** Further condition (e.g. a reviewer group), checked on each candidate. */
  match?: ((approval: Approval) => boolean) | undefined;
  /** Most approvals to return. */
  limit: number;
  /** Continue after this approval id (exclusive). */
  after?: string | undefined;
  /** Stop after examining this many candidates even if fewer than `limit` matched. */
  scanLimit: number;
}

/**
 * Storage of approvals. LMDB is the embedded default; a shared backend (PostgreSQL, for several
 * replicas) implements the same interface. Every write resolves only once it is durable, and
 * {@link update} is atomic, so two reviewers deciding at once cannot both win.
 */
export interface ApprovalStore {
  /** Stores a new approval; its id must be unused. */
  create(approval: Approval): Promise<void>;
  /** The approval with this id; undefined if absent. */
  get(id: string): Promise<Approval | undefined>;
  /**
   * Replaces the approval with `change(current)`, atomically. `change` may throw to refuse
   * (nothing is written, the error is rethrown). Rejects with `NotFoundError` for an unknown id.
   */
  update(id: string, change: (current: Approval) => Approval): Promise<Approval>;
  /** Approvals newest first, by state. */
  list(query: ApprovalListQuery): Promise<ApprovalPage>;
  /** Every approval still open (pending or approved), for the expiry sweep. */
  open(): Promise<Approval[]>;
  close(): Promise<void>;
}
