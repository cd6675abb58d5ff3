import { describeError, PolicyLoadError } from "../errors.js";
import { supportedHostBuiltins } from "./host-builtins.js";

/**
 * Lists the builtins an OPA Wasm module imports from the host. OPA compiles most builtins
 * into the module; the rest are listed by its `builtins()` export, which we read from a
 * throwaway instance whose imports all refuse to run. Throws {@link PolicyLoadError} for a
 * module that is not an OPA policy.
 */
export function requiredHostBuiltins(module: WebAssembly.Module): string[] {
  const memory = new WebAssembly.Memory({ initial: 5 });
  const refuse = () => {
    throw new Error("host call during builtin discovery");
  };
  // Any module that compiled gets here: one with other imports fails to link, one with other
  // exports fails to answer; both are "not an OPA policy", never a stray LinkError.
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, {
      env: {
        memory,
        opa_abort: refuse,
        opa_println: refuse,
        opa_builtin0: refuse,
        opa_builtin1: refuse,
        opa_builtin2: refuse,
        opa_builtin3: refuse,
        opa_builtin4: refuse,
      },
    });
  } catch (error) {
    throw notOpa(describeError(error), error);
  }
  const exports = instance.exports as {
    builtins?: () => number;
    opa_json_dump?: (address: number) => number;
  };
  if (!exports.builtins || !exports.opa_json_dump) throw notOpa("no builtins export");
  try {
    const address = exports.opa_json_dump(exports.builtins());
    const bytes = new Uint8Array(memory.buffer);
    const end = bytes.indexOf(0, address);
    const names = JSON.parse(new TextDecoder().decode(bytes.subarray(address, end))) as object;
    return Object.keys(names).sort();
  } catch (error) {
    throw notOpa(`listing its builtins failed: ${describeError(error)}`, error);
  }
}

function notOpa(problem: string, cause?: unknown): PolicyLoadError {
  return new PolicyLoadError(`policy.wasm is not an OPA policy module (${problem})`, { cause });
}

/**
 * Rejects a module that needs a host builtin Vigil cannot run, naming each one, so the
 * problem shows at build or load time instead of as a deny on some later request.
 */
export function assertSupportedBuiltins(module: WebAssembly.Module): void {
  const missing = requiredHostBuiltins(module).filter((name) => !supportedHostBuiltins.has(name));
  if (missing.length > 0) {
    throw new PolicyLoadError(
      `policy uses builtin${missing.length > 1 ? "s" : ""} ${missing.join(", ")}, which ` +
        `Vigil cannot run in Wasm (supported host builtins: ${[...supportedHostBuiltins].join(", ")})`,
    );
  }
}
