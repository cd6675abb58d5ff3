import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { projectRoot } from "../../server/src/main.js";

/** A running no-op floor server (`noop-server.ts`). */
export interface NoopProcess {
  /** `http://127.0.0.1:PORT` */
  baseUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `noop-server.ts` in its own Node process, loaded the way `bin/vigil.js` loads Vigil
 * (the build in dist/ when fresh, else tsx), so its CPU and memory are measured the way
 * Vigil's are, and waits for the port it printed.
 */
export async function startNoopServer(): Promise<NoopProcess> {
  // Through bin/load-entry.js, as bin/vigil.js loads Vigil: from dist/ when the build is fresh.
  const load = `import("./bin/load-entry.js").then((m) => m.importEntry("bench/compare/noop-server.ts"))`;
  const child = spawn(process.execPath, ["--input-type=module", "--eval", load], {
    cwd: projectRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no-op server did not start:\n${output}`)),
      30_000,
    );
    exited.then(() => reject(new Error(`no-op server exited:\n${output.join("")}`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      output.push(line);
      const port = /"port":(\d+)/.exec(line)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(Number(port));
      }
    });
  });
  if (child.pid === undefined) throw new Error("no-op server has no pid");
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
