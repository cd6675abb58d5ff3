import { fromBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { file_grpc_health_v1_health } from "../../gen/grpc/health/v1/health_pb.js";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { file_vigil_v1_audit } from "../../gen/vigil/v1/audit_pb.js";
import { file_vigil_v1_policy_service } from "../../gen/vigil/v1/policy_service_pb.js";
import { createReflectionServices } from "../../server/src/rpc/reflection-service.js";

const advertised = [
  "vigil.v1.PolicyService",
  "vigil.v1.AuditService",
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

const reflection = createReflectionServices({
  files: [
    file_vigil_v1_policy_service,
    file_vigil_v1_audit,
    file_grpc_health_v1_health,
    v1.file_grpc_reflection_v1_reflection,
    v1alpha.file_grpc_reflection_v1alpha_reflection,
  ],
  services: advertised,
});

/** A request both protocol versions accept: plain init objects carry no type name. */
type Request = {
  host?: string;
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
      };
};
type Reply = v1.ServerReflectionResponse | v1alpha.ServerReflectionResponse;

/** Sends all requests on one bidi stream and collects the replies. */
type Ask = (requests: Request[]) => Promise<Reply[]>;

async function collect<T>(replies: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const reply of replies) {
    all.push(reply);
  }
  return all;
}

async function* each<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

const askV1: Ask = (requests) => {
  const transport = createRouterTransport((router) => {
    router.service(v1.ServerReflection, reflection.v1);
  });
  return collect(createClient(v1.ServerReflection, transport).serverReflectionInfo(each(requests)));
};

const askV1alpha: Ask = (requests) => {
  const transport = createRouterTransport((router) => {
    router.service(v1alpha.ServerReflection, reflection.v1alpha);
  });
  const client = createClient(v1alpha.ServerReflection, transport);
  return collect(client.serverReflectionInfo(each(requests)));
};

function files(reply: Reply | undefined): FileDescriptorProto[] {
  const response = reply?.messageResponse;
  if (response?.case !== "fileDescriptorResponse") {
    throw new Error(`expected file descriptors, got ${response?.case}`);
  }
  return response.value.fileDescriptorProto.map((bytes) =>
    fromBinary(FileDescriptorProtoSchema, bytes),
  );
}

function error(reply: Reply | undefined): { errorCode: number; errorMessage: string } {
  const response = reply?.messageResponse;
  if (response?.case !== "errorResponse") {
    throw new Error(`expected an error response, got ${response?.case}`);
  }
  return response.value;
}

