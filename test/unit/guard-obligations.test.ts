import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  defaultResultKind,
  obligationName,
  redactProfiles,
  unhonouredObligations,
} from "../../clients/ts/src/guard-obligations.js";
import { ContentKind } from "../../gen/vigil/v1/common_pb.js";
import { type Obligation, ObligationSchema } from "../../gen/vigil/v1/obligation_pb.js";

const obligation = (init: MessageInitShape<typeof ObligationSchema>): Obligation =>
  create(ObligationSchema, init);
const redact = (profile: string, kinds: ContentKind[] = []) =>
  obligation({ kind: { case: "redact", value: { profile, kinds } } });
const record = obligation({ kind: { case: "record", value: { session: true } } });
const stripHeaders = obligation({
  kind: { case: "stripHeaders", value: { headers: ["authorization"] } },
});
const notifyOwner = obligation({ kind: { case: "custom", value: { type: "notify-owner" } } });

describe("redactProfiles", () => {
  it("applies the profile of the obligation that names the content kind", () => {
    const obligations = [redact("default", [ContentKind.PROMPT, ContentKind.COMPLETION]), record];
    expect(redactProfiles(obligations, ContentKind.PROMPT, "always")).toEqual(["default"]);
    expect(redactProfiles(obligations, ContentKind.COMPLETION, "obligated")).toEqual(["default"]);
  });

  it("treats an obligation without kinds as covering every kind", () => {
    expect(redactProfiles([redact("strict")], ContentKind.COMMAND, "obligated")).toEqual([
      "strict",
    ]);
  });

  it("applies each distinct covering profile once, in order", () => {
    const obligations = [redact("default"), redact("strict", [ContentKind.LOG]), redact("default")];
    expect(redactProfiles(obligations, ContentKind.LOG, "always")).toEqual(["default", "strict"]);
  });

  it("masks with the plan's default when nothing obliges it, unless told to mask only what is obliged", () => {
    const obligations = [redact("default", [ContentKind.LOG]), record];
    expect(redactProfiles(obligations, ContentKind.COMMAND, "always")).toEqual([""]);
    expect(redactProfiles([], ContentKind.TOOL_RESULT, "always")).toEqual([""]);
    expect(redactProfiles(obligations, ContentKind.COMMAND, "obligated")).toEqual([]);
  });
});

describe("unhonouredObligations", () => {
  it("honours redact and record itself and nothing else", () => {
    const all = [redact("default"), record, stripHeaders, notifyOwner];
    expect(unhonouredObligations(all).map(obligationName)).toEqual([
      "strip_headers",
      "custom:notify-owner",
    ]);
  });

  it("leaves out what the caller says the action honours", () => {
    const accept = (o: Obligation) => o.kind.case === "stripHeaders";
    expect(unhonouredObligations([stripHeaders, notifyOwner], accept)).toEqual([notifyOwner]);
  });

  it("does not understand an empty obligation, so does not honour it", () => {
    expect(unhonouredObligations([create(ObligationSchema)]).map(obligationName)).toEqual([
      "unknown",
    ]);
  });
});

describe("defaultResultKind", () => {
  it("answers a prompt with a completion and an agent's command or tool call with a tool result", () => {
    expect(defaultResultKind(ContentKind.PROMPT)).toBe(ContentKind.COMPLETION);
    expect(defaultResultKind(ContentKind.COMMAND)).toBe(ContentKind.TOOL_RESULT);
    expect(defaultResultKind(ContentKind.TOOL_CALL)).toBe(ContentKind.TOOL_RESULT);
    expect(defaultResultKind(ContentKind.SQL)).toBe(ContentKind.TOOL_RESULT);
    expect(defaultResultKind(ContentKind.HTTP_BODY)).toBe(ContentKind.HTTP_BODY);
  });
});
