/**
 * `npm run bench`: Authorize and Record against a real server on loopback, plus the in-process
 * cost of one policy evaluation. Prints numbers; asserts nothing (targets live in the issues).
 */
import { performance } from "node:perf_hooks";
import { create } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { CallerSchema } from "../gen/vigil/v1/audit_pb.js";
import { ContentKind, ContentSchema } from "../gen/vigil/v1/common_pb.js";
import { PolicyService, RecordEventKind } from "../gen/vigil/v1/policy_service_pb.js";
import { createLogger } from "../server/src/logging/logger.js";
import { projectDefaults } from "../server/src/main.js";
import { createPolicyEngine } from "../server/src/policy/policy-engine.js";
import { buildAuthorizeInput } from "../server/src/policy/policy-input.js";
import { readPolicySource } from "../server/src/policy/policy-source.js";
import { destructiveAgentCommand, ordinaryRead } from "../test/support/requests.js";
import { removeDir, startVigil } from "../test/support/vigil-process.js";

const seconds = Number(process.env.BENCH_SECONDS ?? 3);

interface Result {
  name: string;
  concurrency: number;
  ops: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Runs `op` from `concurrency` loops for `seconds`, collecting per-call latency. */
async function load(
  name: string,
  concurrency: number,
  op: () => Promise<unknown>,
): Promise<Result> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await op();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    name,
    concurrency,
    ops: latencies.length,
    perSecond: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
  };
}

function evaluationCost() {
  const logger = createLogger({ level: "silent" });
  return (async () => {
    const engine = createPolicyEngine({ logger });
    const defaults = projectDefaults();
    await engine.load(
      await readPolicySource({ source: defaults.policyDir, opaPath: defaults.opaPath }),
    );
    const caller = create(CallerSchema, { id: "bench", method: "none" });
    const rows: { input: string; micros: number }[] = [];
    const largeCommand = `${"ls -la /srv/app && ".repeat(5000)}echo done`;
    const large = destructiveAgentCommand();
    large.contents = [
      create(ContentSchema, {
        kind: ContentKind.COMMAND,
        body: { case: "text", value: largeCommand },
      }),
    ];
    for (const [label, request] of [
      ["small (ordinary read)", ordinaryRead()],
      ["command (approval path)", destructiveAgentCommand()],
      [`large command (${Math.round(largeCommand.length / 1024)} KiB)`, large],
    ] as const) {
      const input = buildAuthorizeInput(request, caller, new Date());
      const n = label.startsWith("large") ? 200 : 5000;
      for (let i = 0; i < 100; i++) engine.authorize(input); // warm-up
      const t = performance.now();
      for (let i = 0; i < n; i++) engine.authorize(input);
      rows.push({ input: label, micros: ((performance.now() - t) * 1000) / n });
    }
    return rows;
  })();
}

async function main() {
  console.log(`Vigil bench: ${seconds}s per row, Node ${process.version}\n`);
  console.log("Policy evaluation in process (opa-wasm, main thread):");
  for (const row of await evaluationCost()) {
    console.log(`  ${row.input.padEnd(32)} ${row.micros.toFixed(1).padStart(8)} µs/decision`);
  }

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
    const principal = ordinaryRead().principal;
    const record = {
      event: {
        kind: RecordEventKind.OUTPUT,
        principal,
        content: {
          kind: ContentKind.LOG,
          body: { case: "text" as const, value: "x".repeat(1024) },
        },
      },
    };
    const results: Result[] = [];
    for (const c of [1, 16, 64])
      results.push(await load("Authorize gRPC", c, () => grpc.authorize(ordinaryRead())));
    for (const c of [1, 16, 64])
      results.push(await load("Authorize Connect h2", c, () => connect.authorize(ordinaryRead())));
    for (const c of [1, 16, 64])
      results.push(await load("Record 1 KiB gRPC (durable)", c, () => grpc.record(record)));

    console.log("\nAgainst the server over loopback (every call durably audited):");
    console.log(
      `  ${"call".padEnd(30)} ${"conc".padStart(5)} ${"ops".padStart(8)} ${"ops/s".padStart(9)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)}`,
    );
    for (const r of results) {
      console.log(
        `  ${r.name.padEnd(30)} ${String(r.concurrency).padStart(5)} ${String(r.ops).padStart(8)} ${r.perSecond.toFixed(0).padStart(9)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}`,
      );
    }
    const rss = vigil.child.pid ? await rssOf(vigil.child.pid) : undefined;
    if (rss) console.log(`\nServer RSS after the run: ${(rss / 1024).toFixed(0)} MiB`);
  } finally {
    await vigil.stop();
    await removeDir(vigil.dataDir);
  }
}

async function rssOf(pid: number): Promise<number | undefined> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) : undefined;
}

await main();
