import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { authorizeExitCodes } from "../../server/src/cli/authorize-command.js";
import { auditClient } from "../../server/src/cli/server-client.js";
import { type PeopleServer, people, startVigilForPeople } from "../support/approval-fixtures.js";
import { runVigilCli } from "../support/vigil-cli.js";
import { freePort, type VigilProcess } from "../support/vigil-process.js";

// Each CLI run starts node and tsx (about 2 s); independent runs go in parallel.
const slow = { timeout: 90_000 };

/** Format-valid, obviously synthetic. */
const githubToken = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ".slice(0, 36)}`;

let fixture: PeopleServer;
let vigil: VigilProcess;
let dir: string;

beforeAll(async () => {
  fixture = await startVigilForPeople(inject("defaultBundlePath"));
  ({ vigil, dir } = fixture);
});

afterAll(() => fixture?.stop());

const server = () => ({ VIGIL_SERVER: vigil.baseUrl });
const offboardedRead = [
  "authorize",
  "--principal",
  "repo:acme/legacy-billing:ref:refs/heads/main",
  "--principal-kind",
  "ci_job",
  "--action",
  "secret.read",
  "--resource",
  "secret:prod/deploy-key",
  "--secret",
  "DEPLOY_KEY",
];

describe("vigil record", () => {
  it(
    "records a CI step's output masked, scrubbing the values of named variables",
    slow,
    async () => {
      const session = `ci-run-${Date.now()}`;
      const password = "pw-7Hq2-Lx9v-Rk4m-unique";
      const res = await runVigilCli(
        [
          "record",
          "--principal",
          "ci:deploy",
          "--principal-kind",
          "ci_job",
          "--kind",
          "output",
          "--session",
          session,
          "--action",
          "deploy",
          "--content",
          `pushing with ${githubToken}; db login ${password}`,
          "--scrub-env",
          "DEPLOY_DB_PASSWORD",
        ],
        { ...server(), DEPLOY_DB_PASSWORD: password },
      );
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/^recorded #\d+ [0-9a-f-]{36}; 2 findings masked\n$/);

      const audit = auditClient(vigil.baseUrl, people.auditor.token);
      const { records } = await audit.queryRecords({ filter: { sessionId: session } });
      expect(records).toHaveLength(1);
      const stored = (records[0]?.contents ?? []).map((c) => String(c.body.value)).join("\n");
      expect(stored).toContain("[REDACTED:github-pat]");
      expect(stored).not.toContain(githubToken);
      expect(stored).not.toContain(password);
    },
  );

  it(
    "refuses bad flags with 2 and an unreachable server with 3, recording nothing",
    slow,
    async () => {
      const closed = `http://127.0.0.1:${await freePort()}`;
      const [badKind, noVariable, down] = await Promise.all([
        runVigilCli(["record", "--principal", "p", "--kind", "telemetry"], server()),
        runVigilCli(
          ["record", "--principal", "p", "--kind", "note", "--scrub-env", "VIGIL_TEST_UNSET"],
          server(),
        ),
        runVigilCli(["record", "--principal", "p", "--kind", "note", "--content", "x"], {
          VIGIL_SERVER: closed,
        }),
      ]);
      expect(badKind.code).toBe(2);
      expect(badKind.stderr).toContain(
        "--kind must be one of request, response, command, output, note",
      );
      expect(noVariable.code).toBe(2);
      expect(noVariable.stderr).toContain("--scrub-env VIGIL_TEST_UNSET: the variable is not set");
      expect(down.code).toBe(3);
      expect(down.stderr).toContain("nothing recorded");
    },
  );
});

describe("GitHub Actions annotations", () => {
  const actions = () => ({ ...server(), GITHUB_ACTIONS: "true" });

  it(
    "annotates a denied authorize on the run, but keeps --json output pure JSON",
    slow,
    async () => {
      const [text, json] = await Promise.all([
        runVigilCli(offboardedRead, actions()),
        runVigilCli([...offboardedRead, "--json"], actions()),
      ]);
      expect(text.code).toBe(authorizeExitCodes.deny);
      expect(text.stdout).toContain(
        "::error title=Vigil%3A denied::secret.read on secret:prod/deploy-key was denied. offboarded_identity: ",
      );
      expect(json.code).toBe(authorizeExitCodes.deny);
      expect(JSON.parse(json.stdout)).toMatchObject({ decision: "DECISION_DENY" });
    },
  );

  it("annotates each finding of a scan at its file and line, without the value", slow, async () => {
    const repo = join(dir, "repo");
    await mkdir(repo, { recursive: true });
    const file = join(repo, "deploy.sh");
    await writeFile(file, `#!/bin/sh\nexport GITHUB_TOKEN=${githubToken}\n`);
    const res = await runVigilCli(["scan", repo], actions());
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(
      `::error file=${file},line=2,col=21,title=Secret or personal data (secret.github-pat)::secret.github-pat found here`,
    );
    expect(res.stdout).not.toContain(githubToken);
  });
});

describe("credentials from flags", () => {
  it("takes the token from --token-file or --token, and refuses both at once", slow, async () => {
    const good = join(dir, "alice.token");
    const bad = join(dir, "wrong.token");
    await writeFile(good, `${people.alice.token}\n`);
    await writeFile(bad, "vgl_not_a_token\n");
    const list = ["approvals", "list", "--server", vigil.baseUrl];
    const [fromFile, inline, wrong, both] = await Promise.all([
      runVigilCli([...list, "--token-file", good]),
      runVigilCli([...list, `--token=${people.alice.token}`]),
      runVigilCli([...list, "--token-file", bad]),
      runVigilCli([...list, "--token", people.alice.token, "--token-file", good]),
    ]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(inline.code, inline.stderr).toBe(0);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/token/i);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give --token or --token-file, not both");
  });
});
