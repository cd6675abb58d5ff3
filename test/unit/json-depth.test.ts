import { create, fromJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  AuthorizeRequestSchema,
  AuthorizeResponseSchema,
  RecordStreamRequestSchema,
  RedactStreamRequestSchema,
} from "../../gen/vigil/v1/policy_service_pb.js";
import { findDeepJson, jsonDepthOver } from "../../server/src/limits/json-depth.js";

/** `{"a":{"a":…1…}}` with `levels` objects. */
function nested(levels: number): JsonObject {
  let value: JsonValue = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value as JsonObject;
}

describe("jsonDepthOver", () => {
  it("counts objects and arrays as mask-json does", () => {
    expect(jsonDepthOver(1, 0)).toBe(false);
    expect(jsonDepthOver({ a: 1 }, 1)).toBe(false);
    expect(jsonDepthOver({ a: 1 }, 0)).toBe(true);
    expect(jsonDepthOver({ a: { b: [1] } }, 3)).toBe(false);
    expect(jsonDepthOver({ a: { b: [1] } }, 2)).toBe(true);
    expect(jsonDepthOver([[[]]], 2)).toBe(true);
  });

  it("measures the message forms of Value, Struct and ListValue like plain JSON", () => {
    const value = fromJson(ValueSchema, { a: [{ b: 1 }] });
    expect(jsonDepthOver(value, 3)).toBe(false);
    expect(jsonDepthOver(value, 2)).toBe(true);
    expect(jsonDepthOver(fromJson(ValueSchema, "scalar"), 0)).toBe(false);
  });

  it("walks 100,000 levels without overflowing the stack", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonDepthOver(deep, 100_001)).toBe(false);
    expect(jsonDepthOver(deep, 99_999)).toBe(true);
  });
});

describe("findDeepJson", () => {
  it("names the Struct field inside a nested message that nests too deep", () => {
    const request = create(AuthorizeRequestSchema, {
      action: "secret.read",
      resource: { kind: "secret", id: "x", attributes: nested(5) },
      context: nested(2),
    });
    expect(findDeepJson(AuthorizeRequestSchema, request, 5)).toBeUndefined();
    expect(findDeepJson(AuthorizeRequestSchema, request, 4)).toBe("resource.attributes");
    expect(findDeepJson(AuthorizeRequestSchema, request, 1)).toBe("resource.attributes");
  });

  it("looks into repeated messages and oneof members", () => {
    const response = create(AuthorizeResponseSchema, {
      obligations: [
        { kind: { case: "record", value: { session: true } } },
        { kind: { case: "custom", value: { type: "notify", params: nested(3) } } },
      ],
    });
    expect(findDeepJson(AuthorizeResponseSchema, response, 2)).toBe("obligations[1].custom.params");
    const start = create(RedactStreamRequestSchema, {
      frame: { case: "start", value: { principal: { attributes: nested(4) } } },
    });
    expect(findDeepJson(RedactStreamRequestSchema, start, 3)).toBe("start.principal.attributes");
    const stream = create(RecordStreamRequestSchema, { event: { attributes: nested(4) } });
    expect(findDeepJson(RecordStreamRequestSchema, stream, 3)).toBe("event.attributes");
  });

  it("passes a request without JSON fields", () => {
    expect(findDeepJson(AuthorizeRequestSchema, create(AuthorizeRequestSchema), 1)).toBeUndefined();
  });
});
