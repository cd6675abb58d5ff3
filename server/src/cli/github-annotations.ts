/** Where an annotation points, in the repository checked out by the job. */
export interface AnnotationPlace {
  file?: string;
  line?: number;
  col?: number;
  title?: string;
}

/** Whether the command runs as a GitHub Actions step (which reads workflow commands on stdout). */
export function inGithubActions(env: NodeJS.ProcessEnv): boolean {
  return env.GITHUB_ACTIONS === "true";
}

/**
 * A GitHub Actions workflow command (`::error file=…,line=…::message`) that shows on the run's
 * summary and, with a file, on the pull request's diff. Values are escaped as the runner
 * expects, so a path or message with a newline or comma cannot end the command early. The
 * message must never hold a secret value; callers pass detector ids and reason codes.
 */
export function githubAnnotation(
  level: "error" | "warning" | "notice",
  message: string,
  place: AnnotationPlace = {},
): string {
  const props = (["file", "line", "col", "title"] as const)
    .filter((key) => place[key] !== undefined && place[key] !== "")
    .map((key) => `${key}=${escapeProperty(String(place[key]))}`);
  return `::${level}${props.length > 0 ? ` ${props.join(",")}` : ""}::${escapeData(message)}\n`;
}

function escapeData(value: string): string {
  return value.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

function escapeProperty(value: string): string {
  return escapeData(value).replaceAll(":", "%3A").replaceAll(",", "%2C");
}
