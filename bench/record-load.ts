/**
 * The durable Record load: 1 KiB events spread over many principals and sessions, sent over
 * gRPC at a few concurrencies. `npm run bench` runs it against its loaded server (then queries
 * the log it left, `audit.ts`) and the comparison against a fresh one.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { ContentKind, PrincipalKind } from "../gen/vigil/v1/common_pb.js";
import {
  type PolicyService,
  RecordEventKind,
  type RecordRequestSchema,
} from "../gen/vigil/v1/policy_service_pb.js";
import { type LoadResult, load, printLoadTable } from "./load.js";

/** Distinct principals the Record load spreads its events over. */
export const principals = 100;
/** Distinct sessions the Record load spreads its events over. */
export const sessions = 1000;

/** The principal of the `i`th event, or any `i`: one of {@link principals}. */
export const principalId = (i: number) => `bench-user-${i % principals}@example.com`;
/** The session of the `i`th event, or any `i`: one of {@link sessions}. */
export const sessionId = (i: number) => `bench-session-${i % sessions}`;

const logLine = "step ok: compiled module, ran unit tests, uploaded artifact; ".repeat(17);

/** Concurrencies of the Record load, as for Authorize. */
const recordConcurrencies = [1, 16, 64];

/** Row label of the Record load. */
const recordLoadName = "Record 1 KiB gRPC (durable)";

/**
 * The `n`th event of the Record load: 1 KiB of log output, on one of {@link principals}
 * principals and one of {@link sessions} sessions (each session belongs to one principal),
 * so the principal and session indexes hold realistic fan-outs.
 */
export function spreadRecordRequest(n: number): MessageInitShape<typeof RecordRequestSchema> {
  return {
    event: {
      kind: RecordEventKind.OUTPUT,
      principal: { id: principalId(n), kind: PrincipalKind.USER },
      sessionId: sessionId(n),
      action: "tool.call",
      resource: { kind: "shell", id: "build-runner" },
      content: {
        kind: ContentKind.LOG,
        body: { case: "text", value: `${logLine}#${n}`.slice(-1024) },
      },
    },
  };
}

/**
 * Records {@link spreadRecordRequest} events through `client` for `seconds` at each of
 * {@link recordConcurrencies}; every call returns once its event is durably in the log.
 */
export async function measureRecordLoad(
  client: Client<typeof PolicyService>,
  seconds: number,
): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  // One counter across the runs, so every event is distinct and the indexes keep filling.
  let recorded = 0;
  for (const concurrency of recordConcurrencies) {
    results.push(
      await load(recordLoadName, concurrency, seconds, () =>
        client.record(spreadRecordRequest(recorded++)),
      ),
    );
  }
  return results;
}

/** Events per RecordStream call in {@link measureRecordStreamLoad}: one agent step's worth. */
export const eventsPerStream = 100;

/**
 * Records the same events through `RecordStream`, {@link eventsPerStream} per call, at each of
 * {@link recordConcurrencies} streams in flight; a call returns once all its events are
 * durable. Counts events, so its ops/s compare with Record's; p50/p99 are per stream.
 */
export async function measureRecordStreamLoad(
  client: Client<typeof PolicyService>,
  seconds: number,
): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  let recorded = 0;
  async function* events() {
    for (let i = 0; i < eventsPerStream; i++)
      yield { event: spreadRecordRequest(recorded++).event };
  }
  for (const concurrency of recordConcurrencies) {
    const streams = await load(
      `RecordStream ×${eventsPerStream} gRPC (durable)`,
      concurrency,
      seconds,
      () => client.recordStream(events()),
    );
    results.push({
      ...streams,
      ops: streams.ops * eventsPerStream,
      perSecond: streams.perSecond * eventsPerStream,
    });
  }
  return results;
}

/** Prints {@link measureRecordLoad} results as a load table, with a legend. */
export function printRecordTable(results: LoadResult[]): void {
  printLoadTable(results);
  console.log(
    "conc: calls in flight (one gRPC connection); ops/s: events acknowledged per second, each " +
      "after its group commit to disk (RecordStream: events, not calls; p50/p99 per stream of " +
      `${eventsPerStream}); OPA has no counterpart (its decision logs are off).`,
  );
}
