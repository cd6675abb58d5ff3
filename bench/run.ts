/**
 * `npm run bench`: the in-process cost of a policy decision (main thread vs worker pool, with
 * event-loop delay), then Authorize and Record against a real server on loopback, then audit
 * queries, VerifyLog and ExportRecords over the log that load left behind, then Redact
 * (throughput and recall on a generated corpus, latency and RPC throughput), then Authorize
 * against an OPA server and a no-op floor (`compare/`), and Redact against gitleaks on the same
 * corpus. For the shipped policy library the comparison adds a throughput-latency sweep of
 * Vigil and OPA (a table, and `bench/results/authorize-latency.json` and `.svg`), durable Record
 * over gRPC at concurrency 1/16/64, and memory before and after many decisions.
 * Prints numbers; asserts nothing (targets live in the issues).
 *
 * Environment: BENCH_SECONDS sets the run length (each h2load run, sweep point and load
 * concurrency; default 3); BENCH_ONLY=compare runs only the two comparisons; BENCH_DECISIONS
 * is the number of decisions of the memory rows (default 1,000,000; 0 skips them).
 */
import { readFile } from "node:fs/promises";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { PolicyService } from "../gen/vigil/v1/policy_service_pb.js";
import { ordinaryRead } from "../test/support/requests.js";
import { removeDir, startVigil } from "../test/support/vigil-process.js";
import { type AuditBench, measureAudit, printAudit } from "./audit.js";
import { measureStoreAppend } from "./audit-store.js";
import { compareAuthorizeWithOpa } from "./compare/authorize-vs-opa.js";
import { type LoadResult, load, printLoadTable } from "./load.js";
import { measureEvaluation, printEvaluation } from "./policy-evaluation.js";
import { measureRecordLoad } from "./record-load.js";
import {
  measureRedactInProcess,
  measureRedactLatency,
  printRedactInProcess,
  printRedactLatency,
} from "./redact.js";
import { measureRedactVsGitleaks, printRedactVsGitleaks } from "./redact-vs-gitleaks.js";

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const decisions = Number(process.env.BENCH_DECISIONS ?? 1_000_000);
const only = process.env.BENCH_ONLY;

async function serverLoad(): Promise<{
  results: LoadResult[];
  audit: AuditBench;
  rssKiB: number | undefined;
}> {
  const vigil = await startVigil({ env: { VIGIL_LOG_LEVEL: "info" } });
  try {
    const grpc: Client<typeof PolicyService> = createClient(
      PolicyService,
      createGrpcTransport({ baseUrl: vigil.baseUrl }),
    );
    const connect = createClient(
      PolicyService,
      createConnectTransport({ baseUrl: vigil.baseUrl, httpVersion: "2" }),
    );
    const results: LoadResult[] = [];
    for (const c of [1, 16, 64]) {
      results.push(await load("Authorize gRPC", c, seconds, () => grpc.authorize(ordinaryRead())));
    }
    for (const c of [1, 16, 64]) {
      results.push(
        await load("Authorize Connect h2", c, seconds, () => connect.authorize(ordinaryRead())),
      );
    }
    results.push(...(await measureRecordLoad(grpc, seconds)));
    const audit = await measureAudit(vigil.baseUrl, seconds);
    const status = await readFile(`/proc/${vigil.child.pid}/status`, "utf8").catch(() => "");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return { results, audit, rssKiB: kb ? Number(kb) : undefined };
  } finally {
    await vigil.stop();
    await removeDir(vigil.dataDir);
  }
}

console.log(`Vigil bench: ${seconds}s per concurrent run, Node ${process.version}\n`);
if (only !== "compare") await benchEverythingElse();
console.log("\nAuthorize vs OPA server, same Rego, data and request, h2load over h2c:");
await compareAuthorizeWithOpa({ seconds, decisions });
console.log("\nRedact vs gitleaks on the same generated corpus:");
printRedactVsGitleaks(await measureRedactVsGitleaks(seconds));

async function benchEverythingElse(): Promise<void> {
  console.log("Policy evaluation in process (bundled policy library, opa-wasm):");
  printEvaluation(await measureEvaluation(seconds));

  const { results, audit, rssKiB } = await serverLoad();
  console.log("\nAgainst the server over loopback (every call durably audited):");
  printLoadTable(results);
  printAudit(audit);
  console.log("\nThe audit store alone (durable group commits, all indexes):");
  printLoadTable(await measureStoreAppend(seconds));
  if (rssKiB) console.log(`\nServer RSS after the run: ${(rssKiB / 1024).toFixed(0)} MiB`);

  console.log("");
  printRedactInProcess(await measureRedactInProcess(seconds));
  printRedactLatency(await measureRedactLatency(seconds));
}
