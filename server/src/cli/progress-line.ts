/** Where a progress line is drawn: stderr, or a test's stand-in. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Options for {@link createProgressLine}. */
export interface ProgressLineOptions {
  /** What the line says for a count, e.g. `n => \`exporting… ${n} records\``. */
  label: (count: number, total: number | undefined) => string;
  /** Default `process.stderr`. */
  stream?: ProgressStream;
  /** Least time between redraws. Default 250 ms. */
  intervalMs?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/** A self-overwriting progress line. */
export interface ProgressLine {
  /** Redraws with the count so far (at most once per interval). */
  update(count: number, total?: number): void;
  /** Removes the line, before the final summary is printed. */
  clear(): void;
}

/**
 * A "scanning… 12/340 files" line that redraws itself on stderr, only when stderr is a
 * terminal: in a pipe or a CI log it would be noise, and each command prints a summary anyway.
 */
export function createProgressLine(options: ProgressLineOptions): ProgressLine {
  const stream = options.stream ?? process.stderr;
  const intervalMs = options.intervalMs ?? 250;
  const now = options.now ?? Date.now;
  const enabled = stream.isTTY === true;
  let shown = false;
  let last = Number.NEGATIVE_INFINITY;
  return {
    update(count, total) {
      const t = now();
      if (!enabled || t - last < intervalMs) return;
      last = t;
      shown = true;
      stream.write(`\r\x1b[K${options.label(count, total)}`);
    },
    clear() {
      if (shown) stream.write("\r\x1b[K");
      shown = false;
    },
  };
}
