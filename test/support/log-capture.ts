import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../server/src/logging/logger.js";

/** A real pino logger whose JSON lines are kept in memory for assertions. */
export interface CapturedLogs {
  logger: Logger;
  /** Every line written so far, parsed. */
  entries(): Record<string, unknown>[];
  /** The raw text written so far, for "this value never reached the log" checks. */
  text(): string;
}

/** Creates a logger at `level` (default `debug`) that writes to memory instead of stdout. */
export function captureLogs(level = "debug"): CapturedLogs {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      callback();
    },
  });
  return {
    logger: createLogger({ level, destination }),
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => lines.join("\n"),
  };
}
