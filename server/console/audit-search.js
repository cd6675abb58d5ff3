// The audit browser's search: records by principal, caller, session, action, resource, kind,
// decision and time, with the filters in the address so a search can be linked.
import { outcome, pagedRecords } from "./audit-records.js";
import { enumLabel, h, link, resourceLabel, timeExact } from "./dom.js";
import { verifyPanel } from "./verify-panel.js";

const kinds = ["DECISION", "REDACTION", "EVENT", "APPROVAL", "ADMIN", "ACCESS"];
const decisions = ["ALLOW", "DENY", "REQUIRE_APPROVAL"];
const pageSize = 100;

// Search form fields: [query parameter, label, RecordFilter field].
const textFilters = [
  ["principal", "Principal", "principalId"],
  ["caller", "Caller", "callerId"],
  ["session", "Session", "sessionId"],
  ["action", "Action", "action"],
  ["resource_kind", "Resource kind", "resourceKind"],
  ["resource_id", "Resource id", "resourceId"],
];

/**
 * Record search, with the filters in the address so a search can be linked.
 * @param {import("./app.js").ConsoleContext} ctx
 * @param {{ query: URLSearchParams }} route
 */
export function auditView(ctx, route) {
  const abort = new AbortController();
  const q = route.query;
  const input = (/** @type {string} */ name, /** @type {string} */ type = "search") =>
    h("input", { id: `f-${name}`, name, type, value: q.get(name) ?? "", autocomplete: "off" });
  const choice = (/** @type {string} */ name, /** @type {string[]} */ values, prefix = "") =>
    h(
      "select",
      { id: `f-${name}`, name },
      h("option", { value: "" }, "any"),
      values.map((v) =>
        h("option", { value: v, selected: q.get(name) === v }, enumLabel(v, prefix)),
      ),
    );
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Search records" },
    textFilters.map(([name, label]) =>
      h("div", { class: "field" }, h("label", { for: `f-${name}` }, label), input(name)),
    ),
    h("div", { class: "field" }, h("label", { for: "f-kind" }, "Kind"), choice("kind", kinds)),
    h(
      "div",
      { class: "field" },
      h("label", { for: "f-decision" }, "Decision"),
      choice("decision", decisions),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: "f-from" }, "From"),
      input("from", "datetime-local"),
    ),
    h("div", { class: "field" }, h("label", { for: "f-to" }, "To"), input("to", "datetime-local")),
    h(
      "div",
      { class: "field check" },
      h("input", { id: "f-oldest", name: "oldest", type: "checkbox", checked: q.has("oldest") }),
      h("label", { for: "f-oldest" }, "Oldest first"),
    ),
    h("div", { class: "field" }, h("button", { type: "submit" }, "Search")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === "string" && value.trim() !== "") next.set(name, value.trim());
    }
    ctx.navigate(`/console/audit${next.toString() ? `?${next}` : ""}`);
  });

  /** @type {Record<string, string>} */
  const filter = {};
  for (const [name, , field] of textFilters) {
    const value = q.get(/** @type {string} */ (name));
    if (value) filter[/** @type {string} */ (field)] = value;
  }
  if (q.get("kind")) filter.kind = `AUDIT_RECORD_KIND_${q.get("kind")}`;
  if (q.get("decision")) filter.decision = `DECISION_${q.get("decision")}`;
  const from = localToIso(q.get("from"));
  const to = localToIso(q.get("to"));
  if (from) filter.startTime = from;
  if (to) filter.endTime = to;

  const rows = h("tbody", {});
  const { summary, more } = pagedRecords(
    ctx,
    { filter, pageSize, descending: !q.has("oldest") },
    abort.signal,
    (records) => rows.append(...records.map(recordRow)),
    (count, hasMore) =>
      count === 0
        ? "No records match."
        : `${count} record${count === 1 ? "" : "s"}${hasMore ? ", more available" : ""}`,
  );

  return {
    title: "Audit trail",
    element: h(
      "div",
      { class: "audit" },
      h("h1", {}, "Audit trail"),
      verifyPanel(ctx, abort.signal),
      form,
      summary,
      h(
        "table",
        { class: "records" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Seq", "Time", "Kind", "Principal", "Action", "Resource", "Outcome", "Session"].map(
              (c) => h("th", { scope: "col" }, c),
            ),
          ),
        ),
        rows,
      ),
      more,
    ),
    dispose: () => abort.abort(),
  };
}

/** @param {any} r an AuditRecord as proto JSON */
function recordRow(r) {
  return h(
    "tr",
    {},
    h("td", {}, link(`/console/audit/records/${encodeURIComponent(r.id)}`, r.sequence ?? "")),
    h("td", {}, timeExact(r.time)),
    h("td", {}, enumLabel(r.kind, "AUDIT_RECORD_KIND_")),
    h("td", {}, r.principal?.id ?? ""),
    h("td", {}, r.action ?? ""),
    h("td", {}, resourceLabel(r.resource)),
    h("td", {}, outcome(r)),
    h(
      "td",
      {},
      r.sessionId
        ? link(`/console/audit/sessions/${encodeURIComponent(r.sessionId)}`, r.sessionId)
        : "",
    ),
  );
}

/** A datetime-local value (the reviewer's local time) as RFC 3339. @param {string | null} value */
function localToIso(value) {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
