import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { serveUsage } from "../config/server-config.js";
import { ConfigError, describeError } from "../errors.js";
import { projectDefaults, projectRoot, serve } from "../main.js";
import { compilePolicyDir } from "../policy/opa-compiler.js";
import { requiredEntrypoints } from "../policy/policy-engine.js";

const usage = `Usage: vigil <command> [flags]

Commands:
  serve          run the Vigil server (vigil serve --help for flags)
  policy build   compile a Rego directory into an OPA Wasm bundle

Run 'vigil <command> --help' for details.
`;

const policyBuildUsage = `Usage: vigil policy build [--policy DIR] [--out FILE] [--revision REV] [--opa PATH]

Compiles DIR (default: the bundled policies/) with 'opa build -t wasm' into a bundle
(default: build/policy/bundle.tar.gz) that 'vigil serve --policy FILE' loads.
`;

/** Exit codes shared by every subcommand. */
export const exitCodes = { ok: 0, usage: 2, failure: 1 } as const;

/** Runs the `vigil` command line; resolves with the process exit code (serve never resolves). */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "serve") {
    if (rest.includes("--help")) return print(serveUsage, exitCodes.ok);
    await serve(rest, env);
    return new Promise<number>(() => {}); // serve exits the process on shutdown
  }
  if (command === "policy" && rest[0] === "build") return policyBuild(rest.slice(1));
  if (command === undefined || command === "--help" || command === "help") {
    return print(usage, command === undefined ? exitCodes.usage : exitCodes.ok);
  }
  return print(`vigil: unknown command "${argv.join(" ")}"\n\n${usage}`, exitCodes.usage, true);
}

async function policyBuild(args: string[]): Promise<number> {
  if (args.includes("--help")) return print(policyBuildUsage, exitCodes.ok);
  const defaults = projectDefaults();
  const { values } = parseArgs({
    args,
    options: {
      policy: { type: "string", default: defaults.policyDir },
      out: { type: "string", default: join(projectRoot, "build/policy/bundle.tar.gz") },
      revision: { type: "string" },
      opa: { type: "string", default: defaults.opaPath },
    },
  });
  const out = resolve(values.out);
  const bundle = await compilePolicyDir({
    opaPath: values.opa,
    dir: resolve(values.policy),
    entrypoints: requiredEntrypoints,
    ...(values.revision ? { revision: values.revision } : {}),
  });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, bundle);
  return print(`wrote ${out} (${bundle.length} bytes)\n`, exitCodes.ok);
}

function print(text: string, code: number, toStderr = false): number {
  (toStderr ? process.stderr : process.stdout).write(text);
  return code;
}

/** Entry point used by `bin/vigil.js`. */
export async function main(): Promise<void> {
  try {
    process.exitCode = await runCli(process.argv.slice(2), process.env);
  } catch (error) {
    // Bad flags are usage errors (2); anything else that stops the command is a failure (1).
    const usageError =
      error instanceof ConfigError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") === true;
    process.stderr.write(`vigil: ${describeError(error)}\n`);
    process.exitCode = usageError ? exitCodes.usage : exitCodes.failure;
  }
}
