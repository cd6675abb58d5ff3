import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type AuditRecord,
  AuditRecordKind,
  AuditRecordSchema,
} from "../../gen/vigil/v1/audit_pb.js";
import { Decision } from "../../gen/vigil/v1/common_pb.js";
import { type AuditSigner, loadAuditSigner } from "../../server/src/audit/audit-signer.js";
import type { AuditStore } from "../../server/src/audit/audit-store.js";
import { openLmdbAuditStore } from "../../server/src/audit/lmdb-audit-store.js";
import { removeDir, tempDir } from "./vigil-process.js";

/** Fields a test record may set; everything else gets a plain default. */
export interface RecordFields {
  principal?: string;
  session?: string;
  action?: string;
  decision?: Decision;
  kind?: AuditRecordKind;
  resource?: { kind: string; id: string };
  timeMs?: number;
}

/** A decision record with the given fields. */
export function testRecord(id: string, fields: RecordFields = {}): AuditRecord {
  return create(AuditRecordSchema, {
    id,
    kind: fields.kind ?? AuditRecordKind.DECISION,
    action: fields.action ?? "secret.read",
    decision: fields.decision ?? Decision.ALLOW,
    sessionId: fields.session ?? "",
    principal: { id: fields.principal ?? "alice" },
    caller: { id: "svc-proxy" },
    ...(fields.resource ? { resource: fields.resource } : {}),
    ...(fields.timeMs !== undefined ? { time: timestampFromMs(fields.timeMs) } : {}),
  });
}

/** A real LMDB store and signer in a temp dir, removed by `dispose()`. */
export async function openTestTrail(options: { maxPending?: number } = {}): Promise<{
  dir: string;
  store: AuditStore;
  signer: AuditSigner;
  reopen(): Promise<AuditStore>;
  dispose(): Promise<void>;
}> {
  const dir = await tempDir("vigil-audit-unit-");
  const signer = await loadAuditSigner(`${dir}/keys/audit-signing.key`);
  let store = await openLmdbAuditStore({ path: `${dir}/audit`, ...options });
  return {
    dir,
    get store() {
      return store;
    },
    signer,
    async reopen() {
      await store.close();
      store = await openLmdbAuditStore({ path: `${dir}/audit`, ...options });
      return store;
    },
    async dispose() {
      await store.close().catch(() => undefined);
      await removeDir(dir);
    },
  };
}
