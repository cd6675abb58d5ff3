import { create, createFileRegistry, type DescFile, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import type { ServerReflection as ServerReflectionV1 } from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import type { ServerReflection as ServerReflectionV1Alpha } from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { findFileOfSymbol, importsOf, withImports } from "./descriptor-lookup.js";

/**
 * Options for {@link createReflectionServices}.
 */
export interface ReflectionServicesOptions {
  /**
   * Files whose definitions clients may download, for example
   * `file_vigil_v1_policy_service`. Their imports, direct and transitive
   * (such as `google/protobuf/struct.proto`), are included automatically.
   */
  files: DescFile[];
  /**
   * Fully-qualified names of the services that `list_services` advertises,
   * in this order. Each must be declared in `files` or in one of their
   * imports, or creation throws.
   *
   * Default: every service declared directly in `files`.
   */
  services?: string[];
}

/**
 * The two versions of grpc.reflection.ServerReflection: `v1` is the current
 * one, `v1alpha` is what older `grpcurl` builds ask for. Both give the same
 * answers.
 */
export interface ReflectionServices {
  /** Register with `router.service(ServerReflection, v1)` from `grpc/reflection/v1`. */
  v1: ServiceImpl<typeof ServerReflectionV1>;
  /** Register with `router.service(ServerReflection, v1alpha)` from `grpc/reflection/v1alpha`. */
  v1alpha: ServiceImpl<typeof ServerReflectionV1Alpha>;
}

/**
 * Creates gRPC server reflection, so `grpcurl` and `buf curl` can list and
 * call the services without local proto files.
 *
 * Unknown files and symbols are answered with an `error_response` carrying
 * NOT_FOUND rather than by failing the call, so one stream can go on serving
 * lookups.
 *
 * @throws Error if an advertised service is declared in none of the files.
 */
export function createReflectionServices(options: ReflectionServicesOptions): ReflectionServices {
  const answer = createAnswerer(options);
  return {
    v1: { serverReflectionInfo: serveStream(answer) },
    v1alpha: { serverReflectionInfo: serveStream(answer) },
  };
}

// The v1 and v1alpha messages differ only in their type names, so the lookup
// logic works on these structural shapes and each version gets the same code.
interface ReflectionRequest {
  host: string;
  messageRequest:
    | {
        case:
          | "fileByFilename"
          | "fileContainingSymbol"
          | "allExtensionNumbersOfType"
          | "listServices";
        value: string;
      }
    | {
        case: "fileContainingExtension";
        value: { containingType: string; extensionNumber: number };
      }
    | { case: undefined; value?: undefined };
}

type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | {
      case: "allExtensionNumbersResponse";
      value: { baseTypeName: string; extensionNumber: number[] };
    }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

function serveStream(answer: (request: ReflectionRequest) => ReflectionAnswer) {
  return async function* serverReflectionInfo<R extends ReflectionRequest>(
    requests: AsyncIterable<R>,
  ) {
    for await (const request of requests) {
      // valid_host and original_request let a client match replies to requests.
      yield { validHost: request.host, originalRequest: request, messageResponse: answer(request) };
    }
  };
}

function createAnswerer(
  options: ReflectionServicesOptions,
): (request: ReflectionRequest) => ReflectionAnswer {
  const registry = createFileRegistry(
    create(FileDescriptorSetSchema, { file: withImports(options.files).map((f) => f.proto) }),
  );
  const services =
    options.services ?? options.files.flatMap((file) => file.services.map((s) => s.typeName));
  for (const name of services) {
    if (registry.getService(name) === undefined) {
      throw new Error(`cannot advertise ${name} over reflection: no given file declares it`);
    }
  }
  const encoded = new Map<string, Uint8Array>();
  const encode = (file: DescFile): Uint8Array => {
    let bytes = encoded.get(file.name);
    if (bytes === undefined) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      encoded.set(file.name, bytes);
    }
    return bytes;
  };
  // The client needs every import to build its own descriptor pool, and
  // expects the file it asked for to come first.
  const describe = (file: DescFile): ReflectionAnswer => ({
    case: "fileDescriptorResponse",
    value: { fileDescriptorProto: [file, ...importsOf(file)].map(encode) },
  });

  return (request) => {
    const { messageRequest } = request;
    switch (messageRequest.case) {
      case "listServices":
        return {
          case: "listServicesResponse",
          value: { service: services.map((name) => ({ name })) },
        };
      case "fileByFilename": {
        const file = registry.getFile(messageRequest.value);
        return file ? describe(file) : notFound(`file ${messageRequest.value} not found`);
      }
      case "fileContainingSymbol": {
        const file = findFileOfSymbol(registry, messageRequest.value);
        return file ? describe(file) : notFound(`symbol ${messageRequest.value} not found`);
      }
      case "fileContainingExtension": {
        const { containingType, extensionNumber } = messageRequest.value;
        const extendee = registry.getMessage(containingType);
        const extension = extendee && registry.getExtensionFor(extendee, extensionNumber);
        return extension
          ? describe(extension.file)
          : notFound(`extension ${extensionNumber} of ${containingType} not found`);
      }
      case "allExtensionNumbersOfType": {
        const typeName = messageRequest.value;
        if (registry.getMessage(typeName) === undefined) {
          return notFound(`message type ${typeName} not found`);
        }
        const numbers: number[] = [];
        for (const type of registry) {
          if (type.kind === "extension" && type.extendee.typeName === typeName) {
            numbers.push(type.number);
          }
        }
        return {
          case: "allExtensionNumbersResponse",
          value: { baseTypeName: typeName, extensionNumber: numbers.sort((a, b) => a - b) },
        };
      }
      case undefined:
        return {
          case: "errorResponse",
          value: { errorCode: Code.InvalidArgument, errorMessage: "request asks for nothing" },
        };
    }
  };
}

function notFound(message: string): ReflectionAnswer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: message } };
}
