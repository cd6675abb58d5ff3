import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ContentKind, Decision, PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import {
  type AuthorizeRequestSchema,
  PolicyService,
  RecordEventKind,
} from "../../gen/vigil/v1/policy_service_pb.js";
import type { ReplayReport } from "../../server/src/cli/policy-replay-report.js";
import { projectRoot } from "../../server/src/main.js";
import { compilePolicyDir } from "../../server/src/policy/opa-compiler.js";
import { authorizeEntrypoint } from "../../server/src/policy/prepare-policy.js";
import { authzModule, writePolicyDir } from "../support/policy-fixtures.js";
import { captureCliStderr } from "../support/process-logs.js";
import { removeDir, startVigil, tempDir, type VigilProcess } from "../support/vigil-process.js";

/** The live policy: offboarded identities denied, staging open, production behind a reviewer. */
const livePolicy = {
  ...authzModule(
    [
      'default decision := {"decision": "deny", "reasons": [{"code": "no_rule", "message": "no rule allows this"}]}',
      "",
      'decision := {"decision": "deny", "reasons": [{"code": "offboarded_identity", "message": "identity is offboarded"}]} if {',
      "\tinput.principal.id in data.offboarded",
      '} else := {"decision": "allow", "reasons": [{"code": "staging_open", "message": "staging is open"}]} if {',
      '\tinput.resource.attributes.environment == "staging"',
      '} else := {"decision": "require_approval", "reasons": [{"code": "production_access", "message": "production needs a reviewer"}]} if {',
      '\tinput.resource.attributes.environment == "production"',
      "}",
    ].join("\n"),
  ),
  "data.json": JSON.stringify({ offboarded: ["svc:contractor-etl"] }),
};

/**
 * The candidate changes three things on purpose: contractors lose staging (allow → deny), the
 * on-call SRE group skips review (require_approval → allow), and the offboarding reason gets a
 * new code (same decision, different reasons). A careless extra rule conflicts with the
 * staging rule whenever `context.conflict` is set: an evaluation error, so a deny.
 */
const candidatePolicy = {
  ...authzModule(
    [
      'default decision := {"decision": "deny", "reasons": [{"code": "no_rule", "message": "no rule allows this"}]}',
      "",
      'decision := {"decision": "deny", "reasons": [{"code": "identity_offboarded", "message": "identity is offboarded"}]} if {',
      "\tinput.principal.id in data.offboarded",
      '} else := {"decision": "deny", "reasons": [{"code": "contractor_staging", "message": "contractors may not read staging"}]} if {',
      '\t"contractors" in input.principal.groups',
      '\tinput.resource.attributes.environment == "staging"',
      '} else := {"decision": "allow", "reasons": [{"code": "staging_open", "message": "staging is open"}]} if {',
      '\tinput.resource.attributes.environment == "staging"',
      '} else := {"decision": "allow", "reasons": [{"code": "sre_production", "message": "on-call SRE"}]} if {',
      '\t"sre" in input.principal.groups',
      '\tinput.resource.attributes.environment == "production"',
      '} else := {"decision": "require_approval", "reasons": [{"code": "production_access", "message": "production needs a reviewer"}]} if {',
      '\tinput.resource.attributes.environment == "production"',
      "}",
      "",
      'decision := {"decision": "allow"} if input.context.conflict == true',
    ].join("\n"),
  ),
  "data.json": livePolicy["data.json"],
};

type Request = MessageInitShape<typeof AuthorizeRequestSchema>;

const secretRead = (principal: Request["principal"], id: string, environment: string) => ({
  principal,
  action: "secret.read",
  resource: { kind: "secret", id, attributes: { environment } },
  secrets: [{ name: "DB_PASSWORD", store: "vault" }],
});

