// The audit browser: search records, open one record or a whole session, verify the log.
import {
  describeFailure,
  enumLabel,
  fields,
  h,
  link,
  replace,
  resourceLabel,
  timeExact,
} from "./dom.js";

const kinds = ["DECISION", "REDACTION", "EVENT", "APPROVAL", "ADMIN"];
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
    for (const [name, value] of new FormData(/** @type {HTMLFormElement} */ (form))) {
      if (typeof value === "string" && value.trim() !== "") next.set(name, value.trim());
    }
    ctx.navigate(`/console/audit${next.toString() ? `?${next}` : ""}`);
  });

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

/** A one-phrase summary of what a record says happened. @param {any} r */
function outcome(r) {
  switch (r.kind) {
    case "AUDIT_RECORD_KIND_DECISION":
      return enumLabel(r.decision, "DECISION_");
    case "AUDIT_RECORD_KIND_EVENT":
      return enumLabel(r.eventKind, "RECORD_EVENT_KIND_");
    case "AUDIT_RECORD_KIND_APPROVAL":
      return `approval ${r.attributes?.event ?? ""}`.trim();
    case "AUDIT_RECORD_KIND_REDACTION":
      return `${(r.findings ?? []).length} finding${(r.findings ?? []).length === 1 ? "" : "s"}`;
    default:
      return r.attributes?.event ?? "";
  }
}

/**
 * VerifyLog: recomputes every link of the chain on the server and reports the first bad entry.
 * @param {import("./app.js").ConsoleContext} ctx
 * @param {AbortSignal} signal
 */
function verifyPanel(ctx, signal) {
  const result = h("div", { class: "verify-result", role: "status", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "secondary" }, "Verify the log");
  button.addEventListener("click", async () => {
    button.toggleAttribute("disabled", true);
    result.className = "verify-result";
    replace(result, "Verifying every entry…");
    try {
      const v = await ctx.rpc.unary("vigil.v1.AuditService/VerifyLog", {}, signal);
      const checked = Number(v.entriesChecked ?? 0);
      result.className = `verify-result ${v.ok ? "ok" : "bad"}`;
      replace(
        result,
        v.ok
          ? h(
              "p",
              {},
              h("strong", {}, "Log verified. "),
              `${checked} entr${checked === 1 ? "y" : "ies"} from #${v.firstSequence ?? 1}, `,
              `${v.checkpointsChecked ?? 0} checkpoint(s) checked. Head `,
              h("code", {}, (v.headHash ?? "").slice(0, 16)),
            )
          : h(
              "p",
              {},
              h("strong", {}, "Verification failed: "),
              `entry #${v.firstBadSequence ?? "?"} `,
              v.firstBadRecordId
                ? link(`/console/audit/records/${v.firstBadRecordId}`, `(${v.firstBadRecordId})`)
                : "",
              ` — ${v.problem ?? "unknown problem"}`,
            ),
      );
    } catch (error) {
      if (signal.aborted) return;
      result.className = "verify-result bad";
      replace(result, describeFailure(error));
    } finally {
      button.toggleAttribute("disabled", false);
    }
  });
  return h("section", { class: "verify", "aria-label": "Verify the log" }, button, result);
}

/**
 * One record with everything it holds (contents are stored redacted).
 * @param {import("./app.js").ConsoleContext} ctx
 * @param {{ recordId: string }} route
 */
export function recordView(ctx, route) {
  const abort = new AbortController();
  const body = h("div", { class: "record" }, h("p", { class: "placeholder" }, "Loading…"));
  ctx.rpc
    .unary("vigil.v1.AuditService/GetRecord", { id: route.recordId }, abort.signal)
    .then((res) => replace(body, recordDetail(res.record)))
    .catch((error) => {
      if (!abort.signal.aborted)
        replace(body, h("p", { class: "error", role: "alert" }, describeFailure(error)));
    });
  return {
    title: "Audit record",
    element: h(
      "div",
      {},
      h("p", { class: "crumbs" }, link("/console/audit", "Audit trail"), " / record"),
      body,
    ),
    dispose: () => abort.abort(),
  };
}

