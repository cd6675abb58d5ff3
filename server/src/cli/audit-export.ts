import { parseArgs } from "node:util";
import { filterOptions, filterUsage, recordFilter } from "./audit-flags.js";
import { recordJsonLine } from "./audit-format.js";
import { auditFailure, openLineSink, type Print } from "./audit-output.js";
import { createProgressLine } from "./progress-line.js";
import { auditClient, serverUrl } from "./server-client.js";

/** Usage of `vigil audit export`. */
export const exportUsage = `Usage: vigil audit export [filters] [--out FILE] [--server URL]

Streams every matching record, oldest first, as JSON Lines (one AuditRecord in protobuf
JSON per line) to stdout or FILE, e.g. for a SIEM. FILE appears only once the export is
complete. A count goes to stderr at the end.

${filterUsage}
`;

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
  const progress = createProgressLine({ label: (n) => `exporting… ${n} records` });
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
