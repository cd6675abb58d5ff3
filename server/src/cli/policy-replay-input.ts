import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  type AuditRecord,
  CallerSchema,
  type RecordedContent,
} from "../../../gen/vigil/v1/audit_pb.js";
import { AuthorizeRequestSchema } from "../../../gen/vigil/v1/policy_service_pb.js";
import {
  type AuthorizeInput,
  buildAuthorizeInput,
  type ContentInput,
  contentInput,
  contentKindName,
} from "../policy/policy-input.js";

/** A recorded decision's policy input, rebuilt, and how much of it the record could not give back. */
export interface ReplayInput {
  /** The input document, shaped exactly as `buildAuthorizeInput` shaped the original. */
  input: AuthorizeInput;
  /**
   * Content items kept as metadata only (Authorize never stores content): the candidate sees
   * their kind and name but not their text, so rules that read the text cannot match.
   */
  contentNotRecorded: number;
}

/**
 * Rebuilds the input a decision record was decided on. The request is reassembled from the
 * record and shaped by the server's own `buildAuthorizeInput`, so every field (enum names,
 * `{}` defaults, label maps) matches what the live policy saw; `time` is the record's time and
 * `context` its `attributes`. Only content differs: the record has its kind and name, not its
 * body, unless a future record kind stored it.
 */
export function replayInput(record: AuditRecord): ReplayInput {
  const request = create(AuthorizeRequestSchema, {
    principal: record.principal,
    action: record.action,
    resource: record.resource,
    secrets: record.secrets,
    context: record.attributes,
    approvalId: record.approvalId,
    sessionId: record.sessionId,
    requestId: record.requestId,
  });
  // Every record carries a caller and a time; the defaults only keep a malformed one replayable.
  const caller = record.caller ?? create(CallerSchema, {});
  const time = record.time ? timestampDate(record.time) : new Date(0);
  const contents = record.contents.map(recordedContentInput);
  return {
    input: { ...buildAuthorizeInput(request, caller, time), contents },
    contentNotRecorded: contents.filter((c) => !("text" in c) && !("json" in c)).length,
  };
}

/**
 * Content as the candidate sees it: with its body when the record stored one, else kind and
 * name alone. A stored JSON body that no longer parses is treated as not recorded rather than
 * failing the replay of the whole record.
 */
function recordedContentInput(content: RecordedContent): ContentInput {
  const base = { kind: contentKindName(content.kind), name: content.name };
  if (!content.stored) return base;
  try {
    return contentInput(content, "content");
  } catch {
    return base;
  }
}
