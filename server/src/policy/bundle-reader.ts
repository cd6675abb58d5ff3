import { createHash } from "node:crypto";
import { Parser, type ReadEntry } from "tar";
import { PolicyLoadError } from "../errors.js";

/** A policy bundle in OPA's format, read into memory. */
export interface PolicyBundle {
  /** Revision from `.manifest`; empty when the manifest has none. */
  revision: string;
  /** Entrypoints listed in the manifest's `wasm` section, e.g. `vigil/authz/decision`. */
  entrypoints: string[];
  /** The compiled policy module. */
  wasm: Buffer;
  /** The bundle's base document (`data.json`), `{}` when absent. */
  data: unknown;
  /** SHA-256 (hex) of `policy.wasm`. */
  digest: string;
  /** Where the bundle came from, for status and logs. */
  source: string;
  /** The verified signature, when {@link ReadBundleOptions.verify} checked one. */
  signature?: BundleSignature;
}

/** Who signed a bundle, as shown in status. */
export interface BundleSignature {
  /** The key id the signature names (or the configured one); empty when neither has one. */
  keyId: string;
  /** The JWS algorithm, e.g. `RS256`. */
  algorithm: string;
}

/** Options for {@link readBundle}. */
export interface ReadBundleOptions {
  /**
   * Checks the unpacked files (by path, without a leading slash) before anything in them is
   * parsed, so a rejected bundle's wasm is never touched; its rejection rejects the read. When
   * it resolves to a {@link BundleSignature} (as `BundleVerifier.verify` does), that becomes
   * the bundle's `signature`. Default: no check.
   */
  verify?: ((files: ReadonlyMap<string, Buffer>) => Promise<unknown>) | undefined;
}

/** Upper bound on the unpacked size of a bundle, so a hostile archive cannot exhaust memory. */
const maxUnpackedBytes = 256 * 1024 * 1024;

interface Manifest {
  revision?: unknown;
  wasm?: { entrypoint?: unknown; module?: unknown }[];
}

/**
 * Reads an OPA bundle (`.tar.gz` with `.manifest`, `/policy.wasm`, `/data.json`). Throws
 * {@link PolicyLoadError}, or what `options.verify` throws when that is a PolicyLoadError.
 */
export async function readBundle(
  archive: Buffer,
  source: string,
  options: ReadBundleOptions = {},
): Promise<PolicyBundle> {
  const files = await untar(archive, source);
  const signature = options.verify ? await runVerify(options.verify, files, source) : undefined;
  const wasm = files.get("policy.wasm");
  if (!wasm) throw new PolicyLoadError(`bundle ${source} has no policy.wasm`);
  const manifest = parseJson<Manifest>(files.get(".manifest"), ".manifest", source) ?? {};
  const entrypoints = (manifest.wasm ?? [])
    .map((entry) => entry.entrypoint)
    .filter((entry): entry is string => typeof entry === "string");
  return {
    revision: typeof manifest.revision === "string" ? manifest.revision : "",
    entrypoints,
    wasm,
    data: parseJson(files.get("data.json"), "data.json", source) ?? {},
    digest: createHash("sha256").update(wasm).digest("hex"),
    source,
    ...(signature && { signature }),
  };
}

async function runVerify(
  verify: NonNullable<ReadBundleOptions["verify"]>,
  files: ReadonlyMap<string, Buffer>,
  source: string,
): Promise<BundleSignature | undefined> {
  let result: unknown;
  try {
    result = await verify(files);
  } catch (error) {
    if (error instanceof PolicyLoadError) throw error;
    throw new PolicyLoadError(`bundle ${source} failed verification`, { cause: error });
  }
  // Copy only the two fields, so a verifier's richer result does not leak into status.
  if (typeof result !== "object" || result === null) return undefined;
  const { keyId, algorithm } = result as Partial<Record<keyof BundleSignature, unknown>>;
  return typeof keyId === "string" && typeof algorithm === "string"
    ? { keyId, algorithm }
    : undefined;
}

function untar(archive: Buffer, source: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  let total = 0;
  return new Promise((resolve, reject) => {
    const fail = (error: unknown) =>
      reject(new PolicyLoadError(`bundle ${source} is not a valid .tar.gz`, { cause: error }));
    const parser = new Parser({
      onReadEntry: (entry: ReadEntry) => {
        const chunks: Buffer[] = [];
        entry.on("data", (chunk: Buffer) => {
          total += chunk.length;
          if (total > maxUnpackedBytes) {
            parser.abort(new Error(`unpacked size exceeds ${maxUnpackedBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        entry.on("end", () => {
          if (entry.type === "File")
            files.set(entry.path.replace(/^\/+/, ""), Buffer.concat(chunks));
        });
      },
    });
    parser.on("error", fail);
    parser.on("abort", fail);
    parser.on("end", () => resolve(files));
    parser.end(archive);
  });
}

function parseJson<T>(bytes: Buffer | undefined, name: string, source: string): T | undefined {
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8")) as T;
  } catch (error) {
    throw new PolicyLoadError(`bundle ${source}: ${name} is not valid JSON`, { cause: error });
  }
}
