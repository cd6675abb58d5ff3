import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { type CompactJWSHeaderParameters, CompactSign } from "jose";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { BundleSignatureError, ConfigError } from "../../server/src/errors.js";
import { type PolicyBundle, readBundle } from "../../server/src/policy/bundle-reader.js";
import {
  type BundleVerifierOptions,
  createBundleVerifier,
} from "../../server/src/policy/bundle-signature.js";
import { compilePolicyDir } from "../../server/src/policy/opa-compiler.js";
import { writePolicyDir } from "../support/policy-fixtures.js";
import {
  allowPolicy,
  buildSignedBundle,
  decodeSignature,
  generatePemKeyPair,
  type PemKeyPair,
  packBundle,
  signFilesWithOpa,
  unpackBundle,
} from "../support/signing-fixtures.js";
import { removeDir } from "../support/vigil-process.js";

const source = "signed.tar.gz";

let rsa: PemKeyPair;
/** Signed by `opa build` with RS256 and no claims file: kid and keyid are both "default". */
let rs256: Buffer;

beforeAll(async () => {
  rsa = generatePemKeyPair("rsa");
  rs256 = await buildSignedBundle({ privateKey: rsa.privateKey });
});

/** Reads `archive` the way the server will: verification first, then parsing. */
function load(
  archive: Buffer,
  options: Partial<BundleVerifierOptions> = {},
): Promise<PolicyBundle> {
  const verifier = createBundleVerifier({ publicKey: rsa.publicKey, ...options });
  return readBundle(archive, source, { verify: (files) => verifier.verify(files, source) });
}

