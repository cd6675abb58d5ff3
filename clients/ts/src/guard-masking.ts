import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type {
  ContentKind,
  Finding,
  PrincipalSchema,
  RegisteredSecretSchema,
  ResourceSchema,
} from "../../../gen/vigil/v1/common_pb.js";
import type { Obligation } from "../../../gen/vigil/v1/obligation_pb.js";
import { VigilUnavailableError } from "./errors.js";
import { type RedactionMode, redactProfiles } from "./guard-obligations.js";
import type { VigilCallOptions, VigilCalls } from "./vigil-calls.js";

/** Content after masking, with what was found (never the values). */
export interface MaskedContent {
  text: string;
  /** Offsets refer to the text each Redact pass received (one pass unless several profiles apply). */
  findings: Finding[];
}

/** Who and what the content belongs to: inputs to the redact plan, and the audit record's subject. */
export interface MaskSubject {
  principal: MessageInitShape<typeof PrincipalSchema>;
  action: string;
  resource: MessageInitShape<typeof ResourceSchema>;
  context: JsonObject | undefined;
  sessionId: string;
  requestId: string;
  registered: MessageInitShape<typeof RegisteredSecretSchema>[] | undefined;
}

/** The content to mask and how. */
export interface MaskRequest {
  kind: ContentKind;
  name: string;
  text: string;
  obligations: readonly Obligation[];
  mode: RedactionMode;
  call: VigilCallOptions;
}

/**
 * Masks text with each redact profile the obligations and `mode` call for (see
 * `redactProfiles`), in turn. Rejects, never returning the text unmasked, when a Redact call
 * fails or the plan refuses the content.
 */
export async function maskContent(
  vigil: Pick<VigilCalls, "redact">,
  subject: MaskSubject,
  request: MaskRequest,
): Promise<MaskedContent> {
  const { context, registered, ...who } = subject;
  let text = request.text;
  const findings: Finding[] = [];
  for (const profile of redactProfiles(request.obligations, request.kind, request.mode)) {
    const res = await vigil.redact(
      {
        ...who,
        ...(context ? { context } : {}),
        registeredSecrets: registered ?? [],
        profile,
        content: { kind: request.kind, name: request.name, body: { case: "text", value: text } },
      },
      request.call,
    );
    const body = res.content?.body;
    if (body?.case !== "text") {
      // Text in, text out: anything else is a server fault, and the input must not pass.
      throw new VigilUnavailableError(
        "Redact",
        new ConnectError("the answer carries no masked text", Code.Internal),
      );
    }
    text = body.value;
    findings.push(...res.findings);
  }
  return { text, findings };
}
