import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { describeError } from "../errors.js";
import type { Logger } from "../logging/logger.js";

/** The last good bundle of a remote source, as kept in the data dir. */
export interface PersistedBundle {
  /** The archive bytes, verified against the recorded size and SHA-256. */
  archive: Buffer;
  /** SHA-256 (hex) of the archive. */
  sha256: string;
  /** The ETag the archive was served with, when there was one. */
  etag?: string;
  /** When it was saved (ISO 8601). */
  savedAt: string;
}

/** What {@link PersistedBundleStore.save} records next to the archive. */
export interface PersistedBundleInfo {
  /** Identifies the source; {@link PersistedBundleStore.load} ignores a copy saved for another. */
  sourceKey: string;
  /** Where the archive came from, safe to show (no credentials); for operators reading the dir. */
  location: string;
  /** The ETag the archive was served with. */
  etag?: string;
}

/** Options for {@link createPersistedBundleStore}. */
export interface PersistedBundleStoreOptions {
  /** Directory that holds the copy; created on first save. Required. */
  dir: string;
  /** Where corrupt or mismatched copies are reported. Required. */
  logger: Logger;
}

/** Keeps one bundle on disk so that a restart can serve it while its source is unreachable. */
export interface PersistedBundleStore {
  /** Returns the saved bundle for `sourceKey`, or `undefined` when there is no usable copy. */
  load(sourceKey: string): Promise<PersistedBundle | undefined>;
  /** Replaces the saved bundle; atomic, so a crash leaves either the old or the new copy. */
  save(archive: Buffer, info: PersistedBundleInfo): Promise<void>;
  /** Forgets the saved bundle, e.g. because the loader rejected it. */
  discard(): Promise<void>;
}

/** The metadata file; it names the archive file, which is content-addressed. */
interface Metadata {
  version: 1;
  sourceKey: string;
  location: string;
  etag?: string;
  file: string;
  size: number;
  sha256: string;
  savedAt: string;
}

const metadataFile = "bundle.json";
const archivePattern = /^bundle-([0-9a-f]{64})\.tar\.gz$/;

/**
 * Creates the store. Each archive is written to its own file named by its SHA-256, and only
 * then is `bundle.json` switched to point at it (each write: temp file, fsync, rename, fsync of
 * the directory). Whatever step a crash interrupts, `bundle.json` names either the previous
 * archive or the new one, both complete; `load` still checks size and digest, because disks and
 * operators can break what the write order guarantees.
 */
export function createPersistedBundleStore(
  options: PersistedBundleStoreOptions,
): PersistedBundleStore {
  const { dir, logger } = options;
  const log = logger.child({ persistDir: dir });

  async function readMetadata(): Promise<Metadata | undefined> {
    let text: string;
    try {
      text = await readFile(join(dir, metadataFile), "utf8");
    } catch (error) {
      if (isNotFound(error)) {
        // Archives without metadata are what a save interrupted before its first metadata write
        // leaves behind; nothing says which source they came from.
        const names = await readdir(dir).catch(() => []);
        if (names.some((name) => archivePattern.test(name)))
          log.warn("persisted bundle archive has no metadata; ignoring it");
        return undefined;
      }
      log.warn({ err: describeError(error) }, "cannot read persisted bundle metadata; ignoring it");
      return undefined;
    }
    const metadata = parseMetadata(text);
    if (!metadata) log.warn("persisted bundle metadata is corrupt; ignoring it");
    return metadata;
  }

  return {
    async load(sourceKey) {
      const metadata = await readMetadata();
      if (!metadata) return undefined;
      if (metadata.sourceKey !== sourceKey) {
        log.info(
          { savedFor: metadata.location },
          "persisted bundle was saved for a different source; ignoring it",
        );
        return undefined;
      }
      let archive: Buffer;
      try {
        archive = await readFile(join(dir, metadata.file));
      } catch (error) {
        log.warn(
          { err: describeError(error) },
          "persisted bundle archive is unreadable; ignoring it",
        );
        return undefined;
      }
      if (archive.length !== metadata.size || sha256(archive) !== metadata.sha256) {
        log.warn(
          { expectedBytes: metadata.size, actualBytes: archive.length },
          "persisted bundle archive does not match its recorded size and digest; ignoring it",
        );
        return undefined;
      }
      return {
        archive,
        sha256: metadata.sha256,
        ...(metadata.etag === undefined ? {} : { etag: metadata.etag }),
        savedAt: metadata.savedAt,
      };
    },

    async save(archive, info) {
      await mkdir(dir, { recursive: true });
      const digest = sha256(archive);
      const file = `bundle-${digest}.tar.gz`;
      await writeAtomically(dir, file, archive);
      const metadata: Metadata = {
        version: 1,
        sourceKey: info.sourceKey,
        location: info.location,
        ...(info.etag === undefined ? {} : { etag: info.etag }),
        file,
        size: archive.length,
        sha256: digest,
        savedAt: new Date().toISOString(),
      };
      await writeAtomically(dir, metadataFile, Buffer.from(`${JSON.stringify(metadata)}\n`));
      await removeLeftovers(dir, file);
    },

    async discard() {
      // The metadata goes first: without it the archive is invisible, so a crash in between
      // leaves only an orphan that the next save removes.
      await rm(join(dir, metadataFile), { force: true });
      await syncDir(dir);
      await removeLeftovers(dir, undefined);
    },
  };
}

function parseMetadata(text: string): Metadata | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const valid =
    m.version === 1 &&
    typeof m.sourceKey === "string" &&
    typeof m.location === "string" &&
    (m.etag === undefined || typeof m.etag === "string") &&
    typeof m.file === "string" &&
    // The file name is read from disk: it must not point outside the directory.
    archivePattern.exec(m.file)?.[1] === m.sha256 &&
    typeof m.size === "number" &&
    typeof m.savedAt === "string";
  return valid ? (value as Metadata) : undefined;
}

/** Writes `name` so that readers see either its old content or all of `data`, never a part. */
async function writeAtomically(dir: string, name: string, data: Buffer): Promise<void> {
  const temp = join(dir, `.${name}.${randomUUID()}.tmp`);
  try {
    const handle = await open(temp, "w", 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, name));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  // Makes the rename itself durable before anything that depends on it is written.
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
  }
}

/** Removes archives other than `keep` and temp files that an interrupted write left behind. */
async function removeLeftovers(dir: string, keep: string | undefined): Promise<void> {
  const names = await readdir(dir).catch(() => []);
  const stale = names.filter(
    (name) => name !== keep && (archivePattern.test(name) || name.endsWith(".tmp")),
  );
  await Promise.all(stale.map((name) => rm(join(dir, name), { force: true })));
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}
