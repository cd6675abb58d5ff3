import { spawn } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { projectRoot } from "../../server/src/main.js";
import { freePort } from "../../test/support/vigil-process.js";

/** Options for {@link startOpaServer}. */
export interface OpaServerOptions {
  /** Directory of Rego and `data.json`, loaded as-is (`*_test.rego` ignored). */
  policyDir: string;
}

/** A running `opa run --server`. */
export interface OpaServer {
  /** `http://127.0.0.1:PORT` */
  baseUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts the pinned OPA (`.tools/bin/opa`, from `scripts/setup.sh`) as a server on a free
 * loopback port, speaking h2c like Vigil so both sides see the same load generator, and waits
 * until `/health` answers. Decision logs are off, OPA's default.
 */
export async function startOpaServer(options: OpaServerOptions): Promise<OpaServer> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(
    join(projectRoot, ".tools/bin/opa"),
    [
      "run",
      "--server",
      "--h2c",
      "--addr",
      `127.0.0.1:${port}`,
      "--skip-version-check",
      "--log-level",
      "error",
      "--ignore",
      "*_test.rego",
      options.policyDir,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const errors: string[] = [];
  child.stderr.on("data", (chunk: Buffer) => errors.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`opa exited:\n${errors.join("")}`);
    const ok = await fetch(`${baseUrl}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`opa did not start:\n${errors.join("")}`);
    }
    await sleep(100);
  }
  if (child.pid === undefined) throw new Error("opa has no pid");
  return { baseUrl, pid: child.pid, stop };
}
