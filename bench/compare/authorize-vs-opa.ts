import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { create, toJson } from "@bufbuild/protobuf";
import { CallerSchema } from "../../gen/vigil/v1/audit_pb.js";
import { AuthorizeRequestSchema } from "../../gen/vigil/v1/policy_service_pb.js";
import { roleNames } from "../../server/src/auth/roles.js";
import { projectRoot } from "../../server/src/main.js";
import { buildAuthorizeInput } from "../../server/src/policy/policy-input.js";
import { ordinaryRead } from "../../test/support/requests.js";
import { removeDir, startVigil } from "../../test/support/vigil-process.js";
import { benchPolicies, benchWorkDir } from "./bench-policies.js";
import { type CompareRow, printCompareTable } from "./compare-table.js";
import { measureTarget, type Target, type TargetResult } from "./measure-target.js";
import { startNoopServer } from "./noop-process.js";
import { startOpaServer } from "./opa-server.js";

const authorizePath = "/vigil.v1.PolicyService/Authorize";
const opaPath = "/v1/data/vigil/authz/decision";
const connectHeaders = ["content-type: application/json", "connect-protocol-version: 1"];
const opaHeaders = ["content-type: application/json"];

/**
 * Authorize against `opa run --server` with the same Rego and data and the same request, both
 * driven by h2load over h2c, for each benchmark policy, plus the no-op floor (Vigil's server
 * stack with an empty handler). Prints one table. Vigil runs with its in-flight and per-caller
 * limits off, since every h2load connection is the same anonymous caller; everything else,
 * durable auditing of each decision included, is as `vigil serve` ships.
 */
export async function compareAuthorizeWithOpa(seconds: number): Promise<void> {
  execFileSync("bash", [join(projectRoot, "bench/setup-bench.sh")], { stdio: "inherit" });
  const work = await benchWorkDir();
  try {
    const request = ordinaryRead();
    const vigilBody = join(work, "authorize.json");
    await writeFile(vigilBody, JSON.stringify(toJson(AuthorizeRequestSchema, request)));
    // The input document Vigil builds for this call: anonymous with every role (no auth
    // configured), from loopback. Only `time` differs from Vigil's, and no rule reads it here.
    const caller = create(CallerSchema, {
      id: "anonymous",
      method: "none",
      roles: [...roleNames],
      peer: "127.0.0.1",
    });
    const opaBody = join(work, "opa-input.json");
    await writeFile(
      opaBody,
      JSON.stringify({ input: buildAuthorizeInput(request, caller, new Date()) }),
    );

    const rows: CompareRow[] = [];
    const noop = await startNoopServer();
    let noopResult: TargetResult;
    try {
      const target = {
        name: "no-op floor (same server stack)",
        url: `${noop.baseUrl}${authorizePath}`,
        bodyFile: vigilBody,
        headers: connectHeaders,
        pid: noop.pid,
      };
      noopResult = await measureTarget(target, seconds);
      rows.push({ result: noopResult, decision: await decisionOf(target) });
    } finally {
      await noop.stop();
    }

    for (const policy of await benchPolicies(work)) {
      const opa = await startOpaServer({ policyDir: policy.dir });
      let opaResult: TargetResult;
      let opaDecision: string;
      try {
        const target = {
          name: `OPA, ${policy.name}`,
          url: `${opa.baseUrl}${opaPath}`,
          bodyFile: opaBody,
          headers: opaHeaders,
          pid: opa.pid,
        };
        opaDecision = await decisionOf(target);
        opaResult = await measureTarget(target, seconds);
      } finally {
        await opa.stop();
      }
      const vigil = await startVigil({
        policy: policy.dir,
        args: ["--max-in-flight", "0", "--max-concurrent-per-caller", "0"],
        env: { VIGIL_LOG_LEVEL: "info" },
      });
      try {
        if (vigil.child.pid === undefined) throw new Error("vigil has no pid");
        const target = {
          name: `Vigil, ${policy.name}`,
          url: `${vigil.baseUrl}${authorizePath}`,
          bodyFile: vigilBody,
          headers: connectHeaders,
          pid: vigil.child.pid,
        };
        const decision = await decisionOf(target);
        rows.push({
          result: await measureTarget(target, seconds),
          decision,
          opa: opaResult,
          noop: noopResult,
        });
      } finally {
        await vigil.stop();
        await removeDir(vigil.dataDir);
      }
      rows.push({ result: opaResult, decision: opaDecision });
    }
    printCompareTable(rows);
  } finally {
    await removeDir(work);
  }
}

/**
 * Sends the benchmark request once and returns the decision, lower case: Vigil answers
 * `DECISION_ALLOW`, OPA `{"result": {"decision": "allow"}}`, the no-op floor nothing. Shows
 * both sides decide the same request the same way before their speed is compared.
 */
async function decisionOf(target: Target): Promise<string> {
  const response = await fetch(target.url, {
    method: "POST",
    headers: Object.fromEntries(target.headers.map((h) => h.split(": ") as [string, string])),
    body: await readFile(target.bodyFile),
  });
  if (!response.ok) throw new Error(`${target.name}: HTTP ${response.status}`);
  const body = (await response.json()) as { decision?: string; result?: { decision?: string } };
  const decision = body.result?.decision ?? body.decision ?? "(none)";
  return decision.replace(/^DECISION_/, "").toLowerCase();
}
