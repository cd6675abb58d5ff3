import { readFile } from "node:fs/promises";
import { ContentKind, PrincipalKind } from "../../../gen/vigil/v1/common_pb.js";
import { ConfigError, describeError } from "../errors.js";

/** The flags naming who acts, on what, with which content: shared by authorize and record. */
export const subjectFlagOptions = {
  server: { type: "string" },
  principal: { type: "string" },
  "principal-kind": { type: "string", default: "service" },
  resource: { type: "string" },
  attr: { type: "string", multiple: true, default: [] as string[] },
  content: { type: "string" },
  "content-file": { type: "string" },
  json: { type: "boolean", default: false },
} as const;

/** `--principal-kind`: user, service, ci_job or agent. */
export function principalKindFlag(value: string): PrincipalKind {
  const kind = PrincipalKind[value.toUpperCase() as keyof typeof PrincipalKind];
  if (typeof kind !== "number" || kind === PrincipalKind.UNSPECIFIED) {
    throw new ConfigError("--principal-kind must be user, service, ci_job or agent");
  }
  return kind;
}

/** `--resource KIND:ID` with its `--attr KEY=VALUE` attributes. */
export function resourceFlag(
  value: string,
  attrs: string[],
): { kind: string; id: string; attributes: Record<string, string> } {
  const [kind, ...rest] = value.split(":");
  const id = rest.join(":");
  if (!kind || !id) throw new ConfigError("--resource must be KIND:ID");
  const attributes: Record<string, string> = {};
  for (const pair of attrs) {
    const at = pair.indexOf("=");
    if (at < 1) throw new ConfigError(`--attr ${JSON.stringify(pair)} must be KEY=VALUE`);
    attributes[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { kind, id, attributes };
}

/** `--content-kind`: prompt, completion, command, sql, log, … */
export function contentKindFlag(value: string): ContentKind {
  const kind = ContentKind[value.toUpperCase() as keyof typeof ContentKind];
  if (typeof kind !== "number" || kind === ContentKind.UNSPECIFIED) {
    throw new ConfigError(`--content-kind ${JSON.stringify(value)} is not a content kind`);
  }
  return kind;
}

/** The text of `--content TEXT` or `--content-file FILE` (`-` for stdin); undefined for neither. */
export async function contentFlags(values: {
  content?: string | undefined;
  "content-file"?: string | undefined;
}): Promise<string | undefined> {
  if (values.content !== undefined && values["content-file"] !== undefined) {
    throw new ConfigError("give --content or --content-file, not both");
  }
  const file = values["content-file"];
  if (file === undefined) return values.content;
  return readFile(file === "-" ? "/dev/stdin" : file, "utf8").catch((error: unknown) => {
    throw new ConfigError(`--content-file ${file}: ${describeError(error)}`);
  });
}
