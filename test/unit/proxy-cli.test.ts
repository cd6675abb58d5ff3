import { afterEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../../server/src/cli/vigil.js";
import { ConfigError } from "../../server/src/errors.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("vigil proxy flags", () => {
  it("prints its usage for --help and is listed in vigil's", async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    expect(await runCli(["proxy", "--help"], {})).toBe(0);
    expect(await runCli(["--help"], {})).toBe(0);
    const [proxyUsage, vigilUsage] = out;
    expect(proxyUsage).toMatch(/^Usage: vigil proxy /);
    expect(vigilUsage).toMatch(/^ {2}proxy +an enforcing reverse proxy/m);
  });

  it.each([
    [["--api", "bedrock"], /--api must be openai or anthropic/],
    [["--api", "openai"], /--callers is required/],
    [["--api", "openai", "--callers", "c.toml", "--listen", "nowhere"], /--listen/],
    [
      ["--api", "openai", "--callers", "c.toml", "--upstream", "https://u:p@example.com"],
      /must not carry credentials/,
    ],
    [
      ["--api", "openai", "--callers", "c.toml", "--upstream", "https://example.com"],
      /exactly one of --upstream-key-file and --upstream-key-env/,
    ],
    [
      [
        ...["--api", "openai", "--callers", "c.toml", "--upstream", "https://example.com"],
        ...["--upstream-key-env", "PROXY_TEST_KEY"],
      ],
      /--upstream-key-env PROXY_TEST_KEY: the key is empty/,
    ],
  ])("refuses %j", async (args, message) => {
    await expect(runCli(["proxy", ...args], {})).rejects.toThrow(message);
    await expect(runCli(["proxy", ...args], {})).rejects.toBeInstanceOf(ConfigError);
  });

  it("never puts the key in an error message", async () => {
    const key = "zq9$x";
    const run = runCli(
      [
        ...["proxy", "--api", "openai", "--callers", "c.toml", "--upstream", "https://example.com"],
        ...["--upstream-key-env", "PROXY_TEST_KEY"],
      ],
      { PROXY_TEST_KEY: key },
    );
    await expect(run).rejects.toThrow(/shorter than 8 characters/);
    await expect(run).rejects.not.toThrow(key);
  });
});