/** The recorded decisions, in log order, with what the live policy decided. */
const requests = {
  alice: secretRead(
    { id: "alice@example.com", kind: PrincipalKind.USER, groups: ["dev"] },
    "staging/db",
    "staging",
  ),
  carol: secretRead(
    { id: "carol@contractor.example", kind: PrincipalKind.USER, groups: ["contractors"] },
    "staging/db",
    "staging",
  ),
  bob: secretRead(
    { id: "bob@example.com", kind: PrincipalKind.USER, groups: ["sre"] },
    "prod/db",
    "production",
  ),
  etl: secretRead(
    { id: "svc:contractor-etl", kind: PrincipalKind.SERVICE },
    "prod/db",
    "production",
  ),
  dave: secretRead(
    { id: "dave@example.com", kind: PrincipalKind.USER, groups: ["dev"] },
    "qa/db",
    "qa",
  ),
  agent: {
    principal: { id: "agent:deploy-bot", kind: PrincipalKind.AGENT, groups: ["agents"] },
    action: "tool.call",
    resource: { kind: "k8s-cluster", id: "staging", attributes: { environment: "staging" } },
    contents: [
      {
        kind: ContentKind.COMMAND,
        name: "argv",
        body: { case: "text", value: "kubectl get pods" },
      },
    ],
  },
  erin: {
    ...secretRead({ id: "erin@example.com", kind: PrincipalKind.USER }, "staging/cache", "staging"),
    context: { conflict: true, ticket: "CHG-7" },
  },
} satisfies Record<string, Request>;

const liveDecisions: Record<keyof typeof requests, Decision> = {
  alice: Decision.ALLOW,
  carol: Decision.ALLOW,
  bob: Decision.REQUIRE_APPROVAL,
  etl: Decision.DENY,
  dave: Decision.DENY,
  agent: Decision.ALLOW,
  erin: Decision.ALLOW,
};

const dirs: string[] = [];
let vigil: VigilProcess;
let liveDir: string;
let candidateBundle: string;
let liveBundle: string;
/** Decision id of each request, as Authorize answered. */
const ids = {} as Record<keyof typeof requests, string>;
/** A moment after every recorded decision. */
let afterRecords: Date;

beforeAll(async () => {
  liveDir = await writePolicyDir(livePolicy);
  const candidateDir = await writePolicyDir(candidatePolicy);
  const out = await tempDir("vigil-replay-bundles-");
  dirs.push(liveDir, candidateDir, out);
  const compile = async (dir: string, name: string, revision: string) => {
    const path = join(out, name);
    const archive = await compilePolicyDir({
      opaPath: inject("opaPath"),
      dir,
      entrypoints: [authorizeEntrypoint],
      revision,
    });
    await writeFile(path, archive);
    return path;
  };
  candidateBundle = await compile(candidateDir, "candidate.tar.gz", "candidate-1");
  liveBundle = await compile(liveDir, "live.tar.gz", "live-copy");

  vigil = await startVigil({ policy: liveDir });
  const policy = createClient(
    PolicyService,
    createConnectTransport({ baseUrl: vigil.baseUrl, httpVersion: "1.1" }),
  );
  for (const [name, request] of Object.entries(requests) as [keyof typeof requests, Request][]) {
    const answer = await policy.authorize(request);
    expect(answer.decision, name).toBe(liveDecisions[name]);
    ids[name] = answer.decisionId;
  }
  // An event record in the same log: replay must leave it alone.
  await policy.record({
    event: {
      kind: RecordEventKind.OUTPUT,
      principal: requests.agent.principal,
      action: "tool.call",
      decisionId: ids.agent,
      content: { kind: ContentKind.LOG, body: { case: "text", value: "pod/web-1 Running" } },
    },
  });
  afterRecords = new Date(Date.now() + 1000);
});

afterAll(async () => {
  if (vigil) expect(await vigil.stop()).toBe(0);
  await Promise.all([...dirs, ...(vigil ? [vigil.dataDir] : [])].map(removeDir));
});

