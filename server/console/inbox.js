// The reviewer inbox: approvals by state and group, refreshed every few seconds; the open
// approval follows WatchApproval, so votes and decisions by other reviewers appear at once.
import {
  describeFailure,
  enumLabel,
  fields,
  h,
  isTyping,
  link,
  replace,
  resourceLabel,
  timeAgo,
  timeExact,
} from "./dom.js";

const states = ["PENDING", "APPROVED", "DENIED", "EXPIRED", "CONSUMED"];
const refreshMs = 2000;
const retryMs = 3000;

/**
 * @param {import("./app.js").ConsoleContext} ctx
 * @param {{ approvalId?: string, query: URLSearchParams }} route
 */
export function inboxView(ctx, route) {
  const abort = new AbortController();
  const state = states.includes(route.query.get("state") ?? "")
    ? /** @type {string} */ (route.query.get("state"))
    : "PENDING";
  const group = route.query.get("group") ?? "";
  const search = route.query.toString() ? `?${route.query}` : "";

  const stateSelect = h(
    "select",
    { id: "state-filter", name: "state" },
    states.map((s) =>
      h("option", { value: s, selected: s === state }, enumLabel(s, "").replace(/^./, upper)),
    ),
  );
  const groupInput = h("input", {
    id: "group-filter",
    name: "group",
    type: "search",
    placeholder: "any group",
    value: group,
    autocomplete: "off",
  });
  const applyFilters = (/** @type {Event} */ event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    if (stateSelect.value !== "PENDING") query.set("state", stateSelect.value);
    if (groupInput.value.trim()) query.set("group", groupInput.value.trim());
    ctx.navigate(`/console/${query.toString() ? `?${query}` : ""}`);
  };
  stateSelect.addEventListener("change", applyFilters);
  const filters = h(
    "form",
    { class: "toolbar", role: "search", onSubmit: applyFilters },
    h("label", { for: "state-filter" }, "State"),
    stateSelect,
    h("label", { for: "group-filter" }, "Reviewer group"),
    groupInput,
    h("button", { type: "submit", class: "secondary" }, "Filter"),
  );
  const status = h("p", { class: "live", role: "status" }, "Loading…");
  const list = h("ul", { class: "approval-list", "aria-label": "Approvals" });
  const detail = h(
    "section",
    { class: "detail", "aria-label": "Approval" },
    h(
      "p",
      { class: "placeholder" },
      "Select a request to review it. Use j and k to move through the list.",
    ),
  );

  let lastList = "";
  let lastRender = 0;
  const refresh = async () => {
    try {
      const res = await ctx.rpc.unary(
        "vigil.v1.ApprovalService/ListApprovals",
        { state: `APPROVAL_STATE_${state}`, group, pageSize: 200 },
        abort.signal,
      );
      const approvals = res.approvals ?? [];
      const label = enumLabel(state, "");
      replace(
        status,
        h("span", { class: "dot", "aria-hidden": "true" }),
        `${approvals.length} ${label}${group ? ` for ${group}` : ""} · live`,
      );
      // Re-render only on a change (or each minute, for the ages), so focus and scroll stay put.
      const json = JSON.stringify(approvals);
      if (json === lastList && Date.now() - lastRender < 60_000) return;
      lastList = json;
      lastRender = Date.now();
      renderList(approvals);
    } catch (error) {
      if (!abort.signal.aborted) replace(status, describeFailure(error));
    }
  };

  /** @param {any[]} approvals */
  const renderList = (approvals) => {
    const focused = /** @type {HTMLElement | null} */ (document.activeElement)?.dataset?.id;
    const now = new Date();
    replace(
      list,
      approvals.length === 0
        ? h(
            "li",
            { class: "empty" },
            state === "PENDING"
              ? "No pending approvals. New requests appear here within seconds."
              : `No ${enumLabel(state, "")} approvals.`,
          )
        : approvals.map((a) =>
            h(
              "li",
              {},
              h(
                "a",
                {
                  href: `/console/approvals/${encodeURIComponent(a.id)}${search}`,
                  "data-route": true,
                  "data-id": a.id,
                  class: "row",
                  "aria-current": a.id === route.approvalId ? "page" : undefined,
                },
                h("span", { class: "row-title" }, `${a.action} · ${resourceLabel(a.resource)}`),
                h(
                  "span",
                  { class: "row-meta" },
                  a.principal?.id ?? "",
                  " · ",
                  timeAgo(a.createdAt, now),
                  " · ",
                  quorumSummary(a),
                ),
                a.reason ? h("span", { class: "row-reason" }, a.reason) : null,
              ),
            ),
          ),
    );
    if (focused) list.querySelector(`[data-id="${CSS.escape(focused)}"]`)?.focus();
  };

  const onKey = (/** @type {KeyboardEvent} */ event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    if (event.key === "c") {
      const comment = document.getElementById("decision-comment");
      if (comment && !comment.closest("[hidden]")) {
        event.preventDefault();
        comment.focus();
      }
      return;
    }
    const rows = [...list.querySelectorAll("a.row")];
    if (rows.length === 0) return;
    const current = rows.indexOf(/** @type {Element} */ (document.activeElement));
    const selected = rows.findIndex((r) => r.getAttribute("aria-current") === "page");
    const from = current >= 0 ? current : selected;
    let next;
    if (event.key === "j") next = Math.min(from + 1, rows.length - 1);
    else if (event.key === "k") next = Math.max(from - 1, 0);
    else return;
    event.preventDefault();
    const row = /** @type {HTMLAnchorElement} */ (rows[next]);
    ctx.navigate(row.getAttribute("href") ?? "", { focusId: row.dataset.id });
  };
  document.addEventListener("keydown", onKey);

  void refresh();
  const timer = setInterval(() => {
    if (!document.hidden) void refresh();
  }, refreshMs);
  if (route.approvalId) {
    void watchDetail(ctx, route.approvalId, detail, abort.signal, () => void refresh());
  }

  return {
    title: route.approvalId ? "Review request" : "Inbox",
    element: h(
      "div",
      { class: "inbox" },
      h("div", { class: "inbox-head" }, h("h1", {}, "Approvals"), status),
      filters,
      h("div", { class: "split" }, h("nav", { "aria-label": "Approval list" }, list), detail),
    ),
    dispose() {
      clearInterval(timer);
      document.removeEventListener("keydown", onKey);
      abort.abort();
    },
  };
}

