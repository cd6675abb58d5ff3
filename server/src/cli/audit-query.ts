import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { AuditRecordSchema } from "../../../gen/vigil/v1/audit_pb.js";
import { ConfigError } from "../errors.js";
import { filterOptions, filterUsage, parseCount, recordFilter } from "./audit-flags.js";
import { recordBlock, recordJsonLine, recordLine } from "./audit-format.js";
import { auditFailure, openLineSink, type Print } from "./audit-output.js";
import { maxPageSize, queryAllRecords } from "./audit-pages.js";
import { auditClient, serverUrl } from "./server-client.js";

/** Usage of `vigil audit query`. */
export const queryUsage = `Usage: vigil audit query [filters] [--limit N] [--desc] [--json] [--server URL]

Lists audit records oldest first, one a line: time, sequence, kind, decision (or event
kind), principal, action, resource, id.

${filterUsage}
  --limit N   at most N records (default 100; 0 = all of them)
  --desc      newest first
  --json      JSON Lines: one AuditRecord in protobuf JSON per line
`;

/** Usage of `vigil audit get`. */
export const getUsage = `Usage: vigil audit get ID [--json] [--server URL]

Shows one audit record, field by field (--json: protobuf JSON). Exits 1 when there is no
record with that id.
`;

/** Runs `vigil audit query`. */
export async function runQuery(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (args.includes("--help")) return print(queryUsage, 0);
  const { values } = parseArgs({
    args,
    options: {
      ...filterOptions,
      server: { type: "string" },
      limit: { type: "string", default: "100" },
      desc: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const limit = Number(parseCount("--limit", values.limit));
  const filter = recordFilter(values, new Date());
  const server = serverUrl(values.server, env);
  const client = auditClient(server, env.VIGIL_TOKEN);
  const out = await openLineSink(undefined);
  let printed = 0;
  try {
    // Pages no larger than the limit, so a small query does not make the server scan for more.
    const pageSize = limit === 0 ? maxPageSize : Math.min(limit, maxPageSize);
    for await (const record of queryAllRecords(client, {
      filter,
      descending: values.desc,
      pageSize,
    })) {
      await out.write(values.json ? recordJsonLine(record) : recordLine(record));
      printed += 1;
      if (printed === limit) break;
    }
    return 0;
  } catch (error) {
    return auditFailure(error, print, server);
  }
}

/** Runs `vigil audit get`. */
export async function runGet(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (args.includes("--help")) return print(getUsage, 0);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { server: { type: "string" }, json: { type: "boolean", default: false } },
  });
  const [id, ...extra] = positionals;
  if (id === undefined || id === "" || extra.length > 0) {
    throw new ConfigError("get: give exactly one record ID");
  }
  const server = serverUrl(values.server, env);
  try {
    const { record } = await auditClient(server, env.VIGIL_TOKEN).getRecord({ id });
    // An answer without a record says no more than NotFound does; report it the same way.
    if (record === undefined) throw new ConnectError("empty answer", Code.NotFound);
    const text = values.json
      ? JSON.stringify(toJson(AuditRecordSchema, record), null, 2)
      : recordBlock(record);
    return print(`${text}\n`, 0);
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.NotFound) {
      return print(`vigil: no audit record with id ${JSON.stringify(id)}\n`, 1, true);
    }
    return auditFailure(error, print, server);
  }
}