/** Awaits a load that must fail verification and returns the error's message. */
async function rejection(read: Promise<unknown>): Promise<string> {
  const error = await read.then(
    () => expect.fail("expected the bundle to be rejected"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BundleSignatureError);
  return (error as BundleSignatureError).message;
}

/** Unpacks the archive, lets `change` edit its files, and packs the result again. */
async function edit(
  archive: Buffer,
  change: (files: Map<string, Buffer>) => unknown,
): Promise<Buffer> {
  const files = await unpackBundle(archive);
  await change(files);
  return packBundle(files);
}

/** Signs `payload` as a compact JWS with `header`, the way a third-party signer would. */
function signToken(payload: unknown, header: CompactJWSHeaderParameters, key = rsa.privateKey) {
  return new CompactSign(Buffer.from(JSON.stringify(payload)))
    .setProtectedHeader(header)
    .sign(createPrivateKey(key));
}

/** Replaces the bundle's `.signatures.json` with one holding `tokens`. */
function withSignatures(files: Map<string, Buffer>, ...tokens: string[]): void {
  files.set(".signatures.json", Buffer.from(JSON.stringify({ signatures: tokens })));
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("bundles signed by opa build", () => {
  it("accepts an RS256-signed bundle and records who signed it", async () => {
    const bundle = await load(rs256);
    expect(bundle.signature).toEqual({ keyId: "default", algorithm: "RS256" });
    expect(bundle.entrypoints).toEqual(["vigil/authz/decision"]);
  });

  it("reports how many files the signature covered", async () => {
    const files = await unpackBundle(rs256);
    const verified = await createBundleVerifier({ publicKey: rsa.publicKey }).verify(files, source);
    expect(files.has(".manifest") && files.has("data.json") && files.has("authz.rego")).toBe(true);
    expect(verified).toEqual({ keyId: "default", algorithm: "RS256", files: files.size - 1 });
  });

  it("accepts an ES256-signed bundle", async () => {
    const ec = generatePemKeyPair("ec");
    const archive = await buildSignedBundle({ privateKey: ec.privateKey, algorithm: "ES256" });
    const bundle = await load(archive, { publicKey: ec.publicKey });
    expect(bundle.signature?.algorithm).toBe("ES256");
  });

  it("accepts an EdDSA-signed bundle", async () => {
    const ed = generatePemKeyPair("ed25519");
    const archive = await buildSignedBundle({ privateKey: ed.privateKey, algorithm: "EdDSA" });
    const bundle = await load(archive, { publicKey: ed.publicKey });
    expect(bundle.signature?.algorithm).toBe("EdDSA");
  });

  it("accepts the bundle unpacked and repacked without changes", async () => {
    const repacked = await edit(rs256, () => {});
    expect(repacked.equals(rs256)).toBe(false);
    expect((await load(repacked)).signature?.keyId).toBe("default");
  });
});

describe("bundles that are not what was signed", () => {
  it("rejects an unsigned bundle when a key is configured", async () => {
    const dir = await writePolicyDir(allowPolicy);
    try {
      const opaPath = inject("opaPath");
      const entrypoints = ["vigil/authz/decision"];
      const archive = await compilePolicyDir({ opaPath, dir, entrypoints });
      expect(await rejection(load(archive))).toBe(
        `bundle ${source}: it is not signed (no .signatures.json)`,
      );
    } finally {
      await removeDir(dir);
    }
  });

  it("rejects a bundle signed with a different key", async () => {
    const other = generatePemKeyPair("rsa");
    expect(await rejection(load(rs256, { publicKey: other.publicKey }))).toContain(
      "does not verify with the configured public key",
    );
  });

  it("rejects data.json changed after signing, naming the file", async () => {
    const tampered = await edit(rs256, (files) => {
      expect(files.get("data.json")?.toString().trim()).toBe("{}");
      files.set("data.json", Buffer.from('{"vigil":{"offboarded_identities":[]}}'));
    });
    expect(await rejection(load(tampered))).toBe(
      `bundle ${source}: file "data.json" does not match its signed SHA-256 digest`,
    );
  });

  it("rejects policy.wasm changed after signing", async () => {
    const tampered = await edit(rs256, (files) => {
      const wasm = Buffer.from(files.get("policy.wasm") ?? []);
      const last = wasm.length - 1;
      wasm.writeUInt8(wasm.readUInt8(last) ^ 1, last);
      files.set("policy.wasm", wasm);
    });
    expect(await rejection(load(tampered))).toContain(`file "policy.wasm" does not match`);
  });

  it("rejects a file added after signing that the signature does not list", async () => {
    const tampered = await edit(rs256, (files) => {
      files.set("extra/data.json", Buffer.from('{"allow_all": true}'));
    });
    expect(await rejection(load(tampered))).toBe(
      `bundle ${source}: file "extra/data.json" is not covered by the signature`,
    );
  });

  it("rejects a bundle missing a file the signature lists", async () => {
    const tampered = await edit(rs256, (files) => files.delete("authz.rego"));
    expect(await rejection(load(tampered))).toBe(
      `bundle ${source}: file "authz.rego" is listed in the signature but missing from the bundle`,
    );
  });

  it("verifies before parsing: a signed bundle stripped of policy.wasm fails verification", async () => {
    const tampered = await edit(rs256, (files) => files.delete("policy.wasm"));
    expect(await rejection(load(tampered))).toContain(`"policy.wasm" is listed in the signature`);
  });

  it("rejects a second .signatures.json deeper in the bundle", async () => {
    const tampered = await edit(rs256, (files) => {
      files.set("sub/.signatures.json", files.get(".signatures.json") ?? Buffer.alloc(0));
    });
    expect(await rejection(load(tampered))).toContain(
      `it has a second signatures file "sub/.signatures.json"`,
    );
  });
});

describe("key ids and scopes, with OPA's semantics", () => {
  let keyidClaim: Buffer;
  let scoped: Buffer;

  beforeAll(async () => {
    // With a claims file opa writes no kid header, so the claims decide the key id and scope.
    keyidClaim = await buildSignedBundle({
      privateKey: rsa.privateKey,
      claims: { keyid: "ci-2025" },
    });
    scoped = await buildSignedBundle({ privateKey: rsa.privateKey, claims: { scope: "write" } });
  });

  it("accepts the kid opa writes when that key id is configured", async () => {
    expect(decodeSignature(await unpackBundle(rs256)).header.kid).toBe("default");
    expect((await load(rs256, { keyId: "default" })).signature?.keyId).toBe("default");
  });

  it("rejects a key id other than the configured one, naming both", async () => {
    expect(await rejection(load(rs256, { keyId: "prod-2025" }))).toBe(
      `bundle ${source}: the signature names key id "default", expected "prod-2025"`,
    );
  });

  it("falls back to the deprecated keyid claim when the header has no kid", async () => {
    const { header, payload } = decodeSignature(await unpackBundle(keyidClaim));
    expect([header.kid, payload.keyid]).toEqual([undefined, "ci-2025"]);
    expect((await load(keyidClaim, { keyId: "ci-2025" })).signature?.keyId).toBe("ci-2025");
    expect(await rejection(load(keyidClaim, { keyId: "default" }))).toContain(
      `names key id "ci-2025", expected "default"`,
    );
  });

  it("prefers the kid header over the keyid claim", async () => {
    const resigned = await edit(rs256, async (files) => {
      const { payload } = decodeSignature(files);
      const claims = { ...payload, keyid: "claim" };
      withSignatures(files, await signToken(claims, { alg: "RS256", kid: "header" }));
    });
    expect((await load(resigned, { keyId: "header" })).signature?.keyId).toBe("header");
    expect(await rejection(load(resigned, { keyId: "claim" }))).toContain(`names key id "header"`);
  });

  it("rejects a signature naming no key id when a key id is configured", async () => {
    expect(await rejection(load(scoped, { keyId: "default", scope: "write" }))).toBe(
      `bundle ${source}: the signature names no key id, expected "default"`,
    );
  });

  it("accepts any key id, or none, when no key id is configured", async () => {
    expect((await load(scoped, { scope: "write" })).signature).toEqual({
      keyId: "",
      algorithm: "RS256",
    });
  });

  it("accepts a scoped bundle when the configured scope matches", async () => {
    expect(decodeSignature(await unpackBundle(scoped)).payload.scope).toBe("write");
    expect((await load(scoped, { scope: "write" })).entrypoints).toEqual(["vigil/authz/decision"]);
  });

  it("rejects a scope mismatch, naming both scopes", async () => {
    expect(await rejection(load(scoped, { scope: "read" }))).toBe(
      `bundle ${source}: the signature's scope "write" does not match the configured scope "read"`,
    );
  });

  it("rejects a scoped bundle when no scope is configured, as OPA does", async () => {
    expect(await rejection(load(scoped))).toContain(
      `scope "write" does not match the configured scope ""`,
    );
  });

  it("rejects an unscoped bundle when a scope is configured", async () => {
    expect(await rejection(load(rs256, { scope: "write" }))).toContain(
      `scope "" does not match the configured scope "write"`,
    );
  });
});

describe("signature tokens", () => {
  it("rejects alg none", async () => {
    const forged = await edit(rs256, (files) => {
      const { payload } = decodeSignature(files);
      withSignatures(files, `${base64url({ alg: "none", kid: "default" })}.${base64url(payload)}.`);
    });
    expect(await rejection(load(forged))).toContain(
      `the signature uses algorithm "none", which is not allowed`,
    );
  });

  it("rejects HS256 keyed with the public key PEM, the algorithm-confusion forgery", async () => {
    const forged = await edit(rs256, async (files) => {
      const { payload } = decodeSignature(files);
      const token = await new CompactSign(Buffer.from(JSON.stringify(payload)))
        .setProtectedHeader({ alg: "HS256", kid: "default" })
        .sign(Buffer.from(rsa.publicKey));
      withSignatures(files, token);
    });
    expect(await rejection(load(forged))).toContain(`algorithm "HS256", which is not allowed`);
  });

  it("rejects an algorithm the configuration leaves out", async () => {
    expect(await rejection(load(rs256, { algorithms: ["PS256"] }))).toContain(
      `algorithm "RS256", which is not allowed (allowed: PS256)`,
    );
  });

  it("rejects a payload changed after signing", async () => {
    const tampered = await edit(rs256, (files) => {
      const { signatures } = JSON.parse(files.get(".signatures.json")?.toString() ?? "");
      const [header, , signature] = (signatures[0] as string).split(".");
      const { payload } = decodeSignature(files);
      withSignatures(files, `${header}.${base64url({ ...payload, files: [] })}.${signature}`);
    });
    expect(await rejection(load(tampered))).toContain(
      "does not verify with the configured public key",
    );
  });

  it("rejects a .signatures.json holding two signatures", async () => {
    const doubled = await edit(rs256, (files) => {
      const { signatures } = JSON.parse(files.get(".signatures.json")?.toString() ?? "");
      withSignatures(files, signatures[0], signatures[0]);
    });
    expect(await rejection(load(doubled))).toContain(
      "holds 2 signatures; OPA bundles carry exactly one",
    );
  });

  it.each([
    ["not JSON", "{ signatures: [", ".signatures.json is not valid JSON"],
    ["no list", '{"signature": "x"}', 'needs a "signatures" list of JWS strings'],
    ["an empty list", '{"signatures": []}', "holds 0 signatures"],
    ["a non-JWS", '{"signatures": ["not-a-jws"]}', "the signature is not a valid compact JWS"],
  ])("rejects a .signatures.json with %s", async (_, content, problem) => {
    const broken = await edit(rs256, (files) =>
      files.set(".signatures.json", Buffer.from(content)),
    );
    expect(await rejection(load(broken))).toContain(problem);
  });

  it("rejects a signature made by a custom signing plugin", async () => {
    const plugin = await edit(rs256, (files) => {
      const config = JSON.parse(files.get(".signatures.json")?.toString() ?? "");
      expect(config.plugin).toBe("_default");
      files.set(".signatures.json", Buffer.from(JSON.stringify({ ...config, plugin: "kms" })));
    });
    expect(await rejection(load(plugin))).toContain(`names signing plugin "kms"`);
  });

  it("rejects a file hashed with an unsupported algorithm, naming both", async () => {
    const md5 = await edit(rs256, async (files) => {
      const { payload } = decodeSignature(files);
      const listed = payload.files as { name: string; algorithm: string }[];
      const changed = listed.map((f) => (f.name === "data.json" ? { ...f, algorithm: "MD5" } : f));
      withSignatures(files, await signToken({ ...payload, files: changed }, { alg: "RS256" }));
    });
    expect(await rejection(load(md5))).toContain(
      `file "data.json" is signed with unsupported hash algorithm "MD5"`,
    );
  });
});

describe("digests that match OPA's byte for byte", () => {
  it("verifies opa build's digest of a data.json with nested objects, unicode, 1.0, 1e3, big integers and unsorted keys", async () => {
    const data =
      '{"zeta": {"b": 1.0, "a": 1e3, "big": 123456789012345678901234567890, "neg": -0, "exp": 1E+2},' +
      ' "text": "h\\u00e9llo <&> \\u2028 \\ud83d\\ude00 \\t\\u0001 \\uffff \u{1d11e}",' +
      ' "\u{1f600}": "astral key", "\\uffff": "BMP key", "A": [], "a": {"y": [true, null], "x": false}}';
    const archive = await buildSignedBundle({
      privateKey: rsa.privateKey,
      files: { ...allowPolicy, "data.json": data },
    });
    const written = (await unpackBundle(archive)).get("data.json")?.toString() ?? "";
    // opa keeps every number's spelling, which the digest must then cover as written.
    for (const number of ["1.0", "1e3", "123456789012345678901234567890", "-0", "1E+2"]) {
      expect(written).toContain(number);
    }
    const bundle = await load(archive);
    expect(bundle.data).toMatchObject({ zeta: { a: 1000 }, "\u{1f600}": "astral key" });
  });

  it("verifies opa sign's digests of files kept exactly as written", async () => {
    const messy = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]), // a BOM, which OPA skips
      Buffer.from('\r\n{ "b" : [ 1.50 , -2E-3 , 1e400 ] ,\t"dup": 1, "dup": {"last": "wins"},\n'),
      Buffer.from(
        ' "esc": "\\/\\b\\f\\n\\r\\"\\\\ \\u0000 \\u007f \\uD800 \\uDC00x \\ud800\\u0041",\n',
      ),
      Buffer.from(' "raw": "'),
      Buffer.from([0xe2, 0x82, 0x41, 0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80]),
      Buffer.from(' \u2029 \u{10ffff}",\n "a": {} }\n\t '),
    ]);
    const files = await signFilesWithOpa(
      {
        "data.json": messy,
        "nested/data.json": '[{"b": 2, "a": 1}, "\\u00e9", "é"]',
        "blank/data.json": " \n",
        ".manifest": '{"revision": "r1", "roots": [""], "metadata": {"z": 1, "a": "\\u003c"}}',
        "notes.json": '{ "only data files and manifests": "are hashed as JSON" }',
        "policy.wasm": Buffer.from([0x00, 0x61, 0x73, 0x6d, 0xff, 0xfe]),
      },
      rsa.privateKey,
    );
    const verifier = createBundleVerifier({ publicKey: rsa.publicKey });
    expect((await verifier.verify(files, "opa-signed")).files).toBe(6);
  });

  it("treats reformatting and reordering as no change but a respelled number as a change, as OPA does", async () => {
    const files = await signFilesWithOpa(
      { "data.json": '{"b": {"y": 1.0, "x": [1e3, "é"]}, "a": 12345678901234567890}' },
      rsa.privateKey,
    );
    const verifier = createBundleVerifier({ publicKey: rsa.publicKey });
    files.set(
      "data.json",
      Buffer.from('{\n  "a": 12345678901234567890,\n  "b": {"x": [1e3, "\\u00e9"], "y": 1.0}\n}'),
    );
    await expect(verifier.verify(files, "reformatted")).resolves.toMatchObject({ files: 1 });
    files.set(
      "data.json",
      Buffer.from('{"a": 12345678901234567890, "b": {"x": [1e3, "é"], "y": 1}}'),
    );
    await expect(verifier.verify(files, "respelled")).rejects.toThrow(
      `bundle respelled: file "data.json" does not match its signed SHA-256 digest`,
    );
  });
});

describe("createBundleVerifier options", () => {
  /** Creates a verifier that must be refused and returns the ConfigError. */
  function configError(options: BundleVerifierOptions): ConfigError {
    try {
      createBundleVerifier(options);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    return expect.fail("expected a ConfigError");
  }

  it("refuses a private key without echoing it", () => {
    const error = configError({ publicKey: rsa.privateKey });
    expect(error.message).toBe(
      "the bundle verification key is a private key; configure its public key",
    );
  });

  it("refuses text that is not a PEM key", () => {
    const error = configError({ publicKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n" });
    expect(error.message).not.toContain("AAAA");
  });

  it.each(["none", "HS256", "ES256"])("refuses algorithm %s for an RSA key", (algorithm) => {
    const error = configError({ publicKey: rsa.publicKey, algorithms: [algorithm] });
    expect(error.message).toContain(`"${algorithm}" cannot be used with this key`);
  });

  it("refuses RSA keys shorter than 2048 bits", () => {
    const { publicKey } = generateKeyPairSync("rsa", {
      modulusLength: 1024,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    expect(configError({ publicKey }).message).toContain("2048 bits");
  });
});
