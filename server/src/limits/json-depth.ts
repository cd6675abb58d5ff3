import type { DescField, DescMessage, Message } from "@bufbuild/protobuf";

const jsonTypes = new Set([
  "google.protobuf.Struct",
  "google.protobuf.Value",
  "google.protobuf.ListValue",
]);

/**
 * Finds a JSON field (`google.protobuf.Struct`, `Value` or `ListValue`, at any depth of
 * `message`) whose objects and arrays nest deeper than `maxDepth`, and returns its proto path
 * (`resource.attributes`, `contents[2].json`); undefined when every one is within the limit.
 *
 * Depth counts containers the way `redact/mask-json.ts` does: `{"a": 1}` is 1 level,
 * `{"a": {"b": [1]}}` is 3. The walk stops at the first field over the limit, so a hostile
 * document costs at most `maxDepth` levels of it, and nothing recurses on the document.
 */
export function findDeepJson(
  schema: DescMessage,
  message: Message,
  maxDepth: number,
): string | undefined {
  for (const field of schema.fields) {
    const value = fieldValue(field, message);
    if (value === undefined || value === null) continue;
    const found = checkField(field, value, maxDepth);
    if (found !== undefined) return found === "" ? field.name : `${field.name}${found}`;
  }
  return undefined;
}

/** The path below `field` ("" for the field itself) that nests too deep, if any. */
function checkField(field: DescField, value: unknown, maxDepth: number): string | undefined {
  switch (field.fieldKind) {
    case "message":
      return checkMessageValue(field.message, value, maxDepth);
    case "list":
      if (field.listKind !== "message") return undefined;
      for (const [i, item] of (value as unknown[]).entries()) {
        const found = checkMessageValue(field.message, item, maxDepth);
        if (found !== undefined) return `[${i}]${found}`;
      }
      return undefined;
    case "map":
      if (field.mapKind !== "message") return undefined;
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        const found = checkMessageValue(field.message, item, maxDepth);
        if (found !== undefined) return `[${JSON.stringify(key)}]${found}`;
      }
      return undefined;
    default:
      return undefined;
  }
}

function checkMessageValue(
  desc: DescMessage,
  value: unknown,
  maxDepth: number,
): string | undefined {
  if (jsonTypes.has(desc.typeName)) return jsonDepthOver(value, maxDepth) ? "" : undefined;
  const found = findDeepJson(desc, value as Message, maxDepth);
  return found === undefined ? undefined : `.${found}`;
}

/** A field's value, reading a oneof member only when it is the one set. */
function fieldValue(field: DescField, message: Message): unknown {
  const record = message as unknown as Record<string, unknown>;
  if (!field.oneof) return record[field.localName];
  const group = record[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
  return group?.case === field.localName ? group.value : undefined;
}

/**
 * Whether `value` nests more than `maxDepth` objects and arrays. It takes plain JSON (how
 * protobuf-es holds a Struct field) and the message forms of Struct, Value and ListValue, and
 * walks with its own stack, so depth cannot overflow the call stack.
 */
export function jsonDepthOver(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const children = containerChildren(entry[0]);
    if (children === undefined) continue;
    const depth = entry[1] + 1;
    if (depth > maxDepth) return true;
    for (const child of children) stack.push([child, depth]);
  }
  return false;
}

/** The members of a JSON object or array; undefined for a scalar. */
function containerChildren(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (value === null || typeof value !== "object") return undefined;
  const typeName = (value as { $typeName?: unknown }).$typeName;
  if (typeName === undefined) return Object.values(value);
  if (typeName === "google.protobuf.Struct") {
    return Object.values((value as { fields: Record<string, unknown> }).fields);
  }
  if (typeName === "google.protobuf.ListValue") return (value as { values: unknown[] }).values;
  if (typeName === "google.protobuf.Value") {
    // A Value wraps one JSON value and adds no level of its own.
    const kind = (value as { kind: { case?: string; value?: unknown } }).kind;
    return kind.case === "structValue" || kind.case === "listValue"
      ? containerChildren(kind.value)
      : undefined;
  }
  return undefined;
}
