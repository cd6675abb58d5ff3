import { execFileSync } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { projectRoot } from "../../server/src/main.js";

/** Where browser tests leave screenshots for people to look at (gitignored). */
export const artifactDir = join(projectRoot, "test-results", "console");

/**
 * Launches Debian's chromium (installed by `scripts/setup-debian.sh`) headless through
 * playwright-core, or the binary named by VIGIL_CHROMIUM.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.VIGIL_CHROMIUM ?? which("chromium");
  await mkdir(artifactDir, { recursive: true });
  return chromium.launch({ executablePath, timeout: 60_000 });
}

function which(command: string): string {
  try {
    return execFileSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(
      `${command} is not installed: run 'bash scripts/setup-debian.sh' (npm test does) or set VIGIL_CHROMIUM`,
    );
  }
}
