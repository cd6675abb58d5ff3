// Pieces the audit views share: a record's outcome and contents, and paging through a query.
import { describeFailure, enumLabel, h, replace } from "./dom.js";

/** A one-phrase summary of what a record says happened. @param {any} r */
export function outcome(r) {
  switch (r.kind) {
    case "AUDIT_RECORD_KIND_DECISION":
      return enumLabel(r.decision, "DECISION_");
    case "AUDIT_RECORD_KIND_EVENT":
      return enumLabel(r.eventKind, "RECORD_EVENT_KIND_");
    case "AUDIT_RECORD_KIND_APPROVAL":
      return `approval ${r.attributes?.event ?? ""}`.trim();
    case "AUDIT_RECORD_KIND_REDACTION":
      return `${(r.findings ?? []).length} finding${(r.findings ?? []).length === 1 ? "" : "s"}`;
    case "AUDIT_RECORD_KIND_ACCESS":
      return `refused: ${(r.reasons ?? [])[0]?.code ?? ""}`;
    default:
      return r.attributes?.event ?? "";
  }
}
/** The record's contents, as stored (redacted). @param {any} r */
export function contentsOf(r) {
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
 * Pages through QueryRecords: loads the first page now and the next on "Load more".
 * @param {import("./app.js").ConsoleContext} ctx
 * @param {object} request QueryRecordsRequest without the page token
 * @param {AbortSignal} signal
 * @param {(records: any[]) => void} show adds one page's records to the view
 * @param {(count: number, hasMore: boolean) => string} say the status line for the records so far
 */
export function pagedRecords(ctx, request, signal, show, say) {
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
