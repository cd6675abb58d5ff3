import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { create as createTar, Parser, type ReadEntry } from "tar";
import { inject } from "vitest";
import { authzModule } from "./policy-fixtures.js";
import { removeDir, tempDir } from "./vigil-process.js";

const run = promisify(execFile);

/** A freshly generated key pair in PEM: PKCS#8 private key, SPKI public key. */
export interface PemKeyPair {
  privateKey: string;
  publicKey: string;
}

/** Generates a signing key pair: RSA 2048, ECDSA P-256 or Ed25519. */
export function generatePemKeyPair(type: "rsa" | "ec" | "ed25519"): PemKeyPair {
  const publicKeyEncoding = { type: "spki", format: "pem" } as const;
  const privateKeyEncoding = { type: "pkcs8", format: "pem" } as const;
  if (type === "rsa") {
    return generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding,
      privateKeyEncoding,
    });
  }
  if (type === "ec") {
    return generateKeyPairSync("ec", {
      namedCurve: "P-256",
      publicKeyEncoding,
      privateKeyEncoding,
    });
  }
  return generateKeyPairSync("ed25519", { publicKeyEncoding, privateKeyEncoding });
}

/** The smallest policy with the Authorize entrypoint: every request is allowed. */
export const allowPolicy = authzModule('decision := {"decision": "allow"}');

/** Options for {@link buildSignedBundle}. */
export interface SignedBundleOptions {
  /** PEM private key handed to `--signing-key`. */
  privateKey: string;
  /** `--signing-alg`. Default: `RS256`, opa's default. */
  algorithm?: string;
  /** Written to a file for `--claims-file`; opa then puts no key id in the token. Default: none. */
  claims?: Record<string, unknown>;
  /** The bundle directory's files (path → content). Default: {@link allowPolicy}. */
  files?: Record<string, string | Buffer>;
}

/**
 * Compiles and signs a wasm bundle with the real opa:
 * `opa build -b -t wasm -e vigil/authz/decision --signing-key … -o bundle.tar.gz .`
 */
export async function buildSignedBundle(options: SignedBundleOptions): Promise<Buffer> {
  const work = await tempDir("vigil-sign-");
  try {
    const dir = join(work, "bundle");
    await writeFiles(dir, options.files ?? allowPolicy);
    await writeFile(join(work, "signing.pem"), options.privateKey);
    const args = ["build", "-b", "-t", "wasm", "-e", "vigil/authz/decision"];
    args.push("--signing-key", "../signing.pem", "--signing-alg", options.algorithm ?? "RS256");
    if (options.claims) {
      await writeFile(join(work, "claims.json"), JSON.stringify(options.claims));
      args.push("--claims-file", "../claims.json");
    }
    // Building from inside the directory keeps module paths in the bundle relative ("authz.rego").
    await run(inject("opaPath"), [...args, "-o", "../bundle.tar.gz", "."], { cwd: dir });
    return await readFile(join(work, "bundle.tar.gz"));
  } finally {
    await removeDir(work);
  }
}

/**
 * Signs `files` as they are with `opa sign --bundle` (no compilation, so data files keep their
 * exact bytes) and returns them with the `.signatures.json` opa wrote.
 */
export async function signFilesWithOpa(
  files: Record<string, string | Buffer>,
  privateKey: string,
): Promise<Map<string, Buffer>> {
  const work = await tempDir("vigil-opa-sign-");
  try {
    const dir = join(work, "bundle");
    await writeFiles(dir, files);
    await writeFile(join(work, "signing.pem"), privateKey);
    await run(
      inject("opaPath"),
      ["sign", "-b", "--signing-key", "../signing.pem", "-o", ".", "."],
      {
        cwd: dir,
      },
    );
    const signed = new Map(Object.entries(files).map(([name, body]) => [name, Buffer.from(body)]));
    return signed.set(".signatures.json", await readFile(join(dir, ".signatures.json")));
  } finally {
    await removeDir(work);
  }
}

/** Unpacks a `.tar.gz` into path → bytes, leading slashes dropped, as `readBundle` does. */
export function unpackBundle(archive: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  return new Promise((resolve, reject) => {
    const parser = new Parser({
      onReadEntry: (entry: ReadEntry) => {
        const chunks: Buffer[] = [];
        entry.on("data", (chunk: Buffer) => chunks.push(chunk));
        entry.on("end", () => {
          if (entry.type === "File")
            files.set(entry.path.replace(/^\/+/, ""), Buffer.concat(chunks));
        });
      },
    });
    parser.on("error", reject);
    parser.on("end", () => resolve(files));
    parser.end(archive);
  });
}

/** Packs path → bytes into a `.tar.gz`, one entry per file, in the map's order. */
export async function packBundle(files: ReadonlyMap<string, Buffer | string>): Promise<Buffer> {
  const work = await tempDir("vigil-repack-");
  try {
    await writeFiles(join(work, "files"), Object.fromEntries(files));
    const out = join(work, "bundle.tar.gz");
    await createTar({ gzip: true, cwd: join(work, "files"), file: out, portable: true }, [
      ...files.keys(),
    ]);
    return await readFile(out);
  } finally {
    await removeDir(work);
  }
}

/** The decoded header and payload of the bundle's one signature. */
export function decodeSignature(files: ReadonlyMap<string, Buffer>): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const { signatures } = JSON.parse(files.get(".signatures.json")?.toString() ?? "{}");
  const [header, payload] = (signatures[0] as string)
    .split(".")
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, "base64url").toString()));
  return { header, payload };
}

async function writeFiles(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
}
