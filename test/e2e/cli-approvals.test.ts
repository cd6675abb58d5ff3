import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ApprovalState, Verdict } from "../../gen/vigil/v1/approval_pb.js";
import { tokenHash } from "../../server/src/auth/api-tokens.js";
import { authorizeExitCodes } from "../../server/src/cli/authorize-command.js";
import {
  clientsFor,
  type PeopleServer,
  people,
  productionReadArgs,
  startVigilForPeople,
} from "../support/approval-fixtures.js";
import { runVigilCli } from "../support/vigil-cli.js";
import type { VigilProcess } from "../support/vigil-process.js";

// Each CLI run starts node and tsx (about 2 s, more on a loaded machine).
const slow = { timeout: 90_000 };

let fixture: PeopleServer;
let vigil: VigilProcess;

beforeAll(async () => {
  fixture = await startVigilForPeople(inject("defaultBundlePath"));
  vigil = fixture.vigil;
});

afterAll(() => fixture?.stop());

const server = () => ({ VIGIL_SERVER: vigil.baseUrl });

/** Waits until a pending approval for the resource is in the inbox; its id. */
async function inboxIdOf(resource: string): Promise<string> {
  const { approvals } = clientsFor(vigil.baseUrl, people.bob.token);
  let id = "";
  await expect
    .poll(
      async () => {
        const inbox = await approvals.listApprovals({});
        id = inbox.approvals.find((a) => a.resource?.id === resource)?.id ?? "";
        return id;
      },
      { timeout: 30_000 },
    )
    .not.toBe("");
  return id;
}

describe("vigil authorize", () => {
  it("exits 0 for an allowed action and 1 for a denied one", slow, async () => {
    const allowed = await runVigilCli(
      [
        "authorize",
        "--principal",
        "alice@example.com",
        "--principal-kind",
        "user",
        "--action",
        "secret.read",
        "--resource",
        "secret:staging/db",
      ],
      server(),
    );
    expect([allowed.code, allowed.stdout]).toEqual([
      authorizeExitCodes.allow,
      expect.stringMatching(/^allow \(decision [0-9a-f-]{36}\)\n {2}allowed: /),
    ]);
    const denied = await runVigilCli(
      ["authorize", "--principal", "svc:x", "--action", "no.such.action", "--resource", "secret:a"],
      server(),
    );
    expect(denied.code).toBe(authorizeExitCodes.deny);
    expect(denied.stdout).toContain("unknown_action");
  });

  it(
    "exits 2 with the approval id when approval is required and --wait is not given",
    slow,
    async () => {
      const res = await runVigilCli([...productionReadArgs("prod/no-wait"), "--json"], server());
      expect(res.code).toBe(authorizeExitCodes.pending);
      const body = JSON.parse(res.stdout);
      expect(body.decision).toBe("DECISION_REQUIRE_APPROVAL");
      expect(body.approval.state).toBe("APPROVAL_STATE_PENDING");
    },
  );

  it("with --wait, proceeds once a reviewer approves, and redeems the approval", slow, async () => {
    const waiting = runVigilCli(
      [...productionReadArgs("prod/cli-wait"), "--wait", "--timeout", "60"],
      server(),
    );
    const alice = clientsFor(vigil.baseUrl, people.alice.token);
    const id = await inboxIdOf("prod/cli-wait");
    const approved = await runVigilCli(
      ["approvals", "approve", id, "--comment", "ok for the report"],
      {
        ...server(),
        VIGIL_TOKEN: people.alice.token,
      },
    );
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain("state:      approved");
    const res = await waiting;
    expect(res.code).toBe(authorizeExitCodes.allow);
    expect(res.stderr).toContain(`waiting for approval ${id}`);
    expect(res.stdout).toMatch(/^allow /);
    const { approval } = await alice.approvals.getApproval({ id });
    expect(approval?.state).toBe(ApprovalState.CONSUMED);
  });

  it("with --wait, exits 1 when a reviewer denies", slow, async () => {
    const waiting = runVigilCli([...productionReadArgs("prod/cli-deny"), "--wait"], server());
    const bob = clientsFor(vigil.baseUrl, people.bob.token);
    const id = await inboxIdOf("prod/cli-deny");
    await bob.approvals.decideApproval({ id, verdict: Verdict.DENY, comment: "no" });
    const res = await waiting;
    expect(res.code).toBe(authorizeExitCodes.deny);
    expect(res.stderr).toContain(`approval ${id} is denied; denied`);
  });

  it("exits 3 when the server cannot be reached, and 64 for bad flags", slow, async () => {
    const down = await runVigilCli(productionReadArgs("prod/x"), {
      VIGIL_SERVER: "http://127.0.0.1:1",
    });
    expect(down.code).toBe(authorizeExitCodes.unreachable);
    expect(down.stderr).toContain("cannot reach the server at http://127.0.0.1:1");
    const bad = await runVigilCli(["authorize", "--principal", "x"], server());
    expect([bad.code, bad.stderr]).toEqual([
      authorizeExitCodes.usage,
      "vigil authorize: --action is required\n",
    ]);
  });
});

describe("vigil approvals", () => {
  it(
    "lists the inbox, shows one approval, and refuses a decision without a token",
    slow,
    async () => {
      const asked = await runVigilCli([...productionReadArgs("prod/inbox"), "--json"], server());
      const id = JSON.parse(asked.stdout).approval.id;
      const reviewer = { ...server(), VIGIL_TOKEN: people.bob.token };
      const anonymousList = await runVigilCli(["approvals", "list"], server());
      expect([anonymousList.code, anonymousList.stderr]).toEqual([
        1,
        expect.stringContaining("ListApprovals needs a credential (one of the roles approver)"),
      ]);
      const list = await runVigilCli(["approvals", "list"], reviewer);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain(
        `${id}  pending  ${people.reporting.id}  secret.read  secret:prod/inbox  sre-oncall 0/1`,
      );
      const get = await runVigilCli(["approvals", "get", id], reviewer);
      expect(get.stdout).toContain(`id:         ${id}`);
      expect(get.stdout).toContain("secrets:    REPORTING_DB");
      const anonymous = await runVigilCli(["approvals", "approve", id], server());
      expect(anonymous.code).toBe(1);
      expect(anonymous.stderr).toContain("DecideApproval needs a credential");
      const unknown = await runVigilCli(
        ["approvals", "get", "0190e8a0-0000-7000-8000-00000000000f"],
        reviewer,
      );
      expect([unknown.code, unknown.stderr]).toEqual([
        1,
        'vigil: no approval with id "0190e8a0-0000-7000-8000-00000000000f"\n',
      ]);
    },
  );
});

describe("vigil token create", () => {
  it("prints a new token and the tokens-file entry holding only its hash", slow, async () => {
    const res = await runVigilCli([
      "token",
      "create",
      "--id",
      "carol@example.com",
      "--group",
      "sre-oncall",
      "--json",
    ]);
    expect(res.code).toBe(0);
    const { token, entry } = JSON.parse(res.stdout);
    expect(token).toMatch(/^vgl_[A-Za-z0-9_-]{43}$/);
    expect(entry).toBe(
      `[[tokens]]\nid = "carol@example.com"\nsha256 = "${tokenHash(token)}"\nroles = []\ngroups = ["sre-oncall"]`,
    );
    expect(entry).not.toContain(token);
  });
});
