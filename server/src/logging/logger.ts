import { type Logger, pino } from "pino";

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level to emit. Default: `"info"`. */
  level?: string;
  /** Where JSON lines go. Default: standard output. */
  destination?: NodeJS.WritableStream;
}

/**
 * Paths that may hold secret-bearing values. pino censors them wherever a log call
 * passes such an object, as a second line of defence: code never logs request bodies.
 */
const redactPaths = [
  "*.registered_secrets",
  "*.registeredSecrets",
  "*.contents",
  "*.content",
  "*.authorization",
  "*.headers.authorization",
  "*.token",
  "*.password",
];

/** Creates the structured JSON logger used by every component. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? "info",
    base: { service: "vigil" },
    redact: { paths: redactPaths, censor: "[REDACTED]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

export type { Logger };
