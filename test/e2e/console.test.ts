import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { ApprovalState, Verdict } from "../../gen/vigil/v1/approval_pb.js";
import { ContentKind, PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import { RecordEventKind, RecordRequestSchema } from "../../gen/vigil/v1/policy_service_pb.js";
import { authorizeExitCodes } from "../../server/src/cli/authorize-command.js";
import {
  clientsFor,
  type PeopleServer,
  people,
  productionRead,
  productionReadArgs,
  startVigilForPeople,
} from "../support/approval-fixtures.js";
import { artifactDir, launchChromium } from "../support/browser.js";
import { runVigilCli } from "../support/vigil-cli.js";
import { removeDir, startVigil, type VigilProcess } from "../support/vigil-process.js";

// A CLI run starts node and tsx, and the inbox polls every 2 s: give each flow room.
const slow = { timeout: 90_000 };
const wait = { timeout: 30_000 };

let fixture: PeopleServer;
let vigil: VigilProcess;
let browser: Browser;

beforeAll(async () => {
  [fixture, browser] = await Promise.all([
    startVigilForPeople(inject("defaultBundlePath")),
    launchChromium(),
  ]);
  vigil = fixture.vigil;
});

afterAll(async () => {
  await browser?.close();
  await fixture?.stop();
});

// Every page a test opened, with the script errors it raised: a console that throws fails.
const opened: { page: Page; errors: string[] }[] = [];

afterEach(async () => {
  const errors = opened.flatMap((o) => o.errors);
  await Promise.all(opened.splice(0).map((o) => o.page.close()));
  expect(errors).toEqual([]);
});

/** Opens the console at `path`, signed in as `person` through the sign-in form. */
async function openConsole(person?: { token: string }, path = "/console/"): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) errors.push(message.text());
  });
  opened.push({ page, errors });
  await page.goto(`${vigil.baseUrl}${path}`);
  if (person) {
    await page.getByLabel("API token").fill(person.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Signed in with a token").waitFor(wait);
  }
  return page;
}

/** Asks for a production secret as svc:reporting; the default policy makes it pending. */
async function pendingApproval(resource: string): Promise<string> {
  const { policy } = clientsFor(vigil.baseUrl, people.reporting.token);
  const res = await policy.authorize(productionRead(resource));
  if (!res.approval) throw new Error("expected a pending approval");
  return res.approval.id;
}

const rowFor = (page: Page, resource: string) =>
  page.locator("a.row", { hasText: `secret:${resource}` });

