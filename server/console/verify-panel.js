// VerifyLog from the audit page: the whole chain, checked on the server.
import { describeFailure, h, link, replace } from "./dom.js";

/**
 * VerifyLog: recomputes every link of the chain on the server and reports the first bad entry.
 * @param {import("./app.js").ConsoleContext} ctx
 * @param {AbortSignal} signal
 */
export function verifyPanel(ctx, signal) {
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
