import { toJson } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import {
  type Approval,
  ApprovalSchema,
  ApprovalState,
  Verdict,
} from "../../../gen/vigil/v1/approval_pb.js";
import { PrincipalKind } from "../../../gen/vigil/v1/common_pb.js";
import type { ApprovalEvent, ApprovalEventType } from "./approval-events.js";

/**
 * How a webhook body is shaped: `json` is Vigil's own envelope around the approval's protobuf
 * JSON; `slack` is a message for a Slack incoming webhook (or anything that accepts that shape).
 */
export type WebhookFormat = "json" | "slack";

/** Options for {@link buildWebhookBody}. */
export interface WebhookPayloadOptions {
  format: WebhookFormat;
  /** Base URL of the approvals console; links go to `<consoleUrl>/approvals/<id>`. Default: none. */
  consoleUrl?: string | undefined;
}

/** Longest content preview a Slack message shows; the full redacted one is in the console. */
const previewLimit = 500;
/** Slack refuses section texts over 3,000 characters and fields over 2,000. */
const sectionLimit = 2800;
const fieldLimit = 1900;

/**
 * Builds the request body for one approval event. The approval's content preview is already
 * redacted; nothing else about the content (and no secret value) exists on an `Approval`.
 */
export function buildWebhookBody(event: ApprovalEvent, options: WebhookPayloadOptions): string {
  const link = options.consoleUrl ? approvalLink(options.consoleUrl, event.approval.id) : undefined;
  if (options.format === "slack") return JSON.stringify(slackMessage(event, link));
  return JSON.stringify({
    type: `approval.${event.type}`,
    time: event.time.toISOString(),
    // Proto JSON, as the API returns it, so receivers can parse it with the same schema.
    approval: toJson(ApprovalSchema, event.approval),
    ...(link ? { console_url: link } : {}),
  });
}

/** The console page of one approval: `<consoleUrl>/approvals/<id>`, keeping the base's path. */
export function approvalLink(consoleUrl: string, approvalId: string): string {
  const base = consoleUrl.endsWith("/") ? consoleUrl : `${consoleUrl}/`;
  return new URL(`approvals/${encodeURIComponent(approvalId)}`, base).toString();
}

const titles: Record<ApprovalEventType, string> = {
  created: "Approval requested",
  voted: "Approval vote recorded",
  approved: "Approval granted",
  denied: "Approval denied",
  expired: "Approval expired",
  consumed: "Approval used up",
};

const stateNames: Record<ApprovalState, string> = {
  [ApprovalState.UNSPECIFIED]: "unknown",
  [ApprovalState.PENDING]: "pending",
  [ApprovalState.APPROVED]: "approved",
  [ApprovalState.DENIED]: "denied",
  [ApprovalState.EXPIRED]: "expired",
  [ApprovalState.CONSUMED]: "consumed",
};

const kindNames: Record<PrincipalKind, string> = {
  [PrincipalKind.UNSPECIFIED]: "",
  [PrincipalKind.USER]: "user",
  [PrincipalKind.SERVICE]: "service",
  [PrincipalKind.CI_JOB]: "CI job",
  [PrincipalKind.AGENT]: "agent",
};

type TextObject = { type: "mrkdwn" | "plain_text"; text: string };
type Block =
  | { type: "header"; text: TextObject }
  | { type: "section"; text?: TextObject; fields?: TextObject[] }
  | { type: "context"; elements: TextObject[] };

function slackMessage(event: ApprovalEvent, link: string | undefined) {
  const a = event.approval;
  const who = a.principal?.id || "(unknown principal)";
  const resource = a.resource ? `${a.resource.kind}/${a.resource.id}` : "(no resource)";
  const title = titles[event.type];
  const fields = [
    field("Requested by", requestedBy(a, who)),
    field("Action", code(a.action)),
    field("Resource", code(resource)),
    field("State", stateNames[a.state] ?? "unknown"),
  ];
  if (a.rules.length > 0)
    fields.push(
      field("Needs", a.rules.map((r) => `${r.required} of ${escapeMrkdwn(r.group)}`).join(", ")),
    );
  if (a.expiresAt) fields.push(field("Expires", slackDate(a.expiresAt)));
  if (a.decidedAt) fields.push(field("Decided", slackDate(a.decidedAt)));
  if (a.secrets.length > 0)
    fields.push(
      field(
        "Secrets",
        a.secrets.map((s) => code(s.store ? `${s.store}:${s.name}` : s.name)).join(", "),
      ),
    );

  const blocks: Block[] = [
    { type: "header", text: { type: "plain_text", text: title } },
    { type: "section", fields },
  ];
  if (a.reason) blocks.push(section(`*Reason*\n${escapeMrkdwn(truncate(a.reason, sectionLimit))}`));
  if (a.contentPreview) {
    // A fence inside the preview would end the code block early and let the rest render.
    const preview = truncate(a.contentPreview, previewLimit).replaceAll("```", "`\u200b``");
    blocks.push(section(`*Content preview (redacted)*\n\`\`\`${escapeMrkdwn(preview)}\`\`\``));
  }
  if (a.votes.length > 0) blocks.push(section(`*Votes*\n${votes(a)}`));
  if (link) blocks.push(section(`<${link.replaceAll("|", "%7C")}|Open in the Vigil console>`));
  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text: `Approval ${code(a.id)}${a.policyRevision ? ` · policy ${code(a.policyRevision)}` : ""}`,
      },
    ],
  });

  return {
    // Shown in notifications and by clients that cannot render blocks.
    text: `${title}: ${escapeMrkdwn(who)} wants ${escapeMrkdwn(a.action)} on ${escapeMrkdwn(resource)} (${stateNames[a.state] ?? "unknown"})`,
    blocks,
  };
}

/** The principal and its kind, and the caller that asked for it when that is someone else. */
function requestedBy(a: Approval, who: string): string {
  const via = a.requesterId && a.requesterId !== who ? `via ${code(a.requesterId)}` : "";
  return [code(who), kindNames[a.principal?.kind ?? 0], via].filter(Boolean).join(" ");
}

function votes(a: Approval): string {
  const lines = a.votes.map((v) => {
    const verdict =
      v.verdict === Verdict.APPROVE ? "approved" : v.verdict === Verdict.DENY ? "denied" : "voted";
    const group = v.group ? ` (${escapeMrkdwn(v.group)})` : "";
    const comment = v.comment ? `: “${escapeMrkdwn(truncate(v.comment, 300))}”` : "";
    return `• ${code(v.reviewerId)}${group} ${verdict}${comment}`;
  });
  return truncate(lines.join("\n"), sectionLimit);
}

function field(name: string, value: string): TextObject {
  return { type: "mrkdwn", text: `*${name}*\n${truncate(value, fieldLimit)}` };
}

function section(text: string): Block {
  return { type: "section", text: { type: "mrkdwn", text } };
}

/** Inline code, so ids and names render as typed instead of as formatting. */
function code(text: string): string {
  return `\`${escapeMrkdwn(truncate(text, 200).replaceAll("`", "'"))}\``;
}

/**
 * Slack's required escaping. Without it a requester-chosen value such as `<!channel>` or
 * `<https://evil|the console>` would page everyone or plant a link in the reviewers' channel.
 */
function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** A Slack date token: shown in each reader's time zone, with an ISO fallback. */
function slackDate(timestamp: Timestamp): string {
  const date = timestampDate(timestamp);
  const seconds = Math.floor(date.getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${date.toISOString()}>`;
}

function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = limit - 1;
  // Never cut a surrogate pair in half.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}
