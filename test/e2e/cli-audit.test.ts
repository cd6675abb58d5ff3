import { execFile } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AuditRecordSchema, CheckpointSchema } from "../../gen/vigil/v1/audit_pb.js";
import { ContentKind, PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import { PolicyService, RecordEventKind } from "../../gen/vigil/v1/policy_service_pb.js";
import { projectRoot } from "../../server/src/main.js";
import { captureCliStderr } from "../support/process-logs.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "../support/vigil-process.js";

/** Format-valid, obviously synthetic credentials. */
const awsKeyId = `AKIA${"Q3VZ7XK2M5RTNW4P"}`;
const githubToken = `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ".slice(0, 36)}`;

const user = { id: "cli-user", kind: PrincipalKind.USER, groups: ["dev"] };
const replaySession = "cli-replay";
const unreachable = "http://127.0.0.1:1";
/**
 * Each CLI run starts node, tsx and the server's modules (about 2 s, more on a loaded 2-core
 * machine), and some tests make several: more room than the suite's default 30 s.
 */
const slow = { timeout: 90_000 };
const auditCommands = ["query", "get", "verify", "checkpoints", "export", "replay"];

let vigil: VigilProcess;
let dir: string;
/** Ids of cli-user's records, oldest first: an allowed read, a denied action, a note. */
let userIds: string[];
let replayIds: string[];

beforeAll(async () => {
  vigil = await startVigil({
    policy: inject("defaultBundlePath"),
    args: ["--audit-checkpoint-every", "5"],
  });
  dir = await tempDir("vigil-audit-cli-");
  const policy = createClient(
    PolicyService,
    createConnectTransport({ baseUrl: vigil.baseUrl, httpVersion: "1.1" }),
  );
  const allow = await policy.authorize({
    principal: user,
    action: "secret.read",
    resource: { kind: "secret", id: "staging/cli-db", attributes: { environment: "staging" } },
  });
  const deny = await policy.authorize({
    principal: user,
    action: "forbidden.cli",
    resource: { kind: "secret", id: "staging/cli-other" },
  });
  const note = await policy.record({
    event: { kind: RecordEventKind.NOTE, principal: user, action: "llm.complete" },
  });
  userIds = [allow.decisionId, deny.decisionId, note.recordId];
  // Events that happened a minute ago, 1.5 s apart, as an agent runtime would report them.
  const start = Date.now() - 60_000;
  const events = [
    [RecordEventKind.REQUEST, ContentKind.PROMPT, `deploy with key id ${awsKeyId}`],
    [RecordEventKind.RESPONSE, ContentKind.COMPLETION, "running the deploy"],
    [RecordEventKind.COMMAND, ContentKind.COMMAND, `GITHUB_TOKEN=${githubToken} ./deploy.sh`],
    [RecordEventKind.OUTPUT, ContentKind.TOOL_RESULT, "deployed\n3 services"],
  ] as const;
  async function* stream() {
    for (const [i, [kind, contentKind, text]] of events.entries()) {
      yield {
        event: {
          kind,
          principal: { id: "agent:cli", kind: PrincipalKind.AGENT },
          action: "tool.call",
          sessionId: replaySession,
          occurredAt: timestampFromDate(new Date(start + i * 1500)),
          content: { kind: contentKind, body: { case: "text" as const, value: text } },
        },
      };
    }
  }
  replayIds = (await policy.recordStream(stream())).recordIds;
});

afterAll(async () => {
  await vigil.stop();
  await removeDir(vigil.dataDir);
  await removeDir(dir);
});

function vigilCli(args: string[], server = vigil.baseUrl) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ["bin/vigil.js", ...args],
      { cwd: projectRoot, env: { ...process.env, VIGIL_SERVER: server } },
      (error, stdout, stderr) => {
        captureCliStderr(child, stderr);
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

function recordIdsOf(jsonLines: string): string[] {
  return lines(jsonLines).map((l) => fromJson(AuditRecordSchema, JSON.parse(l) as JsonValue).id);
}

describe("vigil audit query", slow, () => {
  it("prints one line per record: time, sequence, kind, decision, principal, action, resource, id", async () => {
    const result = await vigilCli(["audit", "query", "--principal", "cli-user"]);
    expect(result.code).toBe(0);
    const printed = lines(result.stdout);
    expect(printed).toHaveLength(3);
    expect(printed[0]).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z +#\\d+  decision +allow +cli-user  secret\\.read  secret/staging/cli-db  ${userIds[0]}$`,
      ),
    );
    expect(printed[1]).toMatch(/ +#\d+ {2}decision +deny +cli-user {2}forbidden\.cli {2}/);
    expect(printed[2]).toMatch(/ +#\d+ {2}event +note +cli-user {2}llm\.complete {2}- {2}/);
    expect(printed.map((l) => l.split(" ").at(-1))).toEqual(userIds);
  });

  it("prints newest first with --desc", async () => {
    const result = await vigilCli(["audit", "query", "--principal", "cli-user", "--desc"]);
    expect(lines(result.stdout).map((l) => l.split(" ").at(-1))).toEqual([...userIds].reverse());
  });

  it("prints JSON Lines of protobuf-JSON records with --json", async () => {
    const result = await vigilCli(["audit", "query", "--principal", "cli-user", "--json"]);
    expect(result.code).toBe(0);
    expect(recordIdsOf(result.stdout)).toEqual(userIds);
    const [first] = lines(result.stdout);
    expect(JSON.parse(first ?? "{}")).toMatchObject({
      kind: "AUDIT_RECORD_KIND_DECISION",
      decision: "DECISION_ALLOW",
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it("combines filters: decision, kind, session, resource, action", async () => {
    const query = async (...flags: string[]) =>
      recordIdsOf((await vigilCli(["audit", "query", "--json", ...flags])).stdout);
    expect(await query("--principal", "cli-user", "--decision", "deny")).toEqual([userIds[1]]);
    expect(await query("--kind", "event", "--session", replaySession)).toEqual(replayIds);
    expect(await query("--resource", "secret/staging/cli-db")).toEqual([userIds[0]]);
    expect(await query("--resource", "secret", "--principal", "cli-user")).toEqual(
      userIds.slice(0, 2),
    );
    expect(await query("--action", "forbidden.cli")).toEqual([userIds[1]]);
  });

  it("filters by relative ages and RFC 3339 times", async () => {
    const query = async (...flags: string[]) =>
      lines((await vigilCli(["audit", "query", "--principal", "cli-user", ...flags])).stdout);
    expect(await query("--since", "1h")).toHaveLength(3);
    expect(await query("--until", "1h")).toEqual([]);
    expect(await query("--since", "2999-01-01T00:00:00Z")).toEqual([]);
    expect(await query("--until", "2999-01-01T00:00:00+02:00")).toHaveLength(3);
  });

  it("stops at --limit, and follows pages to the end with --limit 0", async () => {
    expect(lines((await vigilCli(["audit", "query", "--limit", "2"])).stdout)).toHaveLength(2);
    const all = lines((await vigilCli(["audit", "query", "--limit", "0"])).stdout);
    expect(all.length).toBeGreaterThanOrEqual(userIds.length + replayIds.length);
    expect(all.map((l) => Number(/#(\d+)/.exec(l)?.[1]))).toEqual(all.map((_, i) => i + 1));
  });
});

describe("vigil audit get", slow, () => {
  it("shows a record's fields in a block", async () => {
    const result = await vigilCli(["audit", "get", userIds[1] ?? ""]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`id:          ${userIds[1]}\n`);
    expect(result.stdout).toMatch(/^kind: +decision$/m);
    expect(result.stdout).toMatch(/^decision: +deny$/m);
    expect(result.stdout).toMatch(/^principal: +cli-user \(user\)$/m);
    expect(result.stdout).toMatch(/^reason: +unknown_action: /m);
    expect(result.stdout).toMatch(/^hash: +[0-9a-f]{64}$/m);
  });

  it("prints protobuf JSON with --json", async () => {
    const result = await vigilCli(["audit", "get", userIds[2] ?? "", "--json"]);
    const record = fromJson(AuditRecordSchema, JSON.parse(result.stdout) as JsonValue);
    expect(record.id).toBe(userIds[2]);
    expect(record.eventKind).toBe(RecordEventKind.NOTE);
  });

  it("exits 1 for an unknown id", async () => {
    const result = await vigilCli(["audit", "get", "01890000-0000-7000-8000-000000000000"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/no audit record with id "01890000-0000-7000-8000-000000000000"/);
  });
});

describe("vigil audit verify and checkpoints", slow, () => {
  it("verifies the chain and exits 0", async () => {
    const result = await vigilCli(["audit", "verify"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^ok: \d+ entries checked \(sequences 1\.\.\d+\), \d+ checkpoints checked$/m,
    );
    expect(result.stdout).toMatch(/^head hash: [0-9a-f]{64}$/m);
  });

  it("prints the server's answer as JSON with --json", async () => {
    const result = await vigilCli(["audit", "verify", "--json", "--from", "1", "--to", "3"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true });
  });

  it("lists checkpoints, saves them atomically, and verifies against the saved file", async () => {
    const listed = await vigilCli(["audit", "checkpoints"]);
    expect(listed.code).toBe(0);
    const human = lines(listed.stdout);
    expect(human.length).toBeGreaterThanOrEqual(1);
    for (const line of human) {
      expect(line).toMatch(/^size \d+ {2}\S+ {2}head [0-9a-f]{64} {2}key [0-9a-f]{16}$/);
    }

    const out = join(dir, "checkpoints.jsonl");
    const saved = await vigilCli(["audit", "checkpoints", "--out", out]);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toBe(
      `wrote ${human.length} checkpoint${human.length === 1 ? "" : "s"} to ${out}\n`,
    );
    expect(await readdir(dir)).toEqual(["checkpoints.jsonl"]);
    const fileLines = lines(await readFile(out, "utf8"));
    expect(fileLines.length).toBe(human.length);
    for (const line of fileLines) {
      const checkpoint = fromJson(CheckpointSchema, JSON.parse(line) as JsonValue);
      expect(checkpoint.headHash).toMatch(/^[0-9a-f]{64}$/);
    }

    const verified = await vigilCli(["audit", "verify", "--checkpoints", out]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^ok: /);

    // A kept checkpoint that disagrees with the log is what a rewritten log looks like.
    const forged = join(dir, "forged.jsonl");
    const first = JSON.parse(fileLines[0] ?? "{}") as Record<string, unknown>;
    await writeFile(forged, `${JSON.stringify({ ...first, headHash: "0".repeat(64) })}\n`);
    const broken = await vigilCli(["audit", "verify", "--checkpoints", forged]);
    await removeDir(forged);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^NOT OK: \S/);
    expect(broken.stdout).toMatch(/^ {2}first bad sequence: \d+$/m);
  });

  it("refuses a checkpoint file that is not JSON Lines of checkpoints, with exit 2", async () => {
    const bad = join(dir, "bad.jsonl");
    await writeFile(bad, "not json\n");
    const result = await vigilCli(["audit", "verify", "--checkpoints", bad]);
    await removeDir(bad);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--checkpoints: ${bad}:1 is not a checkpoint`);
  });
});

describe("vigil audit export", slow, () => {
  it("writes JSON Lines to a file and a count on stderr", async () => {
    const out = join(dir, "export.jsonl");
    const result = await vigilCli(["audit", "export", "--principal", "cli-user", "--out", out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`exported 3 records to ${out}\n`);
    expect(recordIdsOf(await readFile(out, "utf8"))).toEqual(userIds);
    await removeDir(out);
  });

  it("writes JSON Lines to stdout in ascending sequence", async () => {
    const result = await vigilCli(["audit", "export", "--session", replaySession]);
    expect(result.code).toBe(0);
    expect(recordIdsOf(result.stdout)).toEqual(replayIds);
    expect(result.stderr).toBe("exported 4 records\n");
    expect(result.stdout).not.toContain(githubToken);
  });
});

describe("vigil audit replay", slow, () => {
  const expectedHeads = [
    /^\+00:00:00\.000 {2}request {4}agent:cli {2}tool\.call$/,
    /^\+00:00:01\.500 {2}response {3}agent:cli {2}tool\.call$/,
    /^\+00:00:03\.000 {2}command {4}agent:cli {2}tool\.call$/,
    /^\+00:00:04\.500 {2}output {5}agent:cli {2}tool\.call$/,
  ];

  it("prints a session's events in order with their offsets and masked content", async () => {
    const result = await vigilCli(["audit", "replay", replaySession]);
    expect(result.code).toBe(0);
    const heads = lines(result.stdout).filter((l) => !l.startsWith(" "));
    expect(heads).toHaveLength(4);
    for (const [i, head] of heads.entries()) expect(head).toMatch(expectedHeads[i] ?? /^$/);
    expect(result.stdout).toContain("    GITHUB_TOKEN=[REDACTED:github-pat] ./deploy.sh\n");
    expect(result.stdout).toContain("    deployed\n    3 services\n");
    expect(result.stdout).not.toContain(githubToken);
    expect(result.stdout).not.toContain(awsKeyId);
  });

  it("waits the original gaps divided by --speed", async () => {
    const fast = await vigilCli(["audit", "replay", replaySession, "--speed", "1000"]);
    expect(fast.code).toBe(0);
    expect(lines(fast.stdout).filter((l) => !l.startsWith(" "))).toHaveLength(4);
    const started = Date.now();
    // 4.5 s of session at three times the pace: at least 1.5 s of waiting.
    const paced = await vigilCli(["audit", "replay", replaySession, "--speed", "3"]);
    expect(paced.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(paced.stdout).toBe(fast.stdout);
  });

  it("prints offsets and records as JSON Lines with --json", async () => {
    const result = await vigilCli(["audit", "replay", replaySession, "--json"]);
    const entries = lines(result.stdout).map(
      (l) => JSON.parse(l) as { offsetMs: number; record: { id: string } },
    );
    expect(entries.map((e) => e.offsetMs)).toEqual([0, 1500, 3000, 4500]);
    expect(entries.map((e) => e.record.id)).toEqual(replayIds);
  });

  it("exits 1 for a session without records", async () => {
    const result = await vigilCli(["audit", "replay", "no-such-session"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('vigil: no records for session "no-such-session"\n');
  });
});

describe("vigil audit flags and failures", slow, () => {
  it.each([
    [["query", "--decision", "maybe"], "--decision"],
    [["query", "--kind", "approvals"], "--kind"],
    [["query", "--since", "yesterday"], "--since"],
    [["query", "--until", "2026-05-01"], "--until"],
    [["query", "--since", "1h", "--until", "2h"], "--since"],
    [["query", "--limit", "ten"], "--limit"],
    [["query", "--limit=-1"], "--limit"],
    [["query", "--resource", "/prod"], "--resource"],
    [["query", "--bogus"], "--bogus"],
    [["export", "--since", "15x"], "--since"],
    [["verify", "--from", "abc"], "--from"],
    [["replay", "s", "--speed", "fast"], "--speed"],
    [["replay", "s", "--speed", "-1"], "--speed"],
    [["get"], "get"],
  ])("exits 2 for %j, naming %s", async (args, flag) => {
    const result = await vigilCli(["audit", ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(flag);
  });

  it.each([
    ["query"],
    ["get", "some-id"],
    ["verify"],
    ["checkpoints"],
    ["export"],
    ["replay", replaySession],
  ])("exits 3 when the server cannot be reached: %s", async (...args) => {
    const result = await vigilCli(["audit", ...args], unreachable);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^vigil: cannot reach the server at http:\/\/127\.0\.0\.1:1 /);
  });

  it("takes --server over VIGIL_SERVER", async () => {
    const result = await vigilCli(["audit", "verify", "--server", vigil.baseUrl], unreachable);
    expect(result.code).toBe(0);
  });

  it("prints usage for --help, listing every command", async () => {
    const top = await vigilCli(["audit", "--help"]);
    expect(top.code).toBe(0);
    for (const command of auditCommands) expect(top.stdout).toContain(`\n  ${command} `);
    expect((await vigilCli(["--help"])).stdout).toContain("\n  audit ");
  });

  it.each(auditCommands)("prints the usage of %s for --help", async (command) => {
    const own = await vigilCli(["audit", command, "--help"]);
    expect(own.code).toBe(0);
    expect(own.stdout).toContain(`Usage: vigil audit ${command}`);
  });

  it("exits 2 without a command or with an unknown one", async () => {
    expect((await vigilCli(["audit"])).code).toBe(2);
    const unknown = await vigilCli(["audit", "frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });
});
