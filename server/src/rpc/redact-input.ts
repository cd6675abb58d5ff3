import type { Caller } from "../../../gen/vigil/v1/audit_pb.js";
import type {
  Content,
  ContentKind,
  Principal,
  RegisteredSecret,
  Resource,
} from "../../../gen/vigil/v1/common_pb.js";
import { InvalidInputError } from "../errors.js";
import {
  callerInput,
  contentKindName,
  principalInput,
  resourceInput,
} from "../policy/policy-input.js";
import type { RedactPlanInput } from "../policy/redact-plan.js";
import type { RedactableContent } from "../redact/content-redactor.js";
import type { RegisteredValue } from "../redact/registered-values.js";

/** Registered values shorter than this would mask every occurrence of a short string. */
const minRegisteredLength = 8;

/** The body of a request's content; `field` names it in errors. */
export function requireContent(content: Content | undefined, field: string): RedactableContent {
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

/** Checks registered secrets and turns them into the values the detectors look for. */
export function registeredValues(
  secrets: readonly RegisteredSecret[],
  prefix: string,
): RegisteredValue[] {
  return secrets.map((secret, i) => {
    const field = `${prefix}[${i}]`;
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

/** The plan input from what a Redact or RedactStream start says about the content. */
export function redactPlanInput(
  request: { principal?: Principal | undefined; action: string; resource?: Resource | undefined },
  kind: ContentKind,
  name: string | undefined,
  at: { caller: Caller; now: Date; destination?: string },
): RedactPlanInput {
  const { caller, now } = at;
  return {
    caller: callerInput(caller),
    principal: principalInput(request.principal),
    action: request.action,
    resource: resourceInput(request.resource),
    target: contentKindName(kind),
    // Empty: the library derives it from the target. Record says `audit`.
    destination: at.destination ?? "",
    content_names: name ? [name] : [],
    time: { unix_ms: now.getTime(), rfc3339: now.toISOString() },
  };
}

/** Masked content back in the wire's `body` oneof, in the form it came in. */
export function contentBody(
  content: RedactableContent,
): { case: "json"; value: string } | { case: "text"; value: string } {
  return "json" in content
    ? { case: "json", value: content.json }
    : { case: "text", value: content.text };
}
