import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadApiTokens } from "../auth/api-tokens.js";
import { parseListen } from "../config/server-config.js";
import { ConfigError, describeError } from "../errors.js";
import { createLogger } from "../logging/logger.js";
import { anthropicApi } from "../proxy/anthropic-api.js";
import type { LlmApi } from "../proxy/llm-api.js";
import { openAiApi } from "../proxy/openai-api.js";
import { createProxyServer } from "../proxy/proxy-server.js";
import { createVigilClients } from "../proxy/vigil-clients.js";
import type { Print } from "./audit-output.js";
import { serverUrl } from "./server-client.js";

/** Usage of `vigil proxy`. */
export const proxyUsage = `Usage: vigil proxy --upstream URL --api openai|anthropic --callers FILE
                   (--upstream-key-file FILE | --upstream-key-env NAME) [flags]

An enforcing reverse proxy in front of an LLM API. Agents point their base URL at it and hold
no provider key. Each request is authenticated, authorized (waiting for approval when the
policy asks), masked, sent upstream with the provider key, masked again on the way back
(streams too) and recorded.

  --listen HOST:PORT          where to listen (default 127.0.0.1:8787; port 0 picks one)
  --upstream URL              the provider, e.g. https://api.openai.com (required); the API's
                              path (/v1/chat/completions or /v1/messages) is appended
  --api NAME                  openai (POST /v1/chat/completions) or anthropic (POST /v1/messages)
  --upstream-key-file FILE    the provider key, read once at start (keep it unreadable to agents)
  --upstream-key-env NAME     ...or take it from this environment variable
  --callers FILE              who may call: a tokens file in the format of vigil serve
                              --auth-tokens (vigil token create); the entry's id is the
                              principal, its groups are the principal's groups, and a role
                              agent, user, service or ci_job sets its kind (default agent)
  --attr KEY=VALUE            an attribute of the llm resource Authorize sees, repeatable
                              (e.g. environment=production)
  --approval-timeout SECONDS  how long a request waits for reviewers (default 300)
  --upstream-timeout SECONDS  longest upstream silence, before and during the answer (default 120)
  --max-body-bytes N          largest request body and non-streamed answer (default 2097152)
  --log-level LEVEL           debug, info, warn, error (default VIGIL_LOG_LEVEL, then info)
  --server URL                Vigil (default VIGIL_SERVER, then http://127.0.0.1:8444); the
                              proxy's own token from --token-file, --token or VIGIL_TOKEN

Callers send their proxy token as Authorization: Bearer (OpenAI SDKs) or x-api-key
(Anthropic SDKs), and may group requests with an x-vigil-session header. Nothing is forwarded
when Vigil cannot be asked (503) or says no (403). Stops cleanly on SIGTERM or SIGINT.

Exit codes: 0 stopped by a signal, 1 could not start (e.g. the port is taken), 2 bad flags or
unreadable files.
`;

const apis: Record<string, LlmApi> = { openai: openAiApi, anthropic: anthropicApi };

/** Runs `vigil proxy` until SIGTERM or SIGINT; resolves with the exit code. */
export async function runProxy(
  args: string[],
  print: Print,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (args.includes("--help")) return print(proxyUsage, 0);
  const config = await parseProxyFlags(args, env);
  const logger = createLogger({ level: config.logLevel }).child({ component: "proxy" });
  const vigil = createVigilClients({ baseUrl: config.server, token: env.VIGIL_TOKEN });
  const server = createProxyServer({ ...config.handler, vigil, logger });
  let address: Awaited<ReturnType<typeof server.listen>>;
  try {
    address = await server.listen(config.host, config.port);
  } catch (error) {
    vigil.close();
    return print(
      `vigil proxy: cannot listen on ${config.host}:${config.port}: ${describeError(error)}\n`,
      1,
      true,
    );
  }
  logger.info(
    {
      address: address.address,
      port: address.port,
      api: config.handler.api.name,
      upstream: config.handler.upstreamUrl.origin,
      server: config.server,
    },
    "listening",
  );
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  logger.info({ signal, inFlight: server.inFlight() }, "shutting down");
  await server.close(10_000);
  vigil.close();
  logger.info("stopped");
  return 0;
}

