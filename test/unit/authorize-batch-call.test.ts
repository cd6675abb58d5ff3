import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  AuthorizeBatchRequestSchema,
  type AuthorizeRequest,
  AuthorizeResponseSchema,
} from "../../gen/vigil/v1/policy_service_pb.js";
import {
  AuditOverloadedError,
  InvalidInputError,
  NotFoundError,
  StoreUnavailableError,
} from "../../server/src/errors.js";
import { createAuthorizeBatchCall } from "../../server/src/rpc/authorize-batch-call.js";
import { captureLogs } from "../support/log-capture.js";

const context = {} as HandlerContext;

/** Requests whose action says what the stand-in Authorize does with them. */
const batch = (...actions: string[]) =>
  create(AuthorizeBatchRequestSchema, { requests: actions.map((action) => ({ action })) });

/**
 * The batch handler over a stand-in Authorize: it answers with the action as decision id after
 * a delay that makes later requests finish first, and fails the actions named in `failures`.
 */
function batchCall(failures: Record<string, unknown> = {}) {
  const logs = captureLogs("error");
  const started: string[] = [];
  const settled: string[] = [];
  const authorize = async (request: AuthorizeRequest) => {
    started.push(request.action);
    await new Promise((resolve) => setTimeout(resolve, 30 - started.length * 5));
    settled.push(request.action);
    if (request.action in failures) throw failures[request.action];
    return create(AuthorizeResponseSchema, { decisionId: request.action });
  };
  return {
    call: createAuthorizeBatchCall({ authorize, logger: logs.logger }),
    logs,
    started,
    settled,
  };
}

describe("AuthorizeBatch handler", () => {
  it("decides every request concurrently and answers in request order", async () => {
    const { call, started, settled } = batchCall();
    const response = await call(batch("a", "b", "c", "d"), context);
    expect(response.results.map((r) => r.result.value?.$typeName)).toEqual(
      Array(4).fill("vigil.v1.AuthorizeResponse"),
    );
    expect(
      response.results.map((r) => (r.result.case === "response" ? r.result.value.decisionId : "")),
    ).toEqual(["a", "b", "c", "d"]);
    expect(started).toEqual(["a", "b", "c", "d"]);
    // Later ones waited less: they ran side by side, not one after another.
    expect(settled).toEqual(["d", "c", "b", "a"]);
  });

  it("turns a request Authorize refuses into that result's error, with Authorize's code and message", async () => {
    const { call } = batchCall({
      bad: new InvalidInputError("principal.kind", "is required (user, service, ci_job or agent)"),
      gone: new NotFoundError('no approval has id "x"'),
    });
    const response = await call(batch("ok", "bad", "gone", "ok2"), context);
    expect(response.results.map((r) => [r.result.case, r.result.value])).toEqual([
      ["response", expect.objectContaining({ decisionId: "ok" })],
      [
        "error",
        expect.objectContaining({
          code: "invalid_argument",
          message: "principal.kind: is required (user, service, ci_job or agent)",
        }),
      ],
      ["error", expect.objectContaining({ code: "not_found", message: 'no approval has id "x"' })],
      ["response", expect.objectContaining({ decisionId: "ok2" })],
    ]);
  });

  it("hides an unexpected error's text from the caller and logs it", async () => {
    const { call, logs } = batchCall({
      bug: new TypeError("cannot read properties of undefined (reading 'principal')"),
    });
    const response = await call(batch("ok", "bug"), context);
    expect(response.results[1]?.result).toEqual({
      case: "error",
      value: expect.objectContaining({ code: "internal", message: "internal error" }),
    });
    expect(logs.entries()).toEqual([
      expect.objectContaining({
        procedure: "AuthorizeBatch",
        item: 1,
        msg: "unhandled error in handler",
      }),
    ]);
  });

  it.each([
    ["unavailable", new StoreUnavailableError("audit store is unavailable: disk full")],
    ["overloaded", new AuditOverloadedError("audit store is behind")],
  ])(
    "fails the whole call when the audit store is %s, once every request has settled",
    async (_, refusal) => {
      const { call, settled } = batchCall({ b: refusal });
      await expect(call(batch("a", "b", "c"), context)).rejects.toBe(refusal);
      expect(settled.sort()).toEqual(["a", "b", "c"]);
    },
  );

  it("refuses an empty batch, naming the field", async () => {
    const { call } = batchCall();
    await expect(call(batch(), context)).rejects.toThrow(
      new InvalidInputError("requests", "is empty; send at least one request"),
    );
  });
});
