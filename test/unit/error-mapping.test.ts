import { Code, ConnectError, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { PolicyService } from "../../gen/vigil/v1/policy_service_pb.js";
import {
  ConfigError,
  InvalidInputError,
  NotImplementedError,
  PolicyLoadError,
  StoreUnavailableError,
  VigilError,
} from "../../server/src/errors.js";
import {
  createErrorMappingInterceptor,
  toConnectError,
} from "../../server/src/rpc/error-mapping.js";
import { captureLogs } from "../support/log-capture.js";

describe("toConnectError", () => {
  it.each([
    [new InvalidInputError("principal.id", "is required"), Code.InvalidArgument],
    [new NotImplementedError("Redact is not available"), Code.Unimplemented],
    [new StoreUnavailableError("audit write failed"), Code.Unavailable],
    [new PolicyLoadError("bundle has no policy.wasm"), Code.FailedPrecondition],
    [new ConfigError("--listen: bad"), Code.FailedPrecondition],
  ])("maps %s to its code, keeping the message", (error, code) => {
    const mapped = toConnectError(error);
    expect(mapped.code).toBe(code);
    expect(mapped.rawMessage).toBe(error.message);
  });

  it("passes a ConnectError through unchanged", () => {
    const original = new ConnectError("slow down", Code.ResourceExhausted);
    expect(toConnectError(original)).toBe(original);
  });

  it("hides the message of an unknown Error behind Internal", () => {
    const mapped = toConnectError(new TypeError("cannot read token sk-live-123 of undefined"));
    expect([mapped.code, mapped.rawMessage]).toEqual([Code.Internal, "internal error"]);
    expect(mapped.message).not.toContain("sk-live-123");
  });

  it("treats the VigilError base class and thrown strings as unknown", () => {
    expect(toConnectError(new VigilError("x")).code).toBe(Code.Internal);
    expect(toConnectError("opa trap").code).toBe(Code.Internal);
  });
});

describe("createErrorMappingInterceptor", () => {
  const request = { method: PolicyService.method.authorize } as unknown as UnaryRequest;

  /** Runs the interceptor around a `next` that throws `thrown`; returns the error it rethrows. */
  async function intercept(thrown: unknown) {
    const logs = captureLogs();
    const next = async (): Promise<UnaryResponse> => {
      throw thrown;
    };
    const wrapped = createErrorMappingInterceptor(logs.logger)(next);
    const error = await wrapped(request).then(
      () => expect.fail("expected the call to fail"),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    return { error: error as ConnectError, logs };
  }

  it("returns the response of a call that succeeds", async () => {
    const response = { message: "ok" } as unknown as UnaryResponse;
    const wrapped = createErrorMappingInterceptor(captureLogs().logger)(async () => response);
    expect(await wrapped(request)).toBe(response);
  });

  it("maps a domain error to its code without logging it", async () => {
    const { error, logs } = await intercept(new InvalidInputError("action", "is required"));
    expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, "action: is required"]);
    expect(logs.entries()).toEqual([]);
  });

  it("logs an unknown error with its stack and the procedure, and answers Internal", async () => {
    const { error, logs } = await intercept(new RangeError("index 7 out of range"));
    expect([error.code, error.rawMessage]).toEqual([Code.Internal, "internal error"]);
    expect(logs.entries()).toEqual([
      expect.objectContaining({
        level: 50,
        msg: "unhandled error in handler",
        procedure: "Authorize",
        err: expect.stringContaining("RangeError: index 7 out of range"),
      }),
    ]);
  });

  it("logs a thrown string as text", async () => {
    const { logs } = await intercept("wasm trap");
    expect(logs.entries()[0]).toMatchObject({ err: "wasm trap" });
  });

  it("does not log an Internal ConnectError a handler raised on purpose", async () => {
    const original = new ConnectError("deliberate", Code.Internal);
    const { error, logs } = await intercept(original);
    expect(error).toBe(original);
    expect(logs.entries()).toEqual([]);
  });
});
