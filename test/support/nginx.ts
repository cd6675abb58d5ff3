import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import * as net from "node:net";
import { join } from "node:path";

/** A running nginx started by a test, on loopback. */
export interface NginxProcess {
  /** Stops nginx and waits for it to exit. */
  stop(): Promise<void>;
  /** nginx's error log so far, for failure messages. */
  errorLog(): Promise<string>;
}

/**
 * Starts Debian's nginx (installed by `scripts/setup-debian.sh`) in the foreground with `http`
 * as the body of its `http {}` block, everything it writes kept in `dir`, and waits until every
 * port in `ports` accepts connections.
 */
export async function startNginx(
  dir: string,
  http: string,
  ports: number[],
): Promise<NginxProcess> {
  const binary = nginxBinary();
  const temp = join(dir, "temp");
  await mkdir(temp, { recursive: true });
  const errorLogPath = join(dir, "error.log");
  const config = `
# One process running as the test's user: nothing to drop privileges to, nothing left behind.
daemon off;
master_process off;
pid ${join(dir, "nginx.pid")};
error_log ${errorLogPath} info;
events { worker_connections 64; }
http {
  access_log ${join(dir, "access.log")};
  client_body_temp_path ${temp}/body;
  proxy_temp_path ${temp}/proxy;
  fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi;
  scgi_temp_path ${temp}/scgi;
${http}
}
`;
  const configPath = join(dir, "nginx.conf");
  await writeFile(configPath, config);
  const child = spawn(binary, ["-p", dir, "-c", configPath, "-e", errorLogPath], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout?.on("data", (d) => output.push(String(d)));
  child.stderr?.on("data", (d) => output.push(String(d)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const errorLog = () => readFile(errorLogPath, "utf8").catch(() => "");
  try {
    await Promise.all(ports.map((port) => waitForPort(port, child)));
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(
      `nginx did not start: ${String(error)}\n${output.join("")}\n${await errorLog()}`,
    );
  }
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGQUIT");
      await exited;
    },
    errorLog,
  };
}

function nginxBinary(): string {
  try {
    return execFileSync("sh", ["-c", "command -v nginx || ls /usr/sbin/nginx"], {
      encoding: "utf8",
    })
      .trim()
      .split("\n")[0] as string;
  } catch {
    throw new Error("nginx is not installed: run 'bash scripts/setup-debian.sh' (npm test does)");
  }
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`port ${port} did not open`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