/**
 * Shows one approval and keeps it current through WatchApproval until it is final.
 * @param {import("./app.js").ConsoleContext} ctx
 * @param {string} id
 * @param {HTMLElement} container
 * @param {AbortSignal} signal
 * @param {() => void} changed called after each update, to refresh the list
 */
async function watchDetail(ctx, id, container, signal, changed) {
  const info = h("div", { class: "detail-info" }, h("p", { class: "placeholder" }, "Loading…"));
  const form = decisionForm(ctx, id, signal, (approval) => {
    show(approval);
    changed();
  });
  replace(container, info, form.element);
  /** @param {any} approval */
  const show = (approval) => {
    replace(info, approvalDetail(approval));
    form.update(approval);
  };
  for (;;) {
    try {
      for await (const message of ctx.rpc.stream(
        "vigil.v1.ApprovalService/WatchApproval",
        { id },
        signal,
      )) {
        show(message.approval);
        changed();
      }
      return; // the stream ends once the approval is final
    } catch (error) {
      if (signal.aborted) return;
      const retry = error?.code === "unavailable" || error?.code === "unknown";
      replace(info, h("p", { class: "error", role: "alert" }, describeFailure(error)));
      form.update(undefined);
      if (!retry) return;
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}

/** @param {any} a an Approval as proto JSON */
function approvalDetail(a) {
  const stateName = enumLabel(a.state, "APPROVAL_STATE_");
  const resourceAttrs = Object.entries(a.resource?.attributes ?? {})
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");
  return [
    h(
      "header",
      { class: "detail-head" },
      h("h2", { id: "approval-title" }, `${a.action} · ${resourceLabel(a.resource)}`),
      h("span", { class: `badge state-${stateName}` }, stateName),
    ),
    a.reason ? h("p", { class: "reason" }, a.reason) : null,
    fields([
      [
        "Principal",
        `${a.principal?.id ?? ""} (${enumLabel(a.principal?.kind, "PRINCIPAL_KIND_")})`,
      ],
      ["Requested by", a.requesterId && a.requesterId !== a.principal?.id ? a.requesterId : ""],
      ["Resource attributes", resourceAttrs],
      [
        "Secrets",
        (a.secrets ?? []).map((s) => `${s.name}${s.store ? ` (${s.store})` : ""}`).join(", "),
      ],
      ["Requested", a.createdAt ? [timeAgo(a.createdAt), " · ", timeExact(a.createdAt)] : ""],
      [a.state === "APPROVAL_STATE_PENDING" ? "Expires" : "Valid until", timeAgo(a.expiresAt)],
      ["Decided", a.decidedAt ? timeExact(a.decidedAt) : ""],
      ["Uses left", a.state === "APPROVAL_STATE_APPROVED" ? String(a.usesRemaining ?? 0) : ""],
    ]),
    h("h3", {}, "Request preview (redacted)"),
    a.contentPreview
      ? h("pre", { class: "preview", tabindex: "0" }, a.contentPreview)
      : h("p", { class: "placeholder" }, "No content was sent with this request."),
    h("h3", {}, "Approvals needed"),
    quorumList(a),
    h("h3", {}, "Votes"),
    (a.votes ?? []).length === 0
      ? h("p", { class: "placeholder" }, "No votes yet.")
      : h(
          "ul",
          { class: "votes" },
          a.votes.map((/** @type {any} */ v) =>
            h(
              "li",
              {},
              h(
                "span",
                { class: `verdict verdict-${enumLabel(v.verdict, "VERDICT_")}` },
                enumLabel(v.verdict, "VERDICT_") === "approve" ? "Approved" : "Denied",
              ),
              ` by ${v.reviewerId}`,
              v.group ? ` for ${v.group}` : "",
              " · ",
              timeAgo(v.time),
              v.comment ? h("q", {}, v.comment) : null,
            ),
          ),
        ),
    h(
      "details",
      { class: "provenance" },
      h("summary", {}, "Binding and provenance"),
      fields([
        ["Approval id", a.id],
        ["Action digest", h("code", {}, a.actionDigest ?? "")],
        ["Policy revision", a.policyRevision],
        [
          "Decision record",
          a.decisionId ? link(`/console/audit/records/${a.decisionId}`, a.decisionId) : "",
        ],
      ]),
    ),
  ];
}

/** @param {any} a */
function quorumList(a) {
  const items = (a.rules ?? []).map((/** @type {any} */ r) => {
    const got = approvals(a, r.group);
    return h(
      "li",
      { class: got >= r.required ? "met" : "" },
      `${got} of ${r.required} from ${r.group}`,
    );
  });
  if (items.length === 0) items.push(h("li", {}, "1 reviewer with the approver role"));
  if ((a.bypassGroups ?? []).length > 0) {
    items.push(h("li", {}, `or 1 from ${a.bypassGroups.join(", ")} alone (policy bypass)`));
  }
  return h("ul", { class: "quorum" }, items);
}

/** @param {any} a */
function quorumSummary(a) {
  if ((a.rules ?? []).length === 0) return "1 approver";
  return a.rules
    .map((/** @type {any} */ r) => `${approvals(a, r.group)}/${r.required} ${r.group}`)
    .join(", ");
}

/** @param {any} a @param {string} group */
function approvals(a, group) {
  return (a.votes ?? []).filter(
    (/** @type {any} */ v) => v.verdict === "VERDICT_APPROVE" && v.group === group,
  ).length;
}

/**
 * The approve / deny form. It is built once per approval so a comment being typed survives
 * live updates; `update` shows or hides it as the approval's state changes.
 * @param {import("./app.js").ConsoleContext} ctx
 * @param {string} id
 * @param {AbortSignal} signal
 * @param {(approval: any) => void} decided
 */
function decisionForm(ctx, id, signal, decided) {
  const comment = h("textarea", {
    id: "decision-comment",
    name: "comment",
    rows: "3",
    maxlength: "2000",
    placeholder: "Why you approve or deny (kept in the audit trail, masked like any content)",
  });
  const approve = h("button", { type: "button", class: "approve" }, "Approve");
  const deny = h("button", { type: "button", class: "deny" }, "Deny");
  const feedback = h("p", { class: "feedback", role: "status", "aria-live": "polite" });
  const hint = h("p", { class: "hint" });
  const form = h(
    "form",
    { class: "decision", "aria-label": "Decision", hidden: true },
    h("label", { for: "decision-comment" }, "Comment"),
    comment,
    h("div", { class: "actions" }, approve, deny),
    hint,
  );
  form.addEventListener("submit", (event) => event.preventDefault());
  // Outside the form: the outcome stays in view after a decision closes the form.
  const element = h("div", {}, form, feedback);

  const decide = async (/** @type {string} */ verdict) => {
    approve.toggleAttribute("disabled", true);
    deny.toggleAttribute("disabled", true);
    replace(feedback, "Sending…");
    feedback.className = "feedback";
    try {
      const res = await ctx.rpc.unary(
        "vigil.v1.ApprovalService/DecideApproval",
        { id, verdict, comment: /** @type {HTMLTextAreaElement} */ (comment).value },
        signal,
      );
      /** @type {HTMLTextAreaElement} */ (comment).value = "";
      const state = res.approval?.state;
      replace(
        feedback,
        verdict === "VERDICT_DENY"
          ? "You denied this request."
          : state === "APPROVAL_STATE_APPROVED"
            ? "You approved this request; the waiting client may proceed."
            : "Your approval is recorded; more reviewers are needed.",
      );
      decided(res.approval);
    } catch (error) {
      if (signal.aborted) return;
      feedback.className = "feedback error";
      replace(feedback, describeFailure(error));
    } finally {
      approve.toggleAttribute("disabled", !ctx.signedIn());
      deny.toggleAttribute("disabled", !ctx.signedIn());
    }
  };
  approve.addEventListener("click", () => void decide("VERDICT_APPROVE"));
  deny.addEventListener("click", () => void decide("VERDICT_DENY"));

  return {
    element,
    /** @param {any} approval */
    update(approval) {
      form.hidden = approval?.state !== "APPROVAL_STATE_PENDING";
      const signedIn = ctx.signedIn();
      approve.toggleAttribute("disabled", !signedIn);
      deny.toggleAttribute("disabled", !signedIn);
      replace(hint, signedIn ? "" : "Sign in with your API token (top right) to approve or deny.");
    },
  };
}

/** @param {string} c */
function upper(c) {
  return c.toUpperCase();
}
