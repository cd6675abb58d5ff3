import { create, toBinary } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  type Approval,
  type ApprovalService,
  ApprovalState,
  DecideApprovalResponseSchema,
  GetApprovalResponseSchema,
  ListApprovalsRequestSchema,
  ListApprovalsResponseSchema,
  Verdict,
  WatchApprovalResponseSchema,
} from "../../../gen/vigil/v1/approval_pb.js";
import type { Caller } from "../../../gen/vigil/v1/audit_pb.js";
import { ContentKind } from "../../../gen/vigil/v1/common_pb.js";
import type { ApprovalWatchers } from "../approvals/approval-watchers.js";
import type { ApprovalWorkflow } from "../approvals/approval-workflow.js";
import { InvalidInputError, NotPermittedError, RedactionBlockedError } from "../errors.js";
import type { ContentRedactor } from "../redact/content-redactor.js";
import { callerOf } from "./caller.js";
import { decodeKeyPageToken, encodePageToken, pageSize } from "./page-token.js";
import { redactPlanInput } from "./redact-input.js";

/** Dependencies of {@link createApprovalService}. */
export interface ApprovalServiceDeps {
  approvals: ApprovalWorkflow;
  watchers: ApprovalWatchers;
  /** Masks reviewers' comments before they are stored. */
  redactor: ContentRedactor;
  /** Clock for the comment's redaction plan. Default: `() => new Date()`. */
  now?: () => Date;
}

const pageLimits = { default: 50, max: 500 };
const scanLimit = 5_000;
const maxCommentChars = 2_000;

/** The reviewer inbox, decisions, and WatchApproval for waiting clients. */
export function createApprovalService(
  deps: ApprovalServiceDeps,
): ServiceImpl<typeof ApprovalService> {
  const { approvals, watchers } = deps;
  const now = deps.now ?? (() => new Date());

  /** A comment may quote the request; it is kept only as the audit plan masks it. */
  const maskComment = async (comment: string, context: HandlerContext) => {
    if (comment === "") return "";
    const planInput = redactPlanInput(
      { action: "approval.comment", principal: undefined, resource: undefined },
      ContentKind.LOG,
      "comment",
      { caller: callerOf(context), now: now(), destination: "audit" },
    );
    try {
      const masked = await deps.redactor.redact({ text: comment }, "comment", [], planInput);
      return "text" in masked.content ? masked.content.text : "";
    } catch (error) {
      if (error instanceof RedactionBlockedError) return "[comment withheld by policy]";
      throw error;
    }
  };

  return {
    async listApprovals(request) {
      const limit = pageSize(request.pageSize, "page_size", pageLimits);
      if (!(request.state in ApprovalState)) {
        throw new InvalidInputError("state", `${request.state} is not an approval state`);
      }
      const state =
        request.state === ApprovalState.UNSPECIFIED ? ApprovalState.PENDING : request.state;
      const group = request.group;
      const queryKey = toBinary(
        ListApprovalsRequestSchema,
        create(ListApprovalsRequestSchema, { state, group }),
      );
      const page = await approvals.list({
        state,
        match: group
          ? (a) => a.rules.some((r) => r.group === group) || a.bypassGroups.includes(group)
          : undefined,
        limit,
        after: decodeKeyPageToken(request.pageToken, queryKey),
        scanLimit,
      });
      return create(ListApprovalsResponseSchema, {
        approvals: page.approvals,
        nextPageToken: page.next === undefined ? "" : encodePageToken(page.next, queryKey),
      });
    },

    async getApproval(request, context) {
      requireId(request.id);
      const approval = readableBy(await approvals.get(request.id), callerOf(context));
      return create(GetApprovalResponseSchema, { approval });
    },

    async decideApproval(request, context) {
      requireId(request.id);
      if (request.verdict !== Verdict.APPROVE && request.verdict !== Verdict.DENY) {
        throw new InvalidInputError("verdict", "must be VERDICT_APPROVE or VERDICT_DENY");
      }
      if (request.comment.length > maxCommentChars) {
        throw new InvalidInputError("comment", `is longer than ${maxCommentChars} characters`);
      }
      const caller = callerOf(context);
      if (caller.method === "none") {
        throw new NotPermittedError(
          "deciding an approval needs an authenticated reviewer; call with an API token (--auth-tokens on the server)",
        );
      }
      // Unknown ids fail here, before the comment is masked.
      await approvals.get(request.id);
      const approval = await approvals.decide(
        request.id,
        { id: caller.id, groups: caller.groups, roles: caller.roles },
        { verdict: request.verdict, comment: await maskComment(request.comment, context) },
        caller,
      );
      return create(DecideApprovalResponseSchema, { approval });
    },

    async *watchApproval(request, context) {
      requireId(request.id);
      // Unknown ids and other callers' approvals fail before the stream starts.
      readableBy(await approvals.get(request.id), callerOf(context));
      for await (const approval of watchers.watch(
        request.id,
        () => approvals.get(request.id),
        context.signal,
      )) {
        yield create(WatchApprovalResponseSchema, { approval });
      }
    },
  };
}

/**
 * Reviewers read every approval; a client (role `client` only) reads the approvals its own
 * requests created, which is what it needs to wait on them. Anonymous callers (stored as an
 * empty requester) share one identity, so they read each other's.
 */
function readableBy(approval: Approval, caller: Caller): Approval {
  const self = caller.method === "none" ? "" : caller.id;
  if (caller.roles.includes("approver") || approval.requesterId === self) return approval;
  throw new NotPermittedError(
    `${caller.id} may read only the approvals its own requests created; reviewers need the approver role`,
  );
}

function requireId(id: string): void {
  if (id === "") throw new InvalidInputError("id", "is required");
}
