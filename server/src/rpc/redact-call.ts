import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { v7 as uuidv7 } from "uuid";
import type { Caller } from "../../../gen/vigil/v1/audit_pb.js";
import { type Content, ContentSchema } from "../../../gen/vigil/v1/common_pb.js";
import {
  type RedactRequest,
  type RedactResponse,
  RedactResponseSchema,
} from "../../../gen/vigil/v1/policy_service_pb.js";
import { InvalidInputError } from "../errors.js";
import { contentKindName, principalInput, resourceInput } from "../policy/policy-input.js";
import type { RedactPlanInput } from "../policy/redact-plan.js";
import type { ContentRedactor, RedactableContent } from "../redact/content-redactor.js";
import type { RegisteredValue } from "../redact/registered-values.js";
import { callerOf } from "./caller.js";
import { toFinding } from "./redact-mapping.js";

/** Registered values shorter than this would mask every occurrence of a short string. */
const minRegisteredLength = 8;

/** Creates the Redact handler: validates, asks the policy for a plan, masks, answers. */
export function createRedactCall(deps: {
  redactor: ContentRedactor;
  now: () => Date;
}): (request: RedactRequest, context: HandlerContext) => Promise<RedactResponse> {
  return async (request, context) => {
    const content = requireContent(request.content, "content");
    const registered = registeredValues(request);
    const planInput = redactPlanInput(request, callerOf(context), deps.now());
    const result = await deps.redactor.redact(content, "content", registered, planInput);
    return create(RedactResponseSchema, {
      redactionId: uuidv7(),
      content: create(ContentSchema, {
        kind: request.content?.kind ?? 0,
        name: request.content?.name ?? "",
        body:
          "json" in result.content
            ? { case: "json", value: result.content.json }
            : { case: "text", value: result.content.text },
      }),
      findings: result.findings.map(toFinding),
      modified: result.modified,
      policy: {
        bundleRevision: result.provenance.revision,
        entrypoint: result.provenance.entrypoint,
        bundleDigest: result.provenance.digest,
      },
    });
  };
}

function requireContent(content: Content | undefined, field: string): RedactableContent {
  if (!content) throw new InvalidInputError(field, "is required");
  switch (content.body.case) {
    case "text":
      return { text: content.body.value };
    case "json":
      return { json: content.body.value };
    default:
      throw new InvalidInputError(field, "one of text or json is required");
  }
}

function registeredValues(request: RedactRequest): RegisteredValue[] {
  return request.registeredSecrets.map((secret, i) => {
    const field = `registered_secrets[${i}]`;
    if (!secret.name) throw new InvalidInputError(`${field}.name`, "is required");
    if (secret.value.case === undefined) {
      throw new InvalidInputError(field, "one of text or json is required");
    }
    const value = secret.value.value;
    if (secret.value.case === "text" && [...value].length < minRegisteredLength) {
      throw new InvalidInputError(
        `${field}.text`,
        `is shorter than ${minRegisteredLength} characters; registering it would mask every occurrence of a short string`,
      );
    }
    return { name: secret.name, value };
  });
}

function redactPlanInput(request: RedactRequest, caller: Caller, now: Date): RedactPlanInput {
  return {
    caller: { id: caller.id, method: caller.method, roles: [...caller.roles], peer: caller.peer },
    principal: principalInput(request.principal),
    action: request.action,
    resource: resourceInput(request.resource),
    target: contentKindName(request.content?.kind ?? 0),
    // The library derives the destination from the target until the contract carries one.
    destination: "",
    content_names: request.content?.name ? [request.content.name] : [],
    time: { unix_ms: now.getTime(), rfc3339: now.toISOString() },
  };
}