describe.each([
  { version: "grpc.reflection.v1", ask: askV1 },
  { version: "grpc.reflection.v1alpha", ask: askV1alpha },
])("$version", ({ ask }) => {
  it("lists exactly the advertised services", async () => {
    const [reply] = await ask([{ messageRequest: { case: "listServices", value: "*" } }]);
    const response = reply?.messageResponse;
    expect(response?.case).toBe("listServicesResponse");
    if (response?.case === "listServicesResponse") {
      expect(response.value.service.map((s) => s.name)).toEqual(advertised);
    }
  });

  it("describes a service with its file first, then every transitive import", async () => {
    const [reply] = await ask([
      { messageRequest: { case: "fileContainingSymbol", value: "vigil.v1.PolicyService" } },
    ]);
    const names = files(reply).map((f) => f.name);
    expect(names[0]).toBe("vigil/v1/policy_service.proto");
    expect(names).toEqual(
      expect.arrayContaining([
        "vigil/v1/common.proto",
        "vigil/v1/approval.proto",
        "vigil/v1/obligation.proto",
        "google/protobuf/struct.proto",
        "google/protobuf/timestamp.proto",
        "google/protobuf/duration.proto",
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it("sends descriptors a client can use: services, methods and json names intact", async () => {
    const [reply] = await ask([
      { messageRequest: { case: "fileByFilename", value: "vigil/v1/policy_service.proto" } },
    ]);
    const [file] = files(reply);
    expect(file?.package).toBe("vigil.v1");
    expect(file?.dependency).toContain("google/protobuf/struct.proto");
    const service = file?.service.find((s) => s.name === "PolicyService");
    expect(service?.method.map((m) => m.name)).toContain("Authorize");
    const request = file?.messageType.find((m) => m.name === "AuthorizeRequest");
    expect(request?.field.every((f) => f.jsonName !== "")).toBe(true);
  });

  it.each([
    ["a method", "vigil.v1.PolicyService.Authorize", "vigil/v1/policy_service.proto"],
    ["a message", "vigil.v1.AuthorizeRequest", "vigil/v1/policy_service.proto"],
    ["an enum", "vigil.v1.Decision", "vigil/v1/common.proto"],
    ["an enum value, scoped beside its enum", "vigil.v1.DECISION_ALLOW", "vigil/v1/common.proto"],
    ["a field", "vigil.v1.Principal.kind", "vigil/v1/common.proto"],
    ["a well-known type", "google.protobuf.Struct", "google/protobuf/struct.proto"],
    ["the health service", "grpc.health.v1.Health", "grpc/health/v1/health.proto"],
  ])("resolves %s to the file declaring it", async (_kind, symbol, file) => {
    const [reply] = await ask([
      { messageRequest: { case: "fileContainingSymbol", value: symbol } },
    ]);
    expect(files(reply)[0]?.name).toBe(file);
  });

  it("answers an unknown symbol with NOT_FOUND and keeps answering on the same stream", async () => {
    const replies = await ask([
      { messageRequest: { case: "fileContainingSymbol", value: "vigil.v1.NoSuchThing" } },
      { messageRequest: { case: "fileContainingSymbol", value: "vigil.v1.PolicyService" } },
    ]);
    expect(replies).toHaveLength(2);
    expect(error(replies[0])).toMatchObject({
      errorCode: Code.NotFound,
      errorMessage: "symbol vigil.v1.NoSuchThing not found",
    });
    expect(files(replies[1])[0]?.name).toBe("vigil/v1/policy_service.proto");
  });

  it("answers an unknown file with NOT_FOUND", async () => {
    const [reply] = await ask([
      { messageRequest: { case: "fileByFilename", value: "vigil/v1/missing.proto" } },
    ]);
    expect(error(reply).errorCode).toBe(5);
  });

  it("reports no extensions of a known message and NOT_FOUND for an unknown one", async () => {
    const [known, unknown, extension] = await ask([
      { messageRequest: { case: "allExtensionNumbersOfType", value: "vigil.v1.AuthorizeRequest" } },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "vigil.v1.Nope" } },
      {
        messageRequest: {
          case: "fileContainingExtension",
          value: { containingType: "vigil.v1.AuthorizeRequest", extensionNumber: 1000 },
        },
      },
    ]);
    const response = known?.messageResponse;
    expect(response?.case).toBe("allExtensionNumbersResponse");
    if (response?.case === "allExtensionNumbersResponse") {
      expect(response.value.baseTypeName).toBe("vigil.v1.AuthorizeRequest");
      expect(response.value.extensionNumber).toEqual([]);
    }
    expect(error(unknown).errorCode).toBe(Code.NotFound);
    expect(error(extension).errorCode).toBe(Code.NotFound);
  });

  it("echoes the host and the original request in every reply", async () => {
    const [reply] = await ask([
      { host: "vigil.internal:8443", messageRequest: { case: "listServices", value: "" } },
    ]);
    expect(reply?.validHost).toBe("vigil.internal:8443");
    expect(reply?.originalRequest?.host).toBe("vigil.internal:8443");
    expect(reply?.originalRequest?.messageRequest.case).toBe("listServices");
  });
});

describe("createReflectionServices", () => {
  it("advertises every service declared in the given files by default", async () => {
    const services = createReflectionServices({ files: [file_grpc_health_v1_health] });
    const transport = createRouterTransport((router) => {
      router.service(v1.ServerReflection, services.v1);
    });
    const client = createClient(v1.ServerReflection, transport);
    const [reply] = await collect(
      client.serverReflectionInfo(each([{ messageRequest: { case: "listServices", value: "" } }])),
    );
    expect(reply?.messageResponse.value).toMatchObject({
      service: [{ name: "grpc.health.v1.Health" }],
    });
  });

  it("refuses to advertise a service that no given file declares", () => {
    expect(() =>
      createReflectionServices({
        files: [file_grpc_health_v1_health],
        services: ["vigil.v1.Nope"],
      }),
    ).toThrow(/vigil\.v1\.Nope/);
  });
});
