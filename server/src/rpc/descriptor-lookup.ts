/** Lookups over protobuf descriptors that server reflection needs beyond `FileRegistry`. */
import type { DescFile, FileRegistry } from "@bufbuild/protobuf";

/** The given files and all their imports, each import before its importers. */
export function withImports(files: DescFile[]): DescFile[] {
  const ordered = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    if (!ordered.has(file.name)) {
      file.dependencies.forEach(visit);
      ordered.set(file.name, file);
    }
  };
  files.forEach(visit);
  return [...ordered.values()];
}

/** All direct and transitive imports of a file, nearest first. */
export function importsOf(file: DescFile): DescFile[] {
  const seen = new Map<string, DescFile>([[file.name, file]]);
  const queue = [...file.dependencies];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (!seen.has(next.name)) {
      seen.set(next.name, next);
      queue.push(...next.dependencies);
    }
  }
  seen.delete(file.name);
  return [...seen.values()];
}

/**
 * Finds the file declaring a symbol: a message, enum, service or extension,
 * or a member of one (field, oneof, method, enum value).
 */
export function findFileOfSymbol(registry: FileRegistry, name: string): DescFile | undefined {
  const type = registry.get(name);
  if (type !== undefined) {
    return type.file;
  }
  const dot = name.lastIndexOf(".");
  const scope = name.slice(0, Math.max(dot, 0));
  const member = name.slice(dot + 1);
  const service = registry.getService(scope);
  if (service?.methods.some((method) => method.name === member)) {
    return service.file;
  }
  const message = registry.getMessage(scope);
  if (
    message?.fields.some((field) => field.name === member) ||
    message?.oneofs.some((oneof) => oneof.name === member)
  ) {
    return message.file;
  }
  // Protobuf scopes enum values like C++ enumerators: as siblings of their
  // enum, so `vigil.v1.DECISION_ALLOW`, not `vigil.v1.Decision.DECISION_ALLOW`.
  for (const type of registry) {
    if (
      type.kind === "enum" &&
      (type.parent?.typeName ?? type.file.proto.package) === scope &&
      type.values.some((value) => value.name === member)
    ) {
      return type.file;
    }
  }
  return undefined;
}