/** Runs `vigil policy replay …` as a user would and collects its exit code and output. */
function replay(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ["bin/vigil.js", "policy", "replay", ...args],
      { cwd: projectRoot, env: { ...process.env, VIGIL_SERVER: "" } },
      (error, stdout, stderr) => {
        captureCliStderr(child, stderr);
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const server = () => ["--server", vigil.baseUrl];

async function replayJson(args: string[]) {
  const result = await replay([...args, "--json"]);
  return { ...result, report: JSON.parse(result.stdout) as ReplayReport };
}

describe("vigil policy replay", () => {
  it("lists exactly the decisions a changed rule would change, and exits 1", async () => {
    const { code, report, stderr } = await replayJson(["--bundle", candidateBundle, ...server()]);
    expect(stderr).toBe("");
    expect(code).toBe(1);
    expect(report).toMatchObject({
      passed: false,
      candidate: { source: candidateBundle, revision: "candidate-1" },
      recordedPolicies: [{ revision: expect.stringMatching(/^src-[0-9a-f]{12}$/), records: 7 }],
      replayed: 7,
      unchanged: 3,
      changed: 3,
      reasonsChanged: 1,
      errors: 1,
      contentNotRecorded: 1,
    });
    expect(report.candidate.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(report.changes.map((c) => [c.id, c.recorded.decision, c.candidate.decision])).toEqual([
      [ids.carol, "allow", "deny"],
      [ids.bob, "require_approval", "allow"],
      [ids.erin, "allow", "deny"],
    ]);
    expect(report.transitions).toEqual([
      {
        from: "allow",
        to: "deny",
        count: 2,
        candidateReasons: { contractor_staging: 1, policy_error: 1 },
      },
      { from: "require_approval", to: "allow", count: 1, candidateReasons: { sre_production: 1 } },
    ]);
    expect(report.changes[0]).toMatchObject({
      principal: "carol@contractor.example",
      action: "secret.read",
      resource: "secret:staging/db",
      recorded: { reasons: [{ code: "staging_open", message: "staging is open" }] },
      candidate: {
        reasons: [{ code: "contractor_staging", message: "contractors may not read staging" }],
      },
    });
    expect(report.reasonChanges.map((c) => [c.id, c.recorded.reasons[0]?.code])).toEqual([
      [ids.etl, "offboarded_identity"],
    ]);
    expect(report.errorRecords.map((c) => c.id)).toEqual([ids.erin]);
    expect(report.errorRecords[0]?.error).toMatch(/var assignment conflict/);
  });

  it("prints a summary, the transitions and the examples for a person", async () => {
    const { code, stdout } = await replay(["--bundle", candidateBundle, ...server()]);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^candidate: revision candidate-1, digest [0-9a-f]{12} \(.*candidate\.tar\.gz\)\n/,
    );
    expect(stdout).toMatch(
      /\nrecorded: {2}revision src-[0-9a-f]{12}, digest [0-9a-f]{12}: 7 decisions\n/,
    );
    expect(stdout).toContain(
      "\nreplayed 7 decisions: 3 unchanged, 3 changed, 1 same decision with different reasons, 1 error\n",
    );
    expect(stdout).toContain(
      "\ncontent not recorded: 1 replayed decision had content; the candidate saw kind and name only\n",
    );
    expect(stdout).toMatch(
      /\n {2}allow → deny +2 {2}\(candidate: contractor_staging 1, policy_error 1\)\n/,
    );
    expect(stdout).toMatch(
      /\n {2}require_approval → allow +1 {2}\(candidate: sre_production 1\)\n/,
    );
    const example = stdout.slice(stdout.indexOf(`\n  ${ids.carol}  #`) + 1).split("\n");
    expect(example.slice(0, 5)).toEqual([
      expect.stringMatching(
        new RegExp(`^ {2}${ids.carol} {2}#\\d+ {2}\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`),
      ),
      "    carol@contractor.example  secret.read  secret:staging/db",
      "    allow → deny",
      "    recorded reasons: staging_open",
      "    candidate reasons: contractor_staging: contractors may not read staging",
    ]);
    expect(stdout).toContain("\nevaluation errors, each a deny on the candidate (1 of 1):\n");
    expect(stdout).toContain("\nsame decision, different reasons (1 of 1):\n");
    expect(stdout).toContain("\n    deny: offboarded_identity → identity_offboarded\n");
  });

  it("passes a candidate identical to the live policy: 0 changed, exit 0", async () => {
    const fromFile = await replay(["--bundle", liveBundle, ...server()]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toContain(
      "replayed 7 decisions: 7 unchanged, 0 changed, 0 same decision with different reasons, 0 errors\n",
    );
    // A directory is compiled with opa, as `policy eval` does: the very policy that decided.
    const fromDir = await replayJson([
      "--bundle",
      liveDir,
      "--opa",
      inject("opaPath"),
      ...server(),
    ]);
    expect(fromDir.code).toBe(0);
    expect(fromDir.report).toMatchObject({ passed: true, replayed: 7, changed: 0, errors: 0 });
    expect(fromDir.report.candidate.digest).toBe(fromDir.report.recordedPolicies[0]?.digest);
  });

  it("replays nothing when --since is after every decision", async () => {
    const { code, stdout } = await replay([
      "--bundle",
      candidateBundle,
      "--since",
      afterRecords.toISOString(),
      ...server(),
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain("replayed 0 decisions: 0 unchanged, 0 changed");
  });

  it("keeps every decision within a relative --since", async () => {
    const recent = await replayJson(["--bundle", candidateBundle, "--since", "1h", ...server()]);
    expect(recent.report.replayed).toBe(7);
    expect(recent.report.window.since).not.toBeNull();
  });

  it("narrows by --principal, --action and --limit", async () => {
    const carol = await replayJson([
      "--bundle",
      candidateBundle,
      "--principal",
      "carol@contractor.example",
      ...server(),
    ]);
    expect(carol.code).toBe(1);
    expect(carol.report).toMatchObject({ replayed: 1, changed: 1 });

    const tools = await replayJson([
      "--bundle",
      candidateBundle,
      "--action",
      "tool.call",
      ...server(),
    ]);
    expect(tools.code).toBe(0);
    expect(tools.report).toMatchObject({ replayed: 1, unchanged: 1, contentNotRecorded: 1 });

    const firstTwo = await replayJson(["--bundle", candidateBundle, "--limit", "2", ...server()]);
    expect(firstTwo.report.replayed).toBe(2);
    expect(firstTwo.report.changes.map((c) => c.id)).toEqual([ids.carol]);
  });

  it("keeps a rare transition in the examples when --show is small", async () => {
    const { report } = await replayJson(["--bundle", candidateBundle, "--show", "2", ...server()]);
    expect(report.changes.map((c) => c.id)).toEqual([ids.carol, ids.bob]);
    expect(report.changed).toBe(3);
  });

  it("exits 3 when the server cannot be reached", async () => {
    const { code, stderr } = await replay([
      "--bundle",
      candidateBundle,
      "--server",
      `http://127.0.0.1:${await closedPort()}`,
    ]);
    expect(code).toBe(3);
    expect(stderr).toMatch(
      /^vigil: policy replay: cannot reach the server at http:\/\/127\.0\.0\.1:\d+ /,
    );
  });

  it("refuses a missing, invalid or uncompilable candidate before fetching anything", async () => {
    const missing = await replay(["--bundle", join(liveDir, "nope.tar.gz"), ...server()]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toMatch(
      /the candidate .*nope\.tar\.gz cannot be used: .*does not exist/,
    );

    const garbage = join(liveDir, "garbage.tar.gz");
    await writeFile(garbage, "not a bundle");
    const invalid = await replay(["--bundle", garbage, ...server()]);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe("");
    expect(invalid.stderr).toMatch(/the candidate .*garbage\.tar\.gz cannot be used: bundle /);

    const broken = await writePolicyDir(authzModule("decision := {"));
    dirs.push(broken);
    const uncompilable = await replay([
      "--bundle",
      broken,
      "--opa",
      inject("opaPath"),
      ...server(),
    ]);
    expect(uncompilable.code).toBe(1);
    expect(uncompilable.stderr).toMatch(/cannot be used: opa build failed .*rego_parse_error/s);
  });

  it("reports usage errors with exit 2", async () => {
    const noFlag = await replay(server());
    expect(noFlag.code).toBe(2);
    expect(noFlag.stderr).toBe("vigil: policy replay: --bundle FILE|DIR is required\n");

    const badSince = await replay(["--bundle", candidateBundle, "--since", "yesterday"]);
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toMatch(/^vigil: --since: expected an RFC 3339 time .*"yesterday"/);
  });
});

/** A local port nothing listens on: bound once by the kernel's choice, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
