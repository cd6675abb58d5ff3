import { readFile } from "node:fs/promises";
import { ConfigError } from "../errors.js";

/** What {@link takeCredentialFlags} leaves for the subcommand. */
export interface WithCredentials {
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * Takes `--token TOKEN` and `--token-file FILE` (also `--flag=value`) out of a client
 * command's arguments and hands the token on as `VIGIL_TOKEN`, which every client command
 * reads; the flags win over the variable. The file form keeps the token out of `ps` and shell
 * history, so it is the one to script with.
 */
export async function takeCredentialFlags(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<WithCredentials> {
  const rest: string[] = [];
  let token: string | undefined;
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      rest.push(...args.slice(i));
      break;
    }
    const [name, inline] = arg.startsWith("--") ? splitFlag(arg) : [arg, undefined];
    if (name !== "--token" && name !== "--token-file") {
      rest.push(arg);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined || value === "") throw new ConfigError(`${name} needs a value`);
    if (name === "--token") token = value;
    else file = value;
  }
  if (token !== undefined && file !== undefined) {
    throw new ConfigError("give --token or --token-file, not both");
  }
  if (file !== undefined) {
    token = (
      await readFile(file, "utf8").catch(() => {
        throw new ConfigError(`--token-file: cannot read ${file}`);
      })
    ).trim();
    if (token === "") throw new ConfigError(`--token-file: ${file} is empty`);
  }
  return { args: rest, env: token === undefined ? env : { ...env, VIGIL_TOKEN: token } };
}

function splitFlag(arg: string): [string, string | undefined] {
  const eq = arg.indexOf("=");
  return eq < 0 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
}
