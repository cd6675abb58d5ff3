import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PolicyLoadError } from "../../server/src/errors.js";
import { compilePolicyDir } from "../../server/src/policy/opa-compiler.js";
import {
  assertSupportedBuiltins,
  requiredHostBuiltins,
} from "../../server/src/policy/wasm-builtins.js";
import { buildWithOpa, writePolicyDir } from "../support/policy-fixtures.js";
import { removeDir } from "../support/vigil-process.js";

/** A one-rule policy in `package fixture`, answered by the `fixture/result` entrypoint. */
const policy = (body: string) => ({
  "fixture.rego": `package fixture\n\nimport rego.v1\n\nresult := ${body}\n`,
});
const entrypoint = "fixture/result";

/**
 * Fixtures built with opa directly, skipping Vigil's builtin check, so the module under test
 * can need builtins Vigil refuses.
 */
const fixtures = {
  hostBuiltins: policy(
    '{"at": time.now_ns(), "label": sprintf("%s!", [input.name]), "digest": crypto.sha256(input.name)}',
  ),
  nativeOnly: policy(
    '{"prefixed": startswith(input.name, "ci-"), "length": count(input.name), "matches": regex.match("^[a-z]+$", input.name)}',
  ),
  vigilSupported: policy(
    '[time.now_ns(), time.parse_rfc3339_ns(input.at), time.parse_duration_ns(input.ttl), units.parse_bytes(input.size), sprintf("%d", [1])]',
  ),
  unsupported: policy(
    '{"digest": crypto.sha256(input.name), "fetched": http.send({"method": "GET", "url": input.url}), "now": time.now_ns()}',
  ),
  httpSend: policy('http.send({"method": "GET", "url": "https://example.com"}).status_code'),
};

const modules = {} as Record<keyof typeof fixtures, WebAssembly.Module>;
const dirs: string[] = [];

async function policyDir(files: Record<string, string>): Promise<string> {
  const dir = await writePolicyDir(files);
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  for (const [name, files] of Object.entries(fixtures)) {
    const bundle = await buildWithOpa(await policyDir(files), [entrypoint]);
    modules[name as keyof typeof fixtures] = await WebAssembly.compile(bundle.wasm);
  }
});

afterAll(async () => {
  // buildWithOpa leaves its archive beside the directory.
  await Promise.all(
    dirs.flatMap((dir) => [removeDir(dir), rm(`${dir}-raw.tar.gz`, { force: true })]),
  );
});

/** Wasm bytes written as hex, spaces ignored. */
const wasm = (...hex: string[]) =>
  new Uint8Array(Buffer.from(hex.join("").replaceAll(" ", ""), "hex"));

/** Hand-assembled Wasm modules that compile but are not OPA policies. */
const notOpa = {
  /** Just the header (`\0asm`, version 1): a valid module with no imports and no exports. */
  empty: wasm("00 61 73 6d 01 00 00 00"),
  /** Imports a function `env.nope` that the OPA host interface does not have. */
  foreignImport: wasm(
    "00 61 73 6d 01 00 00 00",
    "01 04 01 60 00 00", // type section: one type, () -> ()
    "02 0c 01 03 656e76 04 6e6f7065 00 00", // import section: "env" "nope", function of type 0
  ),
};

/** Runs `check` and returns the PolicyLoadError it must throw. */
function loadError(check: () => unknown): PolicyLoadError {
  let error: unknown;
  try {
    check();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PolicyLoadError);
  return error as PolicyLoadError;
}

describe("requiredHostBuiltins", () => {
  it("lists exactly the builtins the module calls on the host, sorted", () => {
    expect(requiredHostBuiltins(modules.hostBuiltins)).toEqual([
      "crypto.sha256",
      "sprintf",
      "time.now_ns",
    ]);
  });

  it("lists nothing for a policy whose builtins are all compiled into the module", () => {
    expect(requiredHostBuiltins(modules.nativeOnly)).toEqual([]);
  });

  it("rejects a module with no OPA exports as not an OPA policy", async () => {
    const module = await WebAssembly.compile(notOpa.empty);
    expect(loadError(() => requiredHostBuiltins(module)).message).toBe(
      "policy.wasm is not an OPA policy module (no builtins export)",
    );
  });

  it("rejects a module importing what OPA's host interface lacks as not an OPA policy", async () => {
    const module = await WebAssembly.compile(notOpa.foreignImport);
    const error = loadError(() => requiredHostBuiltins(module));
    expect(error.message).toMatch(/^policy\.wasm is not an OPA policy module \(.*nope/);
    expect((error.cause as Error).name).toBe("LinkError");
  });
});

describe("assertSupportedBuiltins", () => {
  it("accepts a module that needs only Vigil's host builtins", () => {
    expect(requiredHostBuiltins(modules.vigilSupported)).toEqual([
      "sprintf",
      "time.now_ns",
      "time.parse_duration_ns",
      "time.parse_rfc3339_ns",
      "units.parse_bytes",
    ]);
    expect(() => assertSupportedBuiltins(modules.vigilSupported)).not.toThrow();
  });

  it("accepts a module that needs no host builtins", () => {
    expect(() => assertSupportedBuiltins(modules.nativeOnly)).not.toThrow();
  });

  it("names every unsupported builtin, and only those", () => {
    const { message } = loadError(() => assertSupportedBuiltins(modules.unsupported));
    expect(message).toMatch(
      /^policy uses builtins crypto\.sha256, http\.send, which Vigil cannot run in Wasm \(supported host builtins: /,
    );
    expect(message.split("(supported")[0]).not.toContain("time.now_ns");
  });

  it("names a single unsupported builtin in the singular", () => {
    expect(loadError(() => assertSupportedBuiltins(modules.hostBuiltins)).message).toMatch(
      /^policy uses builtin crypto\.sha256, which Vigil cannot run in Wasm/,
    );
  });

  it("rejects a module that is not an OPA policy with PolicyLoadError", async () => {
    const module = await WebAssembly.compile(notOpa.empty);
    loadError(() => assertSupportedBuiltins(module));
  });
});

describe("compilePolicyDir", () => {
  it("refuses a policy that calls http.send, naming it", async () => {
    const dir = await policyDir(fixtures.httpSend);
    const error = await compilePolicyDir({
      opaPath: inject("opaPath"),
      dir,
      entrypoints: [entrypoint],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyLoadError);
    expect((error as Error).message).toMatch(/^policy uses builtin http\.send, which Vigil/);
  });
});
