import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { v7 as uuidv7 } from "uuid";
import {
  ContentSchema,
  type Finding,
  type PolicyProvenance,
  PolicyProvenanceSchema,
  type Reason,
  ReasonSchema,
} from "../../../gen/vigil/v1/common_pb.js";
import {
  type RedactRequest,
  type RedactResponse,
  RedactResponseSchema,
  type RedactStreamRequest,
  type RedactStreamResponse,
  RedactStreamResponseSchema,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import type { AuditStore } from "../audit/audit-store.js";
import { ContentTooLargeError, InvalidInputError, RedactionBlockedError } from "../errors.js";
import type { ContentRedactor } from "../redact/content-redactor.js";
import type { TextFinding } from "../redact/mask-text.js";
import { createStreamRedactor } from "../redact/stream-redactor.js";
import { redactionRecord } from "./audit-records.js";
import { callerOf } from "./caller.js";
import { contentBody, redactPlanInput, registeredValues, requireContent } from "./redact-input.js";
import { toFinding } from "./redact-mapping.js";

/**
 * Stream chunks are masked on the event loop as they arrive, so each is bounded; model output
 * and trace chunks are far smaller.
 */
export const maxStreamChunkBytes = 64 * 1024;

/** What the Redact handlers need. */
export interface RedactCallDeps {
  redactor: ContentRedactor;
  /** Where each call's audit record goes; the answer waits until it is durable. */
  store: AuditStore;
  now: () => Date;
}

/** Records a refusal, then lets the refusal through; other errors are not the plan's doing. */
async function recordRefusal(
  error: unknown,
  record: (refused: Reason[]) => Promise<unknown>,
): Promise<never> {
  if (error instanceof RedactionBlockedError) {
    await record(error.reasons.map((r) => create(ReasonSchema, r)));
  }
  throw error;
}

/** Creates the Redact handler: validates, asks the policy for a plan, masks, records, answers. */
export function createRedactCall(
  deps: RedactCallDeps,
): (request: RedactRequest, context: HandlerContext) => Promise<RedactResponse> {
  return async (request, context) => {
    const content = requireContent(request.content, "content");
    const registered = registeredValues(request.registeredSecrets, "registered_secrets");
    const caller = callerOf(context);
    const time = deps.now();
    const id = uuidv7();
    const planInput = redactPlanInput(request, request.content?.kind ?? 0, request.content?.name, {
      caller,
      now: time,
    });
    const record = (findings: Finding[], refused: Reason[], policy?: PolicyProvenance) => {
      const outcome = {
        kind: request.content?.kind ?? 0,
        name: request.content?.name ?? "",
        bytes: Buffer.byteLength("json" in content ? content.json : content.text, "utf8"),
        findings,
        refused,
        policy,
      };
      return deps.store.append(redactionRecord(request, outcome, caller, id, time));
    };
    const result = await deps.redactor
      .redact(content, "content", registered, planInput)
      .catch((error: unknown) => recordRefusal(error, (refused) => record([], refused)));
    const findings = result.findings.map(toFinding);
    const policy = create(PolicyProvenanceSchema, {
      bundleRevision: result.provenance.revision,
      entrypoint: result.provenance.entrypoint,
      bundleDigest: result.provenance.digest,
    });
    // Like a decision, a redaction is answered only once its record is durable.
    await record(findings, [], policy);
    return create(RedactResponseSchema, {
      redactionId: id,
      content: create(ContentSchema, {
        kind: request.content?.kind ?? 0,
        name: request.content?.name ?? "",
        body: contentBody(result.content),
      }),
      findings,
      modified: result.modified,
      policy,
    });
  };
}

/**
 * Creates the RedactStream handler: the first message says what the stream is, every later
 * one is a chunk of text. Output lags input by the carry window and never holds part of a
 * secret; findings are located in the whole stream.
 */
export function createRedactStreamCall(
  deps: RedactCallDeps,
): (
  requests: AsyncIterable<RedactStreamRequest>,
  context: HandlerContext,
) => AsyncIterable<RedactStreamResponse> {
  return async function* (requests, context) {
    const iterator = requests[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done || first.value.frame.case !== "start") {
      throw new InvalidInputError("start", "must be the first message of the stream");
    }
    const start = first.value.frame.value;
    const registered = registeredValues(start.registeredSecrets, "start.registered_secrets");
    const caller = callerOf(context);
    const time = deps.now();
    const id = uuidv7();
    const planInput = redactPlanInput(start, start.kind, undefined, { caller, now: time });
    // One audit record for the whole stream, written when it ends or the plan refuses it.
    const found: Finding[] = [];
    let bytes = 0;
    let policy: PolicyProvenance | undefined;
    const record = (refused: Reason[]) =>
      deps.store.append(
        redactionRecord(
          start,
          { kind: start.kind, name: "", bytes, findings: found, refused, policy },
          caller,
          id,
          time,
        ),
      );
    const { redactor, checkFindings, provenance } = await deps.redactor
      .textRedactorFor(registered, planInput)
      .catch((error: unknown) => recordRefusal(error, record));
    policy = create(PolicyProvenanceSchema, {
      bundleRevision: provenance.revision,
      entrypoint: provenance.entrypoint,
      bundleDigest: provenance.digest,
    });
    const stream = createStreamRedactor({ redactor });
    const seen = new Set<string>();
    // A plan may refuse the stream once it knows what was found; ask before emitting more.
    const check = async (findings: readonly TextFinding[]) => {
      const before = seen.size;
      for (const finding of findings) seen.add(finding.detector);
      if (seen.size > before)
        await checkFindings(seen).catch((error: unknown) => recordRefusal(error, record));
    };
    const reply = (out: { text: string; findings: TextFinding[] }) => {
      const findings = out.findings.map(toFinding);
      found.push(...findings);
      return create(RedactStreamResponseSchema, { chunk: out.text, findings });
    };
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      const frame = next.value.frame;
      if (frame.case !== "chunk") {
        throw new InvalidInputError("start", "may only be sent once, as the first message");
      }
      const bytesIn = Buffer.byteLength(frame.value, "utf8");
      if (bytesIn > maxStreamChunkBytes) {
        throw new ContentTooLargeError(
          "chunk",
          bytesIn,
          maxStreamChunkBytes,
          "the stream chunk limit",
        );
      }
      bytes += bytesIn;
      const out = stream.push(frame.value);
      await check(out.findings);
      if (out.text !== "" || out.findings.length > 0) yield reply(out);
    }
    const rest = stream.end();
    await check(rest.findings);
    const last = reply(rest);
    await record([]);
    if (rest.text !== "" || rest.findings.length > 0) yield last;
  };
}
