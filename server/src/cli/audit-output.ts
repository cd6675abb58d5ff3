import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { ConfigError, describeError } from "../errors.js";
import { isUnreachable, unreachableExitCode } from "./server-client.js";

/** Writes text to stdout (or stderr) and passes an exit code through, as `vigil.ts` does. */
export type Print = (text: string, code: number, toStderr?: boolean) => number;

/** Where an audit command writes its lines: stdout, or a file that appears only when complete. */
export interface LineSink {
  /** Writes one line (the newline is added). */
  write(line: string): Promise<void>;
  /** Finishes the output; for a file, makes it appear under its final name. */
  close(): Promise<void>;
  /** Gives up: a file is removed, so a failed run never leaves a partial one behind. */
  abort(): Promise<void>;
}

/** Buffered bytes before a file sink writes them, so long exports are not one syscall a line. */
const fileChunkBytes = 64 * 1024;

/**
 * Opens stdout (no path) or an atomic file sink: lines go to a temp file beside `path`, which
 * is flushed to disk and renamed over `path` on close. A reader (or `vigil audit verify`)
 * therefore sees either the previous file or the whole new one, never a torn one.
 */
export async function openLineSink(path: string | undefined): Promise<LineSink> {
  if (path === undefined) {
    return {
      async write(line) {
        // Respect backpressure, so `--limit 0` over a large log does not buffer it all.
        if (!process.stdout.write(`${line}\n`)) await once(process.stdout, "drain");
      },
      async close() {},
      async abort() {},
    };
  }
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let file: FileHandle;
  try {
    file = await open(temp, "wx", 0o644);
  } catch (error) {
    throw new ConfigError(`--out: cannot write ${path} (${describeError(error)})`);
  }
  let pending = "";
  const flush = async () => {
    if (pending.length === 0) return;
    const text = pending;
    pending = "";
    await file.write(text);
  };
  return {
    async write(line) {
      pending += `${line}\n`;
      if (pending.length >= fileChunkBytes) await flush();
    },
    async close() {
      await flush();
      await file.sync();
      await file.close();
      await rename(temp, path);
    },
    async abort() {
      await file.close().catch(() => {});
      await rm(temp, { force: true });
    },
  };
}

/**
 * The exit code for an error that stopped an audit command: 3 when the server cannot be
 * reached (a caller must not read an empty answer as "nothing happened"), 1 for anything the
 * server refused. Usage errors are rethrown so `vigil.ts` reports them with exit code 2.
 */
export function auditFailure(error: unknown, print: Print, server: string): number {
  if (error instanceof ConfigError) throw error;
  if (isUnreachable(error)) {
    return print(
      `vigil: cannot reach the server at ${server} (${describeError(error)})\n`,
      unreachableExitCode,
      true,
    );
  }
  const message = error instanceof ConnectError ? describeServerError(error) : describeError(error);
  return print(`vigil: ${message}\n`, 1, true);
}

function describeServerError(error: ConnectError): string {
  // The code name says whether the request or the server is at fault; the message says why.
  return `${Code[error.code]?.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()}: ${error.rawMessage}`;
}
