import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { create, toJson } from "@bufbuild/protobuf";
import { CallerSchema } from "../../gen/vigil/v1/audit_pb.js";
import { AuthorizeRequestSchema } from "../../gen/vigil/v1/policy_service_pb.js";
import { roleNames } from "../../server/src/auth/roles.js";
import { buildAuthorizeInput } from "../../server/src/policy/policy-input.js";
import { ordinaryRead } from "../../test/support/requests.js";
import { removeDir, startVigil } from "../../test/support/vigil-process.js";
import type { BenchPolicy } from "./bench-policies.js";
import type { Target } from "./measure-target.js";
import { startNoopServer } from "./noop-process.js";
import { startOpaServer } from "./opa-server.js";

const authorizePath = "/vigil.v1.PolicyService/Authorize";
const batchPath = "/vigil.v1.PolicyService/AuthorizeBatch";

/** Requests per AuthorizeBatch in the batch row: a caller checking a plan's worth of actions. */
export const benchBatchSize = 64;
const opaPath = "/v1/data/vigil/authz/decision";
const connectHeaders = ["content-type: application/json", "connect-protocol-version: 1"];
const opaHeaders = ["content-type: application/json"];

/** The benchmark request as each side takes it, written to files for h2load. */
export interface BenchBodies {
  /** The Authorize request, Connect JSON. */
  vigil: string;
  /** OPA's `{"input": …}` for the same request. */
  opa: string;
  /** An AuthorizeBatch of {@link benchBatchSize} copies of the request, Connect JSON. */
  vigilBatch: string;
}

/** A server under test, started and ready: where to send requests, and how to stop it. */
export interface RunningTarget {
  target: Target;
  /** `http://127.0.0.1:PORT`, for other clients than h2load. */
  baseUrl: string;
  /** Stops the server and removes what it left on disk. */
  stop(): Promise<void>;
}

/** Writes {@link BenchBodies} for the bench request (`ordinaryRead`) into `dir`. */
export async function writeBenchBodies(dir: string): Promise<BenchBodies> {
  const request = ordinaryRead();
  const vigil = join(dir, "authorize.json");
  await writeFile(vigil, JSON.stringify(toJson(AuthorizeRequestSchema, request)));
  // The input document Vigil builds for this call: anonymous with every role (no auth
  // configured), from loopback. Only `time` differs from Vigil's, and no rule reads it here.
  const caller = create(CallerSchema, {
    id: "anonymous",
    method: "none",
    roles: [...roleNames],
    peer: "127.0.0.1",
  });
  const vigilBatch = join(dir, "authorize-batch.json");
  const one = toJson(AuthorizeRequestSchema, request);
  await writeFile(vigilBatch, JSON.stringify({ requests: Array(benchBatchSize).fill(one) }));
  const opa = join(dir, "opa-input.json");
  await writeFile(opa, JSON.stringify({ input: buildAuthorizeInput(request, caller, new Date()) }));
  return { vigil, opa, vigilBatch };
}

/**
 * Starts `vigil serve` with `policy` and a fresh data dir. Its in-flight and per-caller limits
 * are off, since every h2load connection is the same anonymous caller; everything else, durable
 * auditing of each decision included, is as `vigil serve` ships.
 */
export async function startVigilTarget(
  policy: BenchPolicy,
  bodies: BenchBodies,
  options: { batch?: boolean } = {},
): Promise<RunningTarget> {
  const vigil = await startVigil({
    policy: policy.dir,
    args: ["--max-in-flight", "0", "--max-concurrent-per-caller", "0"],
    env: { VIGIL_LOG_LEVEL: "info" },
  });
  const stop = async () => {
    await vigil.stop();
    await removeDir(vigil.dataDir);
  };
  if (vigil.child.pid === undefined) {
    await stop();
    throw new Error("vigil has no pid");
  }
  return {
    target: {
      name: options.batch
        ? `Vigil, ${policy.name}, batches of ${benchBatchSize}`
        : `Vigil, ${policy.name}`,
      url: `${vigil.baseUrl}${options.batch ? batchPath : authorizePath}`,
      bodyFile: options.batch ? bodies.vigilBatch : bodies.vigil,
      headers: connectHeaders,
      pid: vigil.child.pid,
    },
    baseUrl: vigil.baseUrl,
    stop,
  };
}

/** Starts `opa run --server` with `policy`, answering the same request at its decision path. */
export async function startOpaTarget(
  policy: BenchPolicy,
  bodies: BenchBodies,
): Promise<RunningTarget> {
  const opa = await startOpaServer({ policyDir: policy.dir });
  return {
    target: {
      name: `OPA, ${policy.name}`,
      url: `${opa.baseUrl}${opaPath}`,
      bodyFile: bodies.opa,
      headers: opaHeaders,
      pid: opa.pid,
    },
    baseUrl: opa.baseUrl,
    stop: opa.stop,
  };
}

/** Starts the no-op floor (`noop-server.ts`), taking Vigil's request at Vigil's path. */
export async function startNoopTarget(bodies: BenchBodies): Promise<RunningTarget> {
  const noop = await startNoopServer();
  return {
    target: {
      name: "no-op floor (same server stack)",
      url: `${noop.baseUrl}${authorizePath}`,
      bodyFile: bodies.vigil,
      headers: connectHeaders,
      pid: noop.pid,
    },
    baseUrl: noop.baseUrl,
    stop: noop.stop,
  };
}

/** Starts a target, runs `use` against it, and stops it whatever happens. */
export async function withTarget<T>(
  start: Promise<RunningTarget>,
  use: (running: RunningTarget) => Promise<T>,
): Promise<T> {
  const running = await start;
  try {
    return await use(running);
  } finally {
    await running.stop();
  }
}
