import { spawn } from "node:child_process";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { CallerSchema } from "../../../gen/vigil/v1/audit_pb.js";
import { AuthorizeRequestSchema } from "../../../gen/vigil/v1/policy_service_pb.js";
import { ConfigError, PolicyLoadError } from "../errors.js";
import { createLogger } from "../logging/logger.js";
import { projectDefaults, projectRoot } from "../main.js";
import { readBundle } from "../policy/bundle-reader.js";
import { compilePolicyDir } from "../policy/opa-compiler.js";
import { parseDecision } from "../policy/policy-decision.js";
import {
  type ActiveBundle,
  createPolicyEngine,
  type PolicyEngine,
} from "../policy/policy-engine.js";
import { createPolicyEvaluator } from "../policy/policy-evaluator.js";
import { buildAuthorizeInput } from "../policy/policy-input.js";
import {
  authorizeEntrypoint,
  optionalEntrypoints,
  requiredEntrypoints,
} from "../policy/prepare-policy.js";
import { runPolicyReplay } from "./policy-replay.js";

/** Usage of `vigil policy`. */
export const policyUsage = `Usage: vigil policy <build|test|eval|replay> [flags]

  build   compile a Rego directory into an OPA Wasm bundle
            --policy DIR (default: the bundled policies/)  --out FILE (default build/policy/bundle.tar.gz)
            --revision REV  --opa PATH
  test    run the policy's *_test.rego files with the pinned 'opa test'
            --policy DIR  --opa PATH  [-- extra opa test flags]
  eval    evaluate locally, exactly as the server would, and show the decision and reasons
            --policy DIR|FILE  --opa PATH
            --input FILE     the input document Rego sees (JSON; - for stdin)
            --request FILE   or: an AuthorizeRequest in protobuf JSON, shaped into input as the server does
            --entrypoint E   default vigil/authz/decision
            --json           print the result as JSON
  replay  re-evaluate recorded Authorize decisions against a candidate; list those that would change
            --bundle FILE|DIR  --server URL  --since T  --until T  --principal ID  --action A
            --limit N  --show N  --json  --opa PATH   (vigil policy replay --help for details)
`;

type Print = (text: string, code: number, toStderr?: boolean) => number;

/** Runs `vigil policy …`; resolves with the exit code (0 ok, 1 failure, 2 usage). */
export async function runPolicyCommand(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const [sub, ...rest] = args;
  const defaults = projectDefaults();
  // Like `vigil serve`: --opa, then VIGIL_OPA, then the project-local pinned opa.
  const paths = { policyDir: defaults.policyDir, opaPath: env.VIGIL_OPA || defaults.opaPath };
  // replay has its own, longer help; the other subcommands share the summary.
  if (sub !== "replay" && rest.includes("--help")) return print(policyUsage, 0);
  if (sub === "build") return build(rest, print, paths);
  if (sub === "test") return test(rest, paths);
  if (sub === "eval") return evaluate(rest, print, paths);
  if (sub === "replay") {
    return runPolicyReplay(rest, print, env, {
      loadPolicy: loadLocalPolicy,
      opaPath: paths.opaPath,
    });
  }
  if (sub === undefined || sub === "--help") return print(policyUsage, sub ? 0 : 2);
  return print(`vigil policy: unknown command "${sub}"\n\n${policyUsage}`, 2, true);
}

/** Where the policy and opa are when no flag says. */
interface Paths {
  policyDir: string;
  opaPath: string;
}

async function build(args: string[], print: Print, defaults: Paths): Promise<number> {
  if (args.includes("--help")) return print(policyUsage, 0);
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
    optionalEntrypoints,
    ...(values.revision ? { revision: values.revision } : {}),
  });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, bundle);
  return print(`wrote ${out} (${bundle.length} bytes)\n`, 0);
}

async function test(args: string[], defaults: Paths): Promise<number> {
  const split = args.indexOf("--");
  const own = split === -1 ? args : args.slice(0, split);
  const extra = split === -1 ? [] : args.slice(split + 1);
  const { values } = parseArgs({
    args: own,
    options: {
      policy: { type: "string", default: defaults.policyDir },
      opa: { type: "string", default: defaults.opaPath },
    },
  });
  const child = spawn(values.opa, ["test", "-v", ...extra, resolve(values.policy)], {
    stdio: "inherit",
  });
  return new Promise((done) => {
    child.once("error", (error) => {
      process.stderr.write(`vigil: cannot run ${values.opa}: ${error.message}\n`);
      done(1);
    });
    // opa test exits 1 for failing tests and 2 for errors; both are a failed check here.
    child.once("exit", (code) => done(code === 0 ? 0 : 1));
  });
}

