import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { v7 as uuidv7 } from "uuid";
import {
  type PolicyService,
  type RecordEvent,
  RecordEventKind,
  RecordResponseSchema,
  RecordStreamResponseSchema,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import type { ApprovalWorkflow } from "../approvals/approval-workflow.js";
import type { AppendReceipt, AuditStore } from "../audit/audit-store.js";
import { InvalidInputError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import type { PolicyEngine } from "../policy/policy-engine.js";
import type { ContentRedactor } from "../redact/content-redactor.js";
import type { RegisteredValue } from "../redact/registered-values.js";
import { eventRecord } from "./audit-records.js";
import { createAuthorizeBatchCall } from "./authorize-batch-call.js";
import { createAuthorizeCall } from "./authorize-call.js";
import { callerOf } from "./caller.js";
import { recordedContent } from "./record-content.js";
import { createRedactCall, createRedactStreamCall } from "./redact-call.js";
import { registeredValues } from "./redact-input.js";
import { requirePrincipal } from "./request-validation.js";

/** Dependencies of {@link createPolicyService}. */
export interface PolicyServiceDeps {
  engine: PolicyEngine;
  store: AuditStore;
  logger: Logger;
  /** Masks content for Redact, Record and approval previews. */
  redactor: ContentRedactor;
  /** Creates and redeems approvals for Authorize. */
  approvals: ApprovalWorkflow;
  /** Clock, replaceable in tests. Default: `() => new Date()`. */
  now?: () => Date;
}

/**
 * Authorize (alone or in a batch), Redact and Record: the calls callers make before forwarding
 * a secret.
 */
export function createPolicyService(deps: PolicyServiceDeps): ServiceImpl<typeof PolicyService> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const authorize = createAuthorizeCall({ ...deps, now });

  const validateEvent = (event: RecordEvent | undefined, field: string): RecordEvent => {
    if (!event) throw new InvalidInputError(field, "is required");
    if (event.kind === RecordEventKind.UNSPECIFIED) {
      throw new InvalidInputError(`${field}.kind`, "is required");
    }
    requirePrincipal(event.principal, `${field}.principal`);
    return event;
  };

  /**
   * Masks the event's content, then fixes its place in the chain. The returned `receipt`
   * settles once the entry is durable; callers that must keep order await `queued` first.
   */
  const queueEvent = async (
    event: RecordEvent,
    field: string,
    registered: readonly RegisteredValue[],
    context: HandlerContext,
  ) => {
    const id = uuidv7();
    const time = now();
    const caller = callerOf(context);
    const recorded = await recordedContent(event, field, {
      redactor: deps.redactor,
      registered,
      caller,
      now: time,
    });
    const receipt = store.append(eventRecord(event, recorded, caller, id, time));
    return { id, time, receipt, findings: recorded.findings };
  };

  return {
    authorize,

    authorizeBatch: createAuthorizeBatchCall({ authorize, logger: deps.logger }),

    redact: createRedactCall({ redactor: deps.redactor, store, now }),

    redactStream: createRedactStreamCall({ redactor: deps.redactor, store, now }),

    async record(request, context) {
      const event = validateEvent(request.event, "event");
      const registered = registeredValues(request.registeredSecrets, "registered_secrets");
      const queued = await queueEvent(event, "event", registered, context);
      const receipt = await queued.receipt;
      return create(RecordResponseSchema, {
        recordId: queued.id,
        sequence: receipt.sequence,
        chainHash: receipt.hash,
        findings: queued.findings,
        recordedAt: timestampFromDate(queued.time),
      });
    },

    async recordStream(requests, context) {
      // Each event is masked, then append() fixes its place in the chain synchronously: events
      // keep stream order and share group commits; the answer waits until all are durable.
      const pending: Promise<{ id: string; receipt: AppendReceipt }>[] = [];
      const registered: RegisteredValue[] = [];
      try {
        for await (const request of requests) {
          const field = `events[${pending.length}]`;
          const event = validateEvent(request.event, `${field}.event`);
          // Values registered on earlier messages stay in force for the rest of the stream.
          registered.push(
            ...registeredValues(request.registeredSecrets, `${field}.registered_secrets`),
          );
          const queued = await queueEvent(event, `${field}.event`, [...registered], context);
          const append = queued.receipt.then((receipt) => ({ id: queued.id, receipt }));
          append.catch(() => undefined); // surfaced by Promise.all below
          pending.push(append);
        }
      } catch (error) {
        throw await withRecordedPrefix(error, pending);
      }
      const appended = await Promise.all(pending);
      const first = appended[0];
      const last = appended.at(-1);
      return create(RecordStreamResponseSchema, {
        eventsRecorded: BigInt(appended.length),
        firstSequence: first?.receipt.sequence ?? 0n,
        lastSequence: last?.receipt.sequence ?? 0n,
        headHash: last?.receipt.hash ?? "",
        recordIds: appended.map((a) => a.id),
      });
    },
  };
}

/**
 * A stream that fails part-way has already made its earlier events durable; the error says
 * which, so the caller can resume after them instead of recording them twice.
 */
async function withRecordedPrefix(
  error: unknown,
  pending: Promise<{ receipt: { sequence: bigint } }>[],
): Promise<unknown> {
  const settled = await Promise.allSettled(pending);
  const recorded = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value.receipt] : []));
  if (!(error instanceof InvalidInputError) || recorded.length === 0) return error;
  const first = recorded[0]?.sequence;
  const last = recorded.at(-1)?.sequence;
  return new InvalidInputError(
    error.field,
    `${error.problem} (the ${recorded.length} event(s) before it were recorded, sequences ${first}-${last})`,
  );
}
