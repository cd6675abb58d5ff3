// The reviewer inbox: approvals by state and group, refreshed every few seconds; the open
// approval follows WatchApproval, so votes and decisions by other reviewers appear at once.
import { quorumSummary, watchDetail } from "./approval-detail.js";
import { describeFailure, enumLabel, h, isTyping, replace, resourceLabel, timeAgo } from "./dom.js";

const states = ["PENDING", "APPROVED", "DENIED", "EXPIRED", "CONSUMED"];
const refreshMs = 2000;

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
    if (focused) {
      /** @type {HTMLElement | null} */ (
        list.querySelector(`[data-id="${CSS.escape(focused)}"]`)
      )?.focus();
    }
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
/** @param {string} c */
function upper(c) {
  return c.toUpperCase();
}
