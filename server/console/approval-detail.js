// One approval in full, kept current through WatchApproval, with the approve / deny form.
import {
  describeFailure,
  enumLabel,
  fields,
  h,
  link,
  replace,
  resourceLabel,
  timeAgo,
  timeExact,
} from "./dom.js";

const retryMs = 3000;

/**
 * Shows one approval and keeps it current through WatchApproval until it is final.
 * @param {import("./app.js").ConsoleContext} ctx
 * @param {string} id
 * @param {HTMLElement} container
 * @param {AbortSignal} signal
 * @param {() => void} changed called after each update, to refresh the list
 */
export async function watchDetail(ctx, id, container, signal, changed) {
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
    } catch (/** @type {any} */ error) {
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
        (a.secrets ?? [])
          .map((/** @type {any} */ s) => `${s.name}${s.store ? ` (${s.store})` : ""}`)
          .join(", "),
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
export function quorumSummary(a) {
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
        { id, verdict, comment: comment.value },
        signal,
      );
      comment.value = "";
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