async function parseProxyFlags(args: string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({
    args,
    options: {
      listen: { type: "string", default: "127.0.0.1:8787" },
      upstream: { type: "string" },
      api: { type: "string" },
      "upstream-key-file": { type: "string" },
      "upstream-key-env": { type: "string" },
      callers: { type: "string" },
      attr: { type: "string", multiple: true, default: [] },
      "approval-timeout": { type: "string", default: "300" },
      "upstream-timeout": { type: "string", default: "120" },
      "max-body-bytes": { type: "string", default: String(2 * 1024 * 1024) },
      "log-level": { type: "string" },
      server: { type: "string" },
    },
  });
  const api = apis[values.api ?? ""];
  if (!api || !Object.hasOwn(apis, values.api ?? "")) {
    throw new ConfigError("--api must be openai or anthropic");
  }
  if (!values.callers) throw new ConfigError("--callers is required");
  const { host, port } = parseListen(values.listen);
  const maxBodyBytes = Number(values["max-body-bytes"]);
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new ConfigError("--max-body-bytes must be a positive whole number");
  }
  return {
    host,
    port,
    server: serverUrl(values.server, env),
    logLevel: values["log-level"] ?? (env.VIGIL_LOG_LEVEL || "info"),
    handler: {
      api,
      upstreamUrl: upstreamUrl(values.upstream, api),
      upstreamKey: await upstreamKey(values["upstream-key-file"], values["upstream-key-env"], env),
      callers: await loadApiTokens(values.callers),
      resourceAttributes: attributes(values.attr),
      approvalTimeoutMs: seconds("--approval-timeout", values["approval-timeout"]),
      upstreamTimeoutMs: seconds("--upstream-timeout", values["upstream-timeout"]),
      maxBodyBytes,
    },
  };
}

/** The upstream endpoint: `--upstream` (origin, maybe a path prefix) plus the API's path. */
function upstreamUrl(value: string | undefined, api: LlmApi): URL {
  if (!value) throw new ConfigError("--upstream is required");
  let base: URL;
  try {
    base = new URL(value);
  } catch {
    throw new ConfigError("--upstream must be an http or https URL");
  }
  if (!/^https?:$/.test(base.protocol)) throw new ConfigError("--upstream must be http or https");
  if (base.username || base.password) {
    throw new ConfigError("--upstream must not carry credentials; use --upstream-key-file");
  }
  return new URL(`${base.pathname.replace(/\/+$/, "")}${api.path}`, base.origin);
}

/** The provider key from a file or a variable; never logged, never in an error message. */
async function upstreamKey(
  file: string | undefined,
  name: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  if ((file === undefined) === (name === undefined)) {
    throw new ConfigError("give exactly one of --upstream-key-file and --upstream-key-env");
  }
  const key = (
    file !== undefined
      ? await readFile(file, "utf8").catch(() => {
          throw new ConfigError(`--upstream-key-file: cannot read ${file}`);
        })
      : (env[name as string] ?? "")
  ).trim();
  const source = file !== undefined ? `--upstream-key-file ${file}` : `--upstream-key-env ${name}`;
  if (key === "") throw new ConfigError(`${source}: the key is empty`);
  // Registered for masking on every call, which Vigil accepts from 8 characters.
  if (key.length < 8) throw new ConfigError(`${source}: the key is shorter than 8 characters`);
  if (/[\r\n]/.test(key)) throw new ConfigError(`${source}: the key spans several lines`);
  return key;
}

/** `--attr KEY=VALUE` pairs as an object. */
function attributes(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at < 1) throw new ConfigError(`--attr ${JSON.stringify(pair)} must be KEY=VALUE`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new ConfigError(`${flag} must be a positive number of seconds`);
  return Math.round(n * 1000);
}
