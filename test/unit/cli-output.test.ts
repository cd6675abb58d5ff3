import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { takeCredentialFlags } from "../../server/src/cli/credential-flags.js";
import { githubAnnotation } from "../../server/src/cli/github-annotations.js";
import { createProgressLine } from "../../server/src/cli/progress-line.js";
import { ConfigError } from "../../server/src/errors.js";

describe("githubAnnotation", () => {
  it("escapes values so a path or message cannot end the workflow command early", () => {
    expect(
      githubAnnotation("error", "50% done\nnext: line", {
        file: "src/a,b:c.ts",
        line: 3,
        col: 7,
        title: "Vigil: denied",
      }),
    ).toBe(
      "::error file=src/a%2Cb%3Ac.ts,line=3,col=7,title=Vigil%3A denied::50%25 done%0Anext: line\n",
    );
    expect(githubAnnotation("warning", "plain")).toBe("::warning::plain\n");
  });
});

describe("createProgressLine", () => {
  const stream = (isTTY: boolean) => {
    const written: string[] = [];
    return { isTTY, write: (text: string) => written.push(text), written };
  };

  it("redraws at most once per interval on a terminal and clears itself", () => {
    const tty = stream(true);
    let now = 0;
    const line = createProgressLine({
      label: (n, total) => `scanning… ${n}/${total} files`,
      stream: tty,
      intervalMs: 100,
      now: () => now,
    });
    line.update(1, 10);
    now = 50;
    line.update(2, 10);
    now = 150;
    line.update(3, 10);
    line.clear();
    line.clear();
    expect(tty.written).toEqual([
      "\r\x1b[Kscanning… 1/10 files",
      "\r\x1b[Kscanning… 3/10 files",
      "\r\x1b[K",
    ]);
  });

  it("writes nothing when the stream is not a terminal (a pipe, a CI log)", () => {
    const pipe = stream(false);
    const line = createProgressLine({ label: (n) => `${n}`, stream: pipe });
    line.update(1);
    line.clear();
    expect(pipe.written).toEqual([]);
  });
});

describe("takeCredentialFlags", () => {
  it("moves --token and --token-file into VIGIL_TOKEN and leaves the rest", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vigil-cred-"));
    const file = join(dir, "token");
    await writeFile(file, "vgl_from_file\n");
    const env = { VIGIL_TOKEN: "vgl_from_env" };
    expect(await takeCredentialFlags(["list", "--token", "vgl_flag", "--json"], env)).toEqual({
      args: ["list", "--json"],
      env: { VIGIL_TOKEN: "vgl_flag" },
    });
    expect(await takeCredentialFlags([`--token-file=${file}`, "list"], env)).toEqual({
      args: ["list"],
      env: { VIGIL_TOKEN: "vgl_from_file" },
    });
    expect(await takeCredentialFlags(["list", "--", "--token", "x"], env)).toEqual({
      args: ["list", "--", "--token", "x"],
      env,
    });
  });

  it("refuses a missing value, an unreadable or empty file, and both flags", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vigil-cred-"));
    const empty = join(dir, "empty");
    await writeFile(empty, "\n");
    for (const args of [
      ["--token"],
      ["--token-file", join(dir, "missing")],
      ["--token-file", empty],
      ["--token", "a", "--token-file", empty],
    ]) {
      await expect(takeCredentialFlags(args, {})).rejects.toThrow(ConfigError);
    }
  });
});
