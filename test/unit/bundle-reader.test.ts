import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { create as createTar } from "tar";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { BundleSignatureError, PolicyLoadError } from "../../server/src/errors.js";
import { readBundle } from "../../server/src/policy/bundle-reader.js";
import { removeDir, tempDir } from "../support/vigil-process.js";

const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

/** Packs `files` into a .tar.gz the way a hand-made bundle would be, and returns its bytes. */
async function packBundle(files: Record<string, string | Buffer>): Promise<Buffer> {
  const dir = await tempDir("vigil-pack-");
  dirs.push(dir);
  const src = join(dir, "src");
  await mkdir(src);
  for (const [name, content] of Object.entries(files)) await writeFile(join(src, name), content);
  const out = join(dir, "bundle.tar.gz");
  await createTar({ gzip: true, cwd: src, file: out, portable: true }, Object.keys(files));
  return readFile(out);
}

/** Awaits a read that must fail and returns its PolicyLoadError. */
async function loadError(read: Promise<unknown>): Promise<PolicyLoadError> {
  const error = await read.then(
    () => expect.fail("expected readBundle to fail"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PolicyLoadError);
  return error as PolicyLoadError;
}

describe("readBundle on the default bundle compiled by opa", () => {
  let archive: Buffer;

  beforeAll(async () => {
    archive = await readFile(inject("defaultBundlePath"));
  });

  it("lists the Authorize entrypoint from the manifest", async () => {
    const bundle = await readBundle(archive, "default");
    expect(bundle.entrypoints).toContain("vigil/authz/decision");
  });

  it("reads the revision opa was given", async () => {
    expect((await readBundle(archive, "default")).revision).toMatch(/^src-[0-9a-f]{12}$/);
  });

  it("reads data.json as the base document", async () => {
    const { data } = await readBundle(archive, "default");
    expect(data).toMatchObject({
      vigil: { offboarded_identities: expect.arrayContaining(["svc:contractor-etl"]) },
    });
  });

  it("returns policy.wasm with its SHA-256 as the digest", async () => {
    const bundle = await readBundle(archive, "default");
    expect(bundle.wasm.subarray(0, 4)).toEqual(Buffer.from([0x00, 0x61, 0x73, 0x6d]));
    expect(bundle.digest).toBe(createHash("sha256").update(bundle.wasm).digest("hex"));
    expect(bundle.source).toBe("default");
  });
});

describe("readBundle on hand-made archives", () => {
  const wasm = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

  it("defaults data to {}, revision to '' and entrypoints to [] when the archive has only a module", async () => {
    const bundle = await readBundle(await packBundle({ "policy.wasm": wasm }), "bare");
    expect([bundle.data, bundle.revision, bundle.entrypoints]).toEqual([{}, "", []]);
  });

  it("ignores manifest entries whose entrypoint is not a string", async () => {
    const manifest = JSON.stringify({
      revision: 7,
      wasm: [{ entrypoint: "a/b", module: "/policy.wasm" }, { entrypoint: 3 }, {}],
    });
    const bundle = await readBundle(
      await packBundle({ "policy.wasm": wasm, ".manifest": manifest }),
      "odd",
    );
    expect([bundle.revision, bundle.entrypoints]).toEqual(["", ["a/b"]]);
  });

  it("rejects bytes that are not an archive", async () => {
    const error = await loadError(
      readBundle(Buffer.from("definitely not gzip".repeat(40)), "junk"),
    );
    expect(error.message).toContain("junk");
  });

  it("rejects a truncated archive as not a valid .tar.gz", async () => {
    const archive = await readFile(inject("defaultBundlePath"));
    const error = await loadError(readBundle(archive.subarray(0, archive.length / 2), "cut"));
    expect(error.message).toBe("bundle cut is not a valid .tar.gz");
  });

  it("rejects an archive without policy.wasm", async () => {
    const archive = await packBundle({ "data.json": "{}", ".manifest": "{}" });
    const error = await loadError(readBundle(archive, "no-wasm.tar.gz"));
    expect(error.message).toBe("bundle no-wasm.tar.gz has no policy.wasm");
  });

  it("rejects invalid data.json, naming the file", async () => {
    const archive = await packBundle({ "policy.wasm": wasm, "data.json": "{ not json" });
    const error = await loadError(readBundle(archive, "bad-data"));
    expect(error.message).toBe("bundle bad-data: data.json is not valid JSON");
  });

  it("rejects an invalid .manifest, naming the file", async () => {
    const archive = await packBundle({ "policy.wasm": wasm, ".manifest": "revision: 1" });
    expect((await loadError(readBundle(archive, "bad-manifest"))).message).toContain(".manifest");
  });
});

describe("readBundle with a verify step", () => {
  const wasm = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

  it("hands verify the unpacked files and keeps the key id and algorithm it reports", async () => {
    const archive = await packBundle({ "policy.wasm": wasm, "data.json": "{}" });
    let seen: string[] = [];
    const bundle = await readBundle(archive, "signed", {
      verify: async (files) => {
        seen = [...files.keys()].sort();
        return { keyId: "ci", algorithm: "EdDSA", files: files.size };
      },
    });
    expect(seen).toEqual(["data.json", "policy.wasm"]);
    expect(bundle.signature).toEqual({ keyId: "ci", algorithm: "EdDSA" });
  });

  it("verifies before parsing, so a rejected bundle's files are never read", async () => {
    const archive = await packBundle({ "data.json": "{ not json" });
    const rejected = new BundleSignatureError("bundle forged: it is not signed");
    const error = await loadError(
      readBundle(archive, "forged", { verify: () => Promise.reject(rejected) }),
    );
    expect(error).toBe(rejected);
  });

  it("wraps a verify failure that is not a PolicyLoadError", async () => {
    const archive = await packBundle({ "policy.wasm": wasm });
    const failure = new Error("verifier crashed");
    const error = await loadError(
      readBundle(archive, "odd", { verify: () => Promise.reject(failure) }),
    );
    expect([error.message, error.cause]).toEqual(["bundle odd failed verification", failure]);
  });

  it("leaves the signature unset when verify reports none", async () => {
    const archive = await packBundle({ "policy.wasm": wasm });
    const bundle = await readBundle(archive, "plain", { verify: async () => undefined });
    expect("signature" in bundle).toBe(false);
  });
});
