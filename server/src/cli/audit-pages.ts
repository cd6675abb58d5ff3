import type { Client } from "@connectrpc/connect";
import type {
  AuditRecord,
  AuditService,
  Checkpoint,
  RecordFilter,
} from "../../../gen/vigil/v1/audit_pb.js";

/** The most QueryRecords and ListCheckpoints accept per page. */
export const maxPageSize = 1000;

/** What to page through with {@link queryAllRecords}. */
export interface RecordQuery {
  filter: RecordFilter;
  /** Newest first. Default: oldest first. */
  descending?: boolean;
  /** Records per page, 1 to 1000. Default: 1000. */
  pageSize?: number;
}

/**
 * Every record matching the query, in order, following page tokens until the server says it
 * is done. A page may hold fewer records than asked for (even none) while more remain: the
 * server bounds how much of the log it scans per page, so only an empty token ends the loop.
 */
export async function* queryAllRecords(
  client: Client<typeof AuditService>,
  query: RecordQuery,
): AsyncGenerator<AuditRecord> {
  let pageToken = "";
  do {
    const page = await client.queryRecords({
      filter: query.filter,
      descending: query.descending ?? false,
      pageSize: query.pageSize ?? maxPageSize,
      pageToken,
    });
    yield* page.records;
    pageToken = nextToken(pageToken, page.nextPageToken);
  } while (pageToken !== "");
}

/** Every signed checkpoint, ascending by size, following page tokens. */
export async function* listAllCheckpoints(
  client: Client<typeof AuditService>,
): AsyncGenerator<Checkpoint> {
  let pageToken = "";
  do {
    const page = await client.listCheckpoints({ pageSize: maxPageSize, pageToken });
    yield* page.checkpoints;
    pageToken = nextToken(pageToken, page.nextPageToken);
  } while (pageToken !== "");
}

/** The token for the next page; one that does not move would loop forever, so it is an error. */
function nextToken(sent: string, received: string): string {
  if (received !== "" && received === sent) {
    throw new Error("the server returned the same page token twice; stopping to avoid a loop");
  }
  return received;
}
