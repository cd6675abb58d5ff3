/**
 * The audit store on its own, in process: durable appends of 1 KiB records (fsync'd group
 * commits, every secondary index written) at concurrency 1, 16 and 64. Set beside the Record
 * RPC numbers, it shows how much of a Record's cost is the store and how much the RPC path
 * (masking, plan evaluation, protocol) in front of it.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  AuditRecordKind,
  AuditRecordSchema,
  RecordedContentSchema,
} from "../gen/vigil/v1/audit_pb.js";
import { ContentKind } from "../gen/vigil/v1/common_pb.js";
import { openLmdbAuditStore } from "../server/src/audit/lmdb-audit-store.js";
import { removeDir, tempDir } from "../test/support/vigil-process.js";
import { type LoadResult, load } from "./load.js";

const line = "step ok: compiled module, ran unit tests, uploaded artifact; "
  .repeat(17)
  .slice(0, 1024);

/** Durable appends per second at each concurrency, on a fresh store per run. */
export async function measureStoreAppend(seconds: number): Promise<LoadResult[]> {
  const results: LoadResult[] = [];
  for (const concurrency of [1, 16, 64]) {
    const dir = await tempDir("vigil-bench-store-");
    const store = await openLmdbAuditStore({ path: dir });
    let n = 0;
    try {
      results.push(
        await load("AuditStore.append 1 KiB", concurrency, seconds, () => {
          n++;
          return store.append(
            create(AuditRecordSchema, {
              id: `bench-${n}`,
              time: timestampFromDate(new Date()),
              kind: AuditRecordKind.EVENT,
              principal: { id: `bench-user-${n % 100}@example.com` },
              sessionId: `bench-session-${n % 1000}`,
              action: "tool.call",
              resource: { kind: "shell", id: "build-runner" },
              caller: { id: "bench" },
              contents: [
                create(RecordedContentSchema, {
                  kind: ContentKind.LOG,
                  body: { case: "text", value: line },
                  originalLength: 1024n,
                  stored: true,
                }),
              ],
            }),
          );
        }),
      );
    } finally {
      await store.close();
      await removeDir(dir);
    }
  }
  return results;
}