async function evaluate(args: string[], print: Print, defaults: Paths): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      policy: { type: "string", default: defaults.policyDir },
      opa: { type: "string", default: defaults.opaPath },
      input: { type: "string" },
      request: { type: "string" },
      entrypoint: { type: "string", default: authorizeEntrypoint },
      json: { type: "boolean", default: false },
    },
  });
  if (Boolean(values.input) === Boolean(values.request)) {
    throw new ConfigError("policy eval: give exactly one of --input FILE or --request FILE");
  }
  const now = new Date();
  const input = values.input
    ? await readJson(values.input, "--input")
    : buildAuthorizeInput(
        fromJson(AuthorizeRequestSchema, await readJson(values.request as string, "--request")),
        create(CallerSchema, { id: "vigil-cli", method: "none" }),
        now,
      );

  const local = await loadLocalPolicy(values.policy, values.opa, () => now.getTime());
  const { result, provenance } = await local.engine
    .evaluate(values.entrypoint, input)
    .finally(() => local.close());

  if (values.entrypoint !== authorizeEntrypoint || result === undefined) {
    const text = result === undefined ? `${values.entrypoint} is undefined for this input` : "";
    return print(
      values.json || !text ? `${JSON.stringify(result ?? null, null, 2)}\n` : `${text}\n`,
      0,
    );
  }
  const decision = parseDecision(result, provenance);
  if (values.json) return print(`${JSON.stringify(decision, null, 2)}\n`, 0);
  const lines = [`decision: ${decision.outcome}`];
  for (const reason of decision.reasons) lines.push(`  reason ${reason.code}: ${reason.message}`);
  for (const obligation of decision.obligations) {
    lines.push(`  obligation ${JSON.stringify(obligation)}`);
  }
  if (decision.approval) {
    const rules = decision.approval.rules.map((r) => `${r.required} of ${r.group}`).join(", ");
    lines.push(
      `  approval: ${rules || "any reviewer"}, expires after ${decision.approval.ttlSeconds}s`,
    );
  }
  lines.push(`policy: revision ${provenance.revision}, entrypoint ${provenance.entrypoint}`);
  return print(`${lines.join("\n")}\n`, 0);
}

/** A policy loaded into Vigil's own engine in this process, as the server would load it. */
export interface LocalPolicy {
  /** An engine whose active bundle is the loaded policy. */
  engine: PolicyEngine;
  /** The bundle as loaded: revision, digest and entrypoints. */
  bundle: ActiveBundle;
  /** Releases the evaluator. */
  close(): Promise<void>;
}

/**
 * Loads a bundle file, or a Rego directory compiled with `opa`, into a fresh engine: the same
 * reader, checks and opa-wasm runtime as `vigil serve`, so what evaluates here evaluates there.
 * `now` is the clock for smoke evaluation and `time.now_ns`. Throws {@link PolicyLoadError}.
 */
export async function loadLocalPolicy(
  path: string,
  opaPath: string,
  now: () => number,
): Promise<LocalPolicy> {
  const policy = resolve(path);
  const info = await stat(policy).catch(() => undefined);
  if (!info) throw new PolicyLoadError(`${policy} does not exist`);
  const archive = info.isDirectory()
    ? await compilePolicyDir({
        opaPath,
        dir: policy,
        entrypoints: requiredEntrypoints,
        optionalEntrypoints,
      })
    : await readFile(policy);
  const evaluator = createPolicyEvaluator();
  const engine = createPolicyEngine({ logger: createLogger({ level: "silent" }), evaluator, now });
  try {
    const bundle = await engine.load(await readBundle(archive, policy));
    return { engine, bundle, close: () => evaluator.close() };
  } catch (error) {
    await evaluator.close();
    throw error;
  }
}

async function readJson(path: string, flag: string): Promise<JsonValue> {
  const text =
    path === "-"
      ? await readStdin()
      : await readFile(resolve(path), "utf8").catch(() => {
          throw new ConfigError(`${flag}: cannot read ${path}`);
        });
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new ConfigError(`${flag}: ${path} is not valid JSON`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
