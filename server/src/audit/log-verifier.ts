import { fromBinary } from "@bufbuild/protobuf";
import {
  AuditRecordSchema,
  type Checkpoint,
  type RetentionAnchor,
  type VerifyLogResponse,
} from "../../../gen/vigil/v1/audit_pb.js";
import { type AuditSigner, anchorMessage, checkpointMessage } from "./audit-signer.js";
import type { AuditStore } from "./audit-store.js";
import { readEntryFields } from "./entry-fields.js";
import { entryHash, genesisHash } from "./hash-chain.js";

/** What to verify. */
export interface VerifyOptions {
  /** First sequence to check; default where the kept chain starts. */
  from?: bigint;
  /** Last sequence to check; default the head. */
  to?: bigint;
  /** Checkpoints kept outside the store; a rewritten store cannot match them. */
  trusted?: Checkpoint[];
}

/** The outcome of a verification: the fields of `VerifyLogResponse`. */
export type VerifyResult = Omit<VerifyLogResponse, "$typeName" | "$unknown">;

/** A failure: the entry it names and what was wrong. */
interface Failure {
  sequence: bigint;
  problem: string;
}

/**
 * Recomputes the hash of every entry in range and checks every link, every stored checkpoint
 * (signature and hash), every trusted checkpoint, and the retention anchor. A changed entry
 * breaks the link to its successor; a changed `prev_hash` breaks two links, so the entry
 * named is the one whose bytes must have changed. A consistently rewritten store keeps its
 * links but cannot match a checkpoint signed before the rewrite.
 */
export async function verifyLog(
  store: AuditStore,
  signer: AuditSigner,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const first = store.first();
  const anchor = store.anchor();
  const stored = await allCheckpoints(store);
  const result: VerifyResult = {
    ok: true,
    entriesChecked: 0n,
    firstBadSequence: 0n,
    firstBadRecordId: "",
    problem: "",
    headHash: "",
    firstSequence: first,
    checkpointsChecked: 0n,
    latestCheckpoint: stored.at(-1),
    anchor,
  };
  const fail = async (failure: Failure): Promise<VerifyResult> => {
    const record = await store.getBySequence(failure.sequence).catch(() => undefined);
    return {
      ...result,
      ok: false,
      firstBadSequence: failure.sequence,
      firstBadRecordId: record?.id ?? "",
      problem: failure.problem,
    };
  };

  const anchorFailure = checkAnchor(first, anchor, signer);
  if (anchorFailure) return fail(anchorFailure);
  for (const checkpoint of stored) {
    if (!signer.verify(checkpointBytes(checkpoint), checkpoint.signature)) {
      return fail({
        sequence: checkpoint.size,
        problem: `stored checkpoint at size ${checkpoint.size} does not verify with this server's key ${signer.keyId}`,
      });
    }
  }
  for (const checkpoint of options.trusted ?? []) {
    if (!signer.verify(checkpointBytes(checkpoint), checkpoint.signature, checkpoint.publicKey)) {
      return fail({
        sequence: checkpoint.size,
        problem: `trusted checkpoint at size ${checkpoint.size} has an invalid signature`,
      });
    }
  }

  const head = store.head().sequence;
  const from = maxOf(options.from ?? first, first);
  const to = options.to && options.to > 0n ? minOf(options.to, head) : head;
  // Hashes the chain must reach at given sizes: stored checkpoints and trusted ones.
  const expected = new Map<bigint, { hash: string; label: string; time: string }[]>();
  const label = (c: Checkpoint) =>
    stored.includes(c) ? "stored checkpoint" : "trusted checkpoint";
  for (const c of [...stored, ...(options.trusted ?? [])]) {
    if (c.size < from || c.size > to) continue;
    const time = c.time ? new Date(Number(c.time.seconds) * 1000).toISOString() : "";
    expected.set(c.size, [
      ...(expected.get(c.size) ?? []),
      { hash: c.headHash, label: label(c), time },
    ]);
  }

  let prev = from === first ? (anchor?.prevHash ?? genesisHash) : await hashAt(store, from - 1n);
  if (prev === undefined)
    return fail({ sequence: from - 1n, problem: `entry ${from - 1n} is missing` });
  let next = from;
  let lastMatched = from - 1n;
  let brokenAt: Failure | undefined;
  // A checkpoint mismatch waits one entry: if the next link breaks too, one entry was
  // altered and the link logic names it; if the link holds, the chain was rewritten.
  let rewritten: Failure | undefined;
  for await (const entry of store.entries(from, to)) {
    if (entry.sequence !== next)
      return fail({ sequence: next, problem: `entry ${next} is missing` });
    let fields: ReturnType<typeof readEntryFields>;
    try {
      fields = readEntryFields(entry.bytes);
      fromBinary(AuditRecordSchema, entry.bytes);
    } catch {
      return fail({ sequence: entry.sequence, problem: `entry ${entry.sequence} does not decode` });
    }
    const hash = entryHash(entry.bytes);
    if (brokenAt) {
      // The link into the previous entry broke. If this link holds, the previous entry is
      // intact and the one before it changed; if it breaks too, the previous entry changed.
      return fail(
        fields.prevHash === prev
          ? brokenAt
          : {
              sequence: entry.sequence - 1n,
              problem: `entry ${entry.sequence - 1n} was altered: its hash and its prev_hash both fail`,
            },
      );
    }
    if (rewritten && fields.prevHash === prev) return fail(rewritten);
    rewritten = undefined;
    if (fields.sequence !== entry.sequence) {
      return fail({
        sequence: entry.sequence,
        problem: `entry ${entry.sequence} says it is ${fields.sequence}`,
      });
    }
    if (fields.prevHash !== prev) {
      const culprit = entry.sequence > from ? entry.sequence - 1n : entry.sequence;
      brokenAt = {
        sequence: culprit,
        problem: `entry ${culprit} was altered: its hash does not match entry ${entry.sequence}'s prev_hash`,
      };
    }
    for (const check of expected.get(entry.sequence) ?? []) {
      result.checkpointsChecked++;
      if (check.hash !== hash) {
        rewritten ??= {
          sequence: lastMatched + 1n,
          problem: `the log was rewritten between entries ${lastMatched + 1n} and ${entry.sequence}: the chain hash at ${entry.sequence} differs from the ${check.label} signed ${check.time}`,
        };
      }
    }
    if (!rewritten && expected.has(entry.sequence)) lastMatched = entry.sequence;
    prev = hash;
    result.entriesChecked++;
    result.headHash = hash;
    next = entry.sequence + 1n;
  }
  if (brokenAt) return fail(brokenAt);
  if (rewritten) return fail(rewritten);
  // A checkpoint beyond the last entry means entries were cut from the end (unless the
  // caller asked for a range that stops earlier).
  const rangeEnd = options.to && options.to > 0n ? to : undefined;
  for (const c of [...stored, ...(options.trusted ?? [])]) {
    if (c.size >= next && (rangeEnd === undefined || c.size <= rangeEnd)) {
      return fail({
        sequence: next,
        problem: `the log ends at ${next - 1n} but a checkpoint covers ${c.size} entries: entries were removed`,
      });
    }
  }
  if (next <= to) return fail({ sequence: next, problem: `entry ${next} is missing` });
  result.checkpointsChecked += prunedCheckpointsChecked(
    options.trusted ?? [],
    stored,
    anchor,
    first,
  );
  const prunedMismatch = (options.trusted ?? []).find(
    (c) => c.size === first - 1n && anchor && c.headHash !== anchor.prevHash,
  );
  if (prunedMismatch) {
    return fail({
      sequence: first,
      problem: `the retention anchor's prev_hash differs from the trusted checkpoint at size ${prunedMismatch.size}`,
    });
  }
  return result;
}

