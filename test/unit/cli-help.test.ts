import { afterEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../../server/src/cli/vigil.js";

const commands = [
  ["serve"],
  ["authorize"],
  ["approvals"],
  ["approvals", "list"],
  ["approvals", "approve"],
  ["approvals", "watch"],
  ["token", "create"],
  ["policy"],
  ["policy", "build"],
  ["policy", "test"],
  ["policy", "eval"],
  ["policy", "replay"],
  ["redact"],
  ["scan"],
  ["record"],
  ["audit"],
  ["audit", "query"],
  ["audit", "get"],
  ["audit", "export"],
  ["audit", "verify"],
  ["audit", "checkpoints"],
  ["audit", "replay"],
  ["proxy"],
];

afterEach(() => {
  vi.restoreAllMocks();
});

describe("vigil --help", () => {
  it.each(commands.map((c) => [c.join(" "), c]))(
    "vigil %s --help prints its usage and exits 0",
    async (_, command) => {
      const out: string[] = [];
      vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
        out.push(String(chunk));
        return true;
      });
      const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
      const code = await runCli([...command, "--help"], {});
      expect(code).toBe(0);
      expect(out.join("")).toMatch(/^Usage:/m);
      expect(err).not.toHaveBeenCalled();
    },
  );
});
