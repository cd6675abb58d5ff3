import { parseArgs } from "node:util";
import { newApiToken, tokenHash } from "../auth/api-tokens.js";
import { ConfigError } from "../errors.js";
import type { Print } from "./audit-output.js";

/** Usage of `vigil token`. */
export const tokenUsage = `Usage: vigil token create --id ID [--role ROLE]... [--group GROUP]... [--json]

Makes a new random API token and prints it once, with the [[tokens]] entry to add to the
server's --auth-tokens file. The file keeps only the token's SHA-256; store the token itself
where its holder reads it (e.g. VIGIL_TOKEN in a CI secret).

  --id ID        identity the token proves, e.g. alice@example.com or ci:deploy (required)
  --role ROLE    repeatable: client, approver, auditor, admin
  --group GROUP  repeatable: reviewer groups, e.g. sre-oncall
  --json         {"token", "entry"} for scripts
`;

/** Runs `vigil token create`. */
export async function runTokenCommand(args: string[], print: Print): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "--help" || sub === "help" || rest.includes("--help")) return print(tokenUsage, 0);
  if (sub !== "create") return print(tokenUsage, 2, true);
  const { values } = parseArgs({
    args: rest,
    options: {
      id: { type: "string" },
      role: { type: "string", multiple: true, default: [] },
      group: { type: "string", multiple: true, default: [] },
      json: { type: "boolean", default: false },
    },
  });
  if (!values.id) throw new ConfigError("token create: --id is required");
  const token = newApiToken();
  const entry = [
    "[[tokens]]",
    `id = ${JSON.stringify(values.id)}`,
    `sha256 = "${tokenHash(token)}"`,
    `roles = ${JSON.stringify(values.role)}`,
    `groups = ${JSON.stringify(values.group)}`,
  ].join("\n");
  if (values.json) return print(`${JSON.stringify({ token, entry })}\n`, 0);
  return print(`token: ${token}\n\nadd to the tokens file:\n${entry}\n`, 0);
}