/** @param {any} r */
function recordDetail(r) {
  return [
    h("h1", {}, `#${r.sequence} · ${enumLabel(r.kind, "AUDIT_RECORD_KIND_")}`),
    fields([
      ["Time", timeExact(r.time)],
      ["Caller", r.caller ? `${r.caller.id} (${r.caller.method})` : ""],
      ["Principal", r.principal?.id ?? ""],
      ["Action", r.action ?? ""],
      ["Resource", resourceLabel(r.resource)],
      ["Secrets", (r.secrets ?? []).map((/** @type {any} */ s) => s.name).join(", ")],
      ["Decision", r.decision ? enumLabel(r.decision, "DECISION_") : ""],
      ["Event", r.eventKind ? enumLabel(r.eventKind, "RECORD_EVENT_KIND_") : ""],
      [
        "Session",
        r.sessionId
          ? link(`/console/audit/sessions/${encodeURIComponent(r.sessionId)}`, r.sessionId)
          : "",
      ],
      [
        "Approval",
        r.approvalId
          ? link(`/console/approvals/${encodeURIComponent(r.approvalId)}`, r.approvalId)
          : "",
      ],
      [
        "Decision record",
        r.decisionId && r.decisionId !== r.id
          ? link(`/console/audit/records/${encodeURIComponent(r.decisionId)}`, r.decisionId)
          : "",
      ],
      ["Policy", r.policy?.bundleRevision ?? ""],
      ["Record id", r.id],
    ]),
    (r.reasons ?? []).length > 0
      ? [
          h("h2", {}, "Reasons"),
          h(
            "ul",
            {},
            r.reasons.map((/** @type {any} */ x) =>
              h("li", {}, h("code", {}, x.code), ` ${x.message ?? ""}`),
            ),
          ),
        ]
      : null,
    contentsOf(r),
    (r.findings ?? []).length > 0
      ? [
          h("h2", {}, "Findings"),
          h(
            "ul",
            {},
            r.findings.map((/** @type {any} */ f) =>
              h(
                "li",
                {},
                `${f.detectorId} (${enumLabel(f.category, "FINDING_CATEGORY_")}) → ${enumLabel(f.action, "REDACT_ACTION_")}`,
              ),
            ),
          ),
        ]
      : null,
    r.attributes && Object.keys(r.attributes).length > 0
      ? [
          h("h2", {}, "Attributes"),
          h("pre", { class: "preview", tabindex: "0" }, JSON.stringify(r.attributes, null, 2)),
        ]
      : null,
    h(
      "details",
      { class: "provenance" },
      h("summary", {}, "Hash chain"),
      fields([
        ["Previous hash", h("code", {}, r.prevHash ?? "")],
        ["Hash", h("code", {}, r.hash ?? "")],
      ]),
    ),
  ];
}

/** The record's contents, as stored (redacted). @param {any} r */
function contentsOf(r) {
  const contents = (r.contents ?? []).filter((/** @type {any} */ c) => c.stored);
  if (contents.length === 0) return null;
  return [
    h("h2", {}, "Content (as stored, redacted)"),
    contents.map((/** @type {any} */ c) =>
      h(
        "figure",
        { class: "content" },
        h(
          "figcaption",
          {},
          `${enumLabel(c.kind, "CONTENT_KIND_")}${c.name ? ` · ${c.name}` : ""} · ${c.originalLength ?? 0} bytes received`,
        ),
        h("pre", { class: "preview", tabindex: "0" }, c.text ?? c.json ?? ""),
      ),
    ),
  ];
}

/**
 * A recorded session in order, with each event's offset from the first.
 * @param {import("./app.js").ConsoleContext} ctx
 * @param {{ sessionId: string }} route
 */
export function sessionView(ctx, route) {
  const abort = new AbortController();
  const list = h("ol", { class: "timeline" });
  /** @type {number | undefined} */
  let start;
  const show = (/** @type {any[]} */ records) => {
    for (const r of records) {
      const at = new Date(r.occurredAt ?? r.time).getTime();
      start ??= at;
      list.append(
        h(
          "li",
          { class: "timeline-event" },
          h("span", { class: "offset" }, `+${((at - start) / 1000).toFixed(3)} s`),
          h(
            "div",
            {},
            h(
              "p",
              { class: "event-head" },
              link(`/console/audit/records/${encodeURIComponent(r.id)}`, `#${r.sequence}`),
              ` ${outcome(r)} · ${r.action ?? ""} ${r.principal?.id ? `by ${r.principal.id}` : ""}`,
            ),
            contentsOf(r),
          ),
        ),
      );
    }
  };
  const { summary, more } = pagedRecords(
    ctx,
    { filter: { sessionId: route.sessionId }, pageSize: 500 },
    abort.signal,
    show,
    (count) =>
      count === 0
        ? "No records in this session."
        : `${count} event${count === 1 ? "" : "s"}, in order`,
  );
  return {
    title: "Session",
    element: h(
      "div",
      {},
      h("p", { class: "crumbs" }, link("/console/audit", "Audit trail"), " / session"),
      h("h1", {}, "Session ", h("code", {}, route.sessionId)),
      summary,
      list,
      more,
    ),
    dispose: () => abort.abort(),
  };
}

/**
 * Pages through QueryRecords: loads the first page now and the next on "Load more".
 * @param {import("./app.js").ConsoleContext} ctx
 * @param {object} request QueryRecordsRequest without the page token
 * @param {AbortSignal} signal
 * @param {(records: any[]) => void} show adds one page's records to the view
 * @param {(count: number, hasMore: boolean) => string} say the status line for the records so far
 */
function pagedRecords(ctx, request, signal, show, say) {
  const summary = h("p", { class: "live", role: "status" }, "Loading…");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  let pageToken = "";
  let count = 0;
  const load = async () => {
    more.toggleAttribute("disabled", true);
    try {
      const res = await ctx.rpc.unary(
        "vigil.v1.AuditService/QueryRecords",
        { ...request, pageToken },
        signal,
      );
      const records = res.records ?? [];
      show(records);
      count += records.length;
      pageToken = res.nextPageToken ?? "";
      more.hidden = pageToken === "";
      replace(summary, say(count, pageToken !== ""));
    } catch (error) {
      if (!signal.aborted) replace(summary, h("span", { class: "error" }, describeFailure(error)));
    } finally {
      more.toggleAttribute("disabled", false);
    }
  };
  more.addEventListener("click", () => void load());
  void load();
  return { summary, more };
}

/** A datetime-local value (the reviewer's local time) as RFC 3339. @param {string | null} value */
function localToIso(value) {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