function checkpointBytes(c: Checkpoint): Buffer {
  return checkpointMessage(c.size, c.headHash, c.time);
}

function checkAnchor(
  first: bigint,
  anchor: RetentionAnchor | undefined,
  signer: AuditSigner,
): Failure | undefined {
  if (first === 1n) return undefined;
  if (!anchor)
    return {
      sequence: first,
      problem: `entries before ${first} are gone and there is no retention anchor`,
    };
  const message = anchorMessage(anchor.firstSequence, anchor.prevHash, anchor.time);
  if (!signer.verify(message, anchor.signature)) {
    return { sequence: first, problem: "the retention anchor's signature does not verify" };
  }
  return undefined;
}

/** Trusted checkpoints inside the pruned prefix that agree with a stored one or the anchor. */
function prunedCheckpointsChecked(
  trusted: Checkpoint[],
  stored: Checkpoint[],
  anchor: RetentionAnchor | undefined,
  first: bigint,
): bigint {
  let count = 0n;
  for (const c of trusted) {
    if (c.size >= first) continue;
    if (c.size === first - 1n && anchor?.prevHash === c.headHash) count++;
    else if (stored.some((s) => s.size === c.size && s.headHash === c.headHash)) count++;
  }
  return count;
}

async function hashAt(store: AuditStore, sequence: bigint): Promise<string | undefined> {
  for await (const entry of store.entries(sequence, sequence)) return entryHash(entry.bytes);
  return undefined;
}

async function allCheckpoints(store: AuditStore): Promise<Checkpoint[]> {
  const all: Checkpoint[] = [];
  for (;;) {
    const page = await store.checkpoints(all.at(-1)?.size ?? 0n, 1000);
    if (page.length === 0) return all;
    all.push(...page);
  }
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function minOf(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
