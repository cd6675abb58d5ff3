import { existsSync, readdirSync, statSync } from "node:fs";
import { open as openFile } from "node:fs/promises";
import { join } from "node:path";
import { StoreCorruptedError } from "../errors.js";

// LMDB's meta pages (pages 0 and 1) as lmdb-js 3 builds them (LMDB 1.0 page header, 24 bytes):
// magic, version, map address, map size, two 48-byte database records (the free list's
// `md_pad` holds the page size), then the last used page and the transaction id.
const metaMagic = 0xbeefc0de;
const magicOffset = 24;
const pageSizeOffset = 48;
const lastPageOffset = 144;
const txnIdOffset = 152;
const metaBytes = txnIdOffset + 8;

/** What the newest valid meta page says about the file. */
interface MetaPage {
  pageSize: number;
  lastPage: number;
  txnId: bigint;
}

/**
 * Checks an LMDB environment directory before it is opened. LMDB maps the file into memory,
 * so a truncated `data.mdb` crashes the process (SIGBUS) on first read instead of failing
 * cleanly, and a deleted one would silently become a new empty log. Throws
 * `StoreCorruptedError` naming the problem; a directory with no LMDB files at all is fine
 * (a new store).
 */
export async function checkLmdbFiles(dir: string): Promise<void> {
  const dataFile = join(dir, "data.mdb");
  if (!existsSync(dataFile)) {
    const leftovers = existsSync(dir) ? readdirSync(dir) : [];
    if (leftovers.length > 0) {
      throw new StoreCorruptedError(
        `audit store ${dir} has ${leftovers.join(", ")} but no data.mdb; refusing to start a new ` +
          "empty log over it (move the directory aside to start afresh)",
      );
    }
    return;
  }
  const size = statSync(dataFile).size;
  const meta = await readMeta(dataFile, size);
  if (!meta) {
    throw new StoreCorruptedError(
      `audit store ${dataFile} is not an LMDB file (no valid meta page); refusing to start`,
    );
  }
  const needed = (meta.lastPage + 1) * meta.pageSize;
  if (size < needed) {
    throw new StoreCorruptedError(
      `audit store ${dataFile} is truncated: ${size} bytes, but its last transaction uses ` +
        `${needed}; refusing to start (restore it from a backup)`,
    );
  }
}

async function readMeta(file: string, size: number): Promise<MetaPage | undefined> {
  const handle = await openFile(file, "r");
  try {
    const first = Buffer.alloc(Math.min(size, metaBytes));
    await handle.read(first, 0, first.length, 0);
    const zero = parseMeta(first);
    if (!zero) return undefined;
    // The second meta page sits one page later; the newer of the two is current.
    const second = Buffer.alloc(metaBytes);
    const { bytesRead } = await handle.read(second, 0, metaBytes, zero.pageSize);
    const one = bytesRead === metaBytes ? parseMeta(second) : undefined;
    return one && one.txnId > zero.txnId ? one : zero;
  } finally {
    await handle.close();
  }
}

function parseMeta(page: Buffer): MetaPage | undefined {
  if (page.length < metaBytes || page.readUInt32LE(magicOffset) !== metaMagic) return undefined;
  const pageSize = page.readUInt32LE(pageSizeOffset);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return undefined;
  return {
    pageSize,
    lastPage: Number(page.readBigUInt64LE(lastPageOffset)),
    txnId: page.readBigUInt64LE(txnIdOffset),
  };
}
