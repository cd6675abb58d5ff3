// One audit record with everything it holds, and a recorded session in order.
import { contentsOf, outcome, pagedRecords } from "./audit-records.js";
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
