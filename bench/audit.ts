/**
 * The audit section of `npm run bench`: reading back a log the Record load just filled.
 * Latency of the index queries (principal, session, time range) and GetRecord at two
 * concurrencies, then how fast VerifyLog recomputes and ExportRecords streams the whole chain.
 * Numbers only, like the rest of the bench.
 */
import { performance } from "node:perf_hooks";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuditService } from "../gen/vigil/v1/audit_pb.js";
import { type LoadResult, load, row } from "./load.js";
import { principalId, principals, sessionId, sessions } from "./record-load.js";

/** One query's latency at one concurrency, with the mean and how many records a call got. */
export interface QueryLoadResult extends LoadResult {
  meanMs: number;
  recordsPerCall: number;
}

/** A whole-log operation repeated for the run length. */
export interface LogThroughput {
  name: string;
  runs: number;
  /** Entries verified or records exported, over all runs. */
  items: number;
  seconds: number;
  perSecond: number;
}

/** Everything {@link measureAudit} measured. */
export interface AuditBench {
  /** Entries in the log when the measurements started. */
  logSize: bigint;
  queries: QueryLoadResult[];
  whole: LogThroughput[];
}

/** Measures AuditService on the server at `baseUrl`; `seconds` per run. */
export async function measureAudit(baseUrl: string, seconds: number): Promise<AuditBench> {
  const audit = createClient(AuditService, createGrpcTransport({ baseUrl }));
  const verify = await repeatFor("VerifyLog", seconds, async () => {
    const res = await audit.verifyLog({});
    return Number(res.entriesChecked);
  });
  // The first export also collects every id, so GetRecord picks across the whole log.
  const ids: string[] = [];
  const exported = await repeatFor("ExportRecords", seconds, async () => {
    const collect = ids.length === 0;
    let count = 0;
    for await (const res of audit.exportRecords({ filter: {} })) {
      count += res.records.length;
      if (collect) ids.push(...res.records.map((r) => r.id));
    }
    return count;
  });

  const pick = <T>(choices: (i: number) => T, n: number) => choices(Math.floor(Math.random() * n));
  const lastMinute = () => {
    const now = Date.now();
    return { startTime: timestampFromMs(now - 60_000), endTime: timestampFromMs(now) };
  };
  const calls: [string, () => Promise<number>][] = [
    [
      "QueryRecords by principal",
      async () => {
        const filter = { principalId: pick(principalId, principals) };
        return (await audit.queryRecords({ filter, pageSize: 100 })).records.length;
      },
    ],
    [
      "QueryRecords by session",
      async () => {
        const filter = { sessionId: pick(sessionId, sessions) };
        return (await audit.queryRecords({ filter, pageSize: 100 })).records.length;
      },
    ],
    [
      "QueryRecords last minute",
      async () =>
        (await audit.queryRecords({ filter: lastMinute(), pageSize: 100 })).records.length,
    ],
    [
      "GetRecord by id",
      async () => {
        const id = pick((i) => ids[i] ?? "", ids.length);
        return (await audit.getRecord({ id })).record ? 1 : 0;
      },
    ],
  ];
  const queries: QueryLoadResult[] = [];
  for (const [name, call] of calls) {
    for (const concurrency of [1, 16]) {
      queries.push(await timedLoad(name, concurrency, seconds, call));
    }
  }
  return { logSize: BigInt(verify.items / verify.runs), queries, whole: [verify, exported] };
}

/** {@link load}, also keeping the mean latency and the records each call returned. */
async function timedLoad(
  name: string,
  concurrency: number,
  seconds: number,
  call: () => Promise<number>,
): Promise<QueryLoadResult> {
  let totalMs = 0;
  let records = 0;
  const result = await load(name, concurrency, seconds, async () => {
    const start = performance.now();
    const returned = await call();
    totalMs += performance.now() - start;
    records += returned;
  });
  return {
    ...result,
    meanMs: totalMs / Math.max(1, result.ops),
    recordsPerCall: records / Math.max(1, result.ops),
  };
}

/** Runs `op` back to back (at least once) for `seconds`; `op` returns the items it handled. */
async function repeatFor(
  name: string,
  seconds: number,
  op: () => Promise<number>,
): Promise<LogThroughput> {
  const start = performance.now();
  const end = start + seconds * 1000;
  let runs = 0;
  let items = 0;
  do {
    items += await op();
    runs++;
  } while (performance.now() < end);
  const elapsed = (performance.now() - start) / 1000;
  return { name, runs, items, seconds: elapsed, perSecond: items / elapsed };
}

/** Prints {@link measureAudit}'s results in the bench's table style. */
export function printAudit(bench: AuditBench): void {
  console.log(
    `\nAudit queries over the same server's log (${bench.logSize} entries; ` +
      `${principals} principals, ${sessions} sessions; page size 100):`,
  );
  const widths = [30, 5, 8, 9, 8, 8, 8, 9];
  console.log(
    row(["call", "conc", "ops", "ops/s", "p50 ms", "p99 ms", "mean ms", "recs/call"], widths),
  );
  for (const q of bench.queries) {
    console.log(
      row(
        [
          q.name,
          q.concurrency,
          q.ops,
          q.perSecond.toFixed(0),
          q.p50.toFixed(2),
          q.p99.toFixed(2),
          q.meanMs.toFixed(2),
          q.recordsPerCall.toFixed(1),
        ],
        widths,
      ),
    );
  }
  console.log("");
  const wholeWidths = [30, 5, 10, 8, 12];
  console.log(row(["whole log", "runs", "items", "s", "items/s"], wholeWidths));
  for (const w of bench.whole) {
    console.log(
      row([w.name, w.runs, w.items, w.seconds.toFixed(2), w.perSecond.toFixed(0)], wholeWidths),
    );
  }
}
