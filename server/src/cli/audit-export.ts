import { parseArgs } from "node:util";
import { filterOptions, filterUsage, recordFilter } from "./audit-flags.js";
import { recordJsonLine } from "./audit-format.js";
import { auditFailure, openLineSink, type Print } from "./audit-output.js";
import { auditClient, serverUrl } from "./server-client.js";

/** Usage of `vigil audit export`. */
export const exportUsage = `Usage: vigil audit export [filters] [--out FILE] [--server URL]

Streams every matching record, oldest first, as JSON Lines (one AuditRecord in protobuf
JSON per line) to stdout or FILE, e.g. for a SIEM. FILE appears only once the export is
complete. A count goes to stderr at the end.

${filterUsage}
`;

/** How often a terminal's progress line is redrawn. */
const progressIntervalMs = 250;

/** Runs `vigil audit export`. */
export async function runExport(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (args.includes("--help")) return print(exportUsage, 0);
  const { values } = parseArgs({
    args,
    options: { ...filterOptions, server: { type: "string" }, out: { type: "string" } },
  });
  const filter = recordFilter(values, new Date());
  const server = serverUrl(values.server, env);
  const out = await openLineSink(values.out);
  const progress = progressLine();
  let count = 0;
  try {
    // The export covers the whole log, which may take longer than any fixed deadline.
    const stream = auditClient(server, env.VIGIL_TOKEN).exportRecords({ filter }, { timeoutMs: 0 });
    for await (const batch of stream) {
      for (const record of batch.records) await out.write(recordJsonLine(record));
      count += batch.records.length;
      progress.update(count);
    }
    await out.close();
  } catch (error) {
    progress.clear();
    await out.abort();
    return auditFailure(error, print, server);
  }
  progress.clear();
  const where = values.out === undefined ? "" : ` to ${values.out}`;
  return print(`exported ${count} record${count === 1 ? "" : "s"}${where}\n`, 0, true);
}

/**
 * A self-overwriting "N records…" line on stderr, only when stderr is a terminal: in a pipe
 * or a CI log it would be noise, and the final count is printed either way.
 */
function progressLine() {
  const enabled = process.stderr.isTTY === true;
  let shown = false;
  let last = 0;
  return {
    update(count: number) {
      const now = Date.now();
      if (!enabled || now - last < progressIntervalMs) return;
      last = now;
      shown = true;
      process.stderr.write(`\r\x1b[Kexporting… ${count} records`);
    },
    clear() {
      if (shown) process.stderr.write("\r\x1b[K");
      shown = false;
    },
  };
}
