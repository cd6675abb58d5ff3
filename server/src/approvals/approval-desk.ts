import type { RootDatabase } from "lmdb";
import type { AuditStore } from "../audit/audit-store.js";
import { describeError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import type { ApprovalEventSink } from "./approval-events.js";
import { type ApprovalWatchers, createApprovalWatchers } from "./approval-watchers.js";
import { type ApprovalWorkflow, createApprovalWorkflow } from "./approval-workflow.js";
import { openLmdbApprovalStore } from "./lmdb-approval-store.js";

/** Options for {@link openApprovalDesk}. */
export interface ApprovalDeskOptions {
  /** Directory of the approvals LMDB environment. */
  path: string;
  audit: AuditStore;
  logger: Logger;
  /** How often approvals past their expiry are marked expired. */
  sweepIntervalMs: number;
  /** Further receivers of approval events (webhooks), besides the watchers. */
  sinks?: ApprovalEventSink[];
}

/** The approval workflow with its store, watchers and expiry timer, ready to serve. */
export interface ApprovalDesk {
  workflow: ApprovalWorkflow;
  watchers: ApprovalWatchers;
  /** The LMDB environment, for other approval data (the webhook outbox). */
  root: RootDatabase;
  /**
   * Adds a receiver of approval events (e.g. webhooks, once their outbox is open). Its
   * `close`, if any, runs when the desk closes: after the last sweep, before the store.
   */
  addSink(sink: ApprovalEventSink & { close?(): Promise<void> }): void;
  /** Stops the sweep, closes the added sinks, then the store. */
  close(): Promise<void>;
}

/**
 * Opens the approval store (refusing a damaged one) and starts the expiry sweep. Approvals
 * past their time are refused at once anyway; the sweep makes the state, the audit record and
 * the notifications say so too.
 */
export async function openApprovalDesk(options: ApprovalDeskOptions): Promise<ApprovalDesk> {
  const store = await openLmdbApprovalStore({ path: options.path });
  const watchers = createApprovalWatchers();
  const sinks: ApprovalEventSink[] = [watchers, ...(options.sinks ?? [])];
  const closers: (() => Promise<void>)[] = [];
  const workflow = createApprovalWorkflow({
    store,
    audit: options.audit,
    sinks,
    logger: options.logger,
  });
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    sweeping = workflow.expireDue().catch((error: unknown) => {
      options.logger.error({ err: describeError(error) }, "approval expiry sweep failed");
    });
  };
  sweep();
  const timer = setInterval(sweep, options.sweepIntervalMs);
  timer.unref();

  return {
    workflow,
    watchers,
    root: store.root,
    addSink: (sink) => {
      sinks.push(sink);
      if (sink.close) closers.push(() => sink.close?.() ?? Promise.resolve());
    },
    async close() {
      clearInterval(timer);
      await sweeping;
      for (const close of closers) await close();
      await store.close();
    },
  };
}