describe("reviewer console", () => {
  it("approves a pending request and the waiting CI job proceeds", slow, async () => {
    const resource = "prod/console-approve";
    const password = "Zq8vR2mN4kT7wX1p";
    const content = `psql postgres://deploy:${password}@db.internal/prod -c 'select 1' <img src=x onerror="window.__injected=1">`;
    const job = runVigilCli(
      [...productionReadArgs(resource), "--content", content, "--wait", "--timeout", "120"],
      { VIGIL_SERVER: vigil.baseUrl, VIGIL_TOKEN: people.reporting.token },
    );

    const page = await openConsole(people.alice);
    const row = rowFor(page, resource);
    await row.waitFor(wait);
    await row.click();
    const preview = page.locator("pre.preview");
    await preview.waitFor(wait);
    // The artifact: the inbox with the request open, as a reviewer sees it.
    const inboxShot = join(artifactDir, "inbox.png");
    await page.screenshot({ path: inboxShot });
    expect((await readFile(inboxShot)).subarray(1, 4).toString()).toBe("PNG");
    const shown = await preview.textContent();
    // The reviewer sees the request as the audit plan masked it, and markup only as text.
    expect(shown).toContain("psql postgres://deploy:[REDACTED:connection-string-password]");
    expect(shown).toContain('<img src=x onerror="window.__injected=1">');
    expect(await page.content()).not.toContain(password);
    expect(await page.evaluate("'__injected' in window")).toBe(false);

    await page.getByLabel("Comment").fill("read-only query for the quarterly report");
    const id = (await row.getAttribute("data-id")) ?? "";
    await page.getByRole("button", { name: "Approve" }).click();
    await page.getByText("You approved this request").waitFor(wait);

    const result = await job;
    expect(result.code, result.stderr).toBe(authorizeExitCodes.allow);
    const { approval } = await clientsFor(vigil.baseUrl, people.bob.token).approvals.getApproval({
      id,
    });
    expect(approval?.state).toBe(ApprovalState.CONSUMED);
    expect(approval?.votes).toMatchObject([
      {
        reviewerId: people.alice.id,
        verdict: Verdict.APPROVE,
        comment: "read-only query for the quarterly report",
      },
    ]);
    // Redeemed, it leaves the pending inbox without a reload.
    await row.waitFor({ state: "detached", ...wait });
  });

  it(
    "works with the keyboard alone: sign in, move through the inbox, comment, deny",
    slow,
    async () => {
      const first = await pendingApproval("prod/keyboard-1");
      const second = await pendingApproval("prod/keyboard-2");
      const page = await openConsole();
      const focusedId = () => page.evaluate("document.activeElement?.id ?? ''");
      for (let i = 0; i < 10 && (await focusedId()) !== "token"; i++)
        await page.keyboard.press("Tab");
      expect(await focusedId()).toBe("token");
      await page.keyboard.type(people.bob.token);
      await page.keyboard.press("Enter");
      await page.getByText("Signed in with a token").waitFor(wait);
      await rowFor(page, "prod/keyboard-2").waitFor(wait);

      // j moves down the list until the second request is open (others may come before it).
      const current = () => page.locator('a.row[aria-current="page"]').getAttribute("data-id");
      for (let i = 0; i < 10; i++) {
        await page.keyboard.press("j");
        await page.locator('a.row[aria-current="page"]').waitFor(wait);
        if ((await current()) === second) break;
      }
      expect(await current()).toBe(second);
      // One step away from it and back, whichever side of it the first request is on.
      const ids = await page
        .locator("a.row")
        .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-id")));
      const at = ids.indexOf(second);
      const up = at > 0;
      await page.keyboard.press(up ? "k" : "j");
      await expect.poll(current, wait).toBe(ids[up ? at - 1 : at + 1]);
      await page.keyboard.press(up ? "j" : "k");
      await expect.poll(current, wait).toBe(second);
      await page.locator("#approval-title").waitFor(wait);

      await page.keyboard.press("c");
      expect(await focusedId()).toBe("decision-comment");
      await page.keyboard.type("not during the change freeze");
      await page.keyboard.press("Tab");
      await page.keyboard.press("Tab");
      expect(await page.locator(":focus").textContent()).toBe("Deny");
      await page.keyboard.press("Enter");
      await page.getByText("You denied this request.").waitFor(wait);

      const { approvals } = clientsFor(vigil.baseUrl, people.bob.token);
      const denied = (await approvals.getApproval({ id: second })).approval;
      expect(denied?.state).toBe(ApprovalState.DENIED);
      expect(denied?.votes[0]?.comment).toBe("not during the change freeze");
      expect((await approvals.getApproval({ id: first })).approval?.state).toBe(
        ApprovalState.PENDING,
      );
    },
  );

  it(
    "updates live: a new request appears and another reviewer's decision shows",
    slow,
    async () => {
      const page = await openConsole(people.alice);
      await page.locator(".live", { hasText: "live" }).waitFor(wait);
      const id = await pendingApproval("prod/live");
      const row = rowFor(page, "prod/live");
      await row.waitFor(wait);
      await row.click();
      await page.locator(".badge", { hasText: "pending" }).waitFor(wait);

      await clientsFor(vigil.baseUrl, people.bob.token).approvals.decideApproval({
        id,
        verdict: Verdict.DENY,
        comment: "wrong ticket",
      });
      // WatchApproval delivers the decision to the open page; the pending list drops the row.
      await page.locator(".badge", { hasText: "denied" }).waitFor(wait);
      await page.getByText(`by ${people.bob.id}`).waitFor(wait);
      await row.waitFor({ state: "detached", ...wait });
      expect(await page.locator("form.decision").isHidden()).toBe(true);
    },
  );

  it("refuses a principal approving its own request, with the reason", slow, async () => {
    const id = await pendingApproval("prod/self");
    // A notification's link opens the approval directly.
    const page = await openConsole(people.reporting, `/console/approvals/${id}`);
    await page.locator("#approval-title").waitFor(wait);
    await page.getByRole("button", { name: "Approve" }).click();
    const feedback = page.locator(".feedback.error");
    await feedback.waitFor(wait);
    expect(await feedback.textContent()).toMatch(/^Not allowed: .*own/);
    const { approval } = await clientsFor(vigil.baseUrl, people.bob.token).approvals.getApproval({
      id,
    });
    expect(approval?.state).toBe(ApprovalState.PENDING);
    expect(approval?.votes).toEqual([]);
  });

  it("does not keep a token the server refuses", slow, async () => {
    const page = await openConsole();
    await page.getByLabel("API token").fill("vgl_not_a_real_token");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.locator(".signin .error");
    await alert.getByText("Your token was not accepted").waitFor(wait);
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    expect(await page.getByLabel("API token").isVisible()).toBe(true);
  });

  it("browses the audit trail: search, a session in order, a record, verify", slow, async () => {
    const session = `console-session-${Date.now()}`;
    const planted = "ghp_R8mZq2Vn5Xc7Lp0Kt4Wb9Yd3Hs6Jf1Ga2Ue8";
    const { policy } = clientsFor(vigil.baseUrl);
    for (const [kind, text] of [
      [RecordEventKind.COMMAND, `git clone https://x:${planted}@github.com/acme/app`],
      [RecordEventKind.OUTPUT, "Cloning into 'app'... done."],
    ] as const) {
      await policy.record(
        create(RecordRequestSchema, {
          event: {
            kind,
            sessionId: session,
            principal: { id: "agent:builder", kind: PrincipalKind.AGENT },
            action: "shell.exec",
            content: { kind: ContentKind.COMMAND, body: { case: "text", value: text } },
          },
        }),
      );
    }

    const page = await openConsole(people.alice, `/console/audit?session=${session}`);
    await page.getByText("2 records").waitFor(wait);
    await page.locator("table.records").getByRole("link", { name: session }).first().click();
    await page.getByText("2 events, in order").waitFor(wait);
    const events = page.locator(".timeline-event");
    expect(await events.count()).toBe(2);
    expect(await events.nth(0).textContent()).toContain("command");
    expect(await events.nth(1).textContent()).toContain("Cloning into 'app'");
    expect(await events.nth(0).locator("pre").textContent()).toContain("[REDACTED:");
    expect(await page.content()).not.toContain(planted);

    await events.nth(0).getByRole("link").first().click();
    await page.getByText("Hash chain").waitFor(wait);
    expect(await page.locator("h1").textContent()).toMatch(/^#\d+ · event$/);

    await page.getByRole("link", { name: "Audit trail" }).first().click();
    await page.getByRole("button", { name: "Verify the log" }).click();
    await page.locator(".verify-result.ok").getByText("Log verified.").waitFor(wait);
    await page.screenshot({ path: join(artifactDir, "audit.png"), fullPage: true });
  });
});

describe("console route", () => {
  it("serves the page for its own paths with a strict content security policy", async () => {
    for (const path of ["/console", "/console/approvals/some-id", "/console/audit/sessions/s"]) {
      const res = await fetch(`${vigil.baseUrl}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(await res.text()).toContain("/console/assets/app.js");
    }
    const script = await fetch(`${vigil.baseUrl}/console/assets/app.js`);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const etag = script.headers.get("etag") ?? "";
    const again = await fetch(`${vigil.baseUrl}/console/assets/app.js`, {
      headers: { "if-none-match": etag },
    });
    expect(again.status).toBe(304);
  });

  it("answers 404 for a missing file and 405 for anything but GET", async () => {
    expect((await fetch(`${vigil.baseUrl}/console/assets/missing.js`)).status).toBe(404);
    const post = await fetch(`${vigil.baseUrl}/console`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("is not served with --console false", slow, async () => {
    const plain = await startVigil({
      policy: inject("defaultBundlePath"),
      args: ["--console", "false"],
    });
    try {
      const res = await fetch(`${plain.baseUrl}/console/`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: "unimplemented" });
    } finally {
      await plain.stop();
      await removeDir(plain.dataDir);
    }
  });
});
