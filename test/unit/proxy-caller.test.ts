import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ContentKind, PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import { ObligationSchema } from "../../gen/vigil/v1/obligation_pb.js";
import { UnauthenticatedError } from "../../server/src/errors.js";
import {
  authenticateCaller,
  presentedToken,
  principalOf,
} from "../../server/src/proxy/caller-auth.js";
import {
  CallerUnauthenticatedError,
  RequestDeniedError,
} from "../../server/src/proxy/proxy-errors.js";
import {
  callerResponseHeaders,
  upstreamRequestHeaders,
} from "../../server/src/proxy/proxy-headers.js";
import { proxyObligations } from "../../server/src/proxy/proxy-obligations.js";

describe("caller authentication", () => {
  const callers = {
    size: 1,
    identities: [],
    authenticate(token: string) {
      if (token !== "vgl_agent_token") throw new UnauthenticatedError("no");
      return { id: "agent:bot", method: "token" as const, roles: [], groups: ["builders"] };
    },
  };

  it("takes the token from x-api-key, else from a bearer authorization", () => {
    expect(presentedToken({ "x-api-key": "k1", authorization: "Bearer k2" })).toBe("k1");
    expect(presentedToken({ authorization: "bearer k2" })).toBe("k2");
    expect(presentedToken({ authorization: "Basic abc" })).toBeUndefined();
    expect(presentedToken({})).toBeUndefined();
  });

  it("makes a listed caller an agent principal with its groups", () => {
    const caller = authenticateCaller({ authorization: "Bearer vgl_agent_token" }, callers);
    expect(caller.principal).toMatchObject({
      id: "agent:bot",
      kind: PrincipalKind.AGENT,
      groups: ["builders"],
    });
    expect(caller.token).toBe("vgl_agent_token");
  });

  it("answers 401 for a missing or unknown token, without echoing it", () => {
    expect(() => authenticateCaller({}, callers)).toThrow(CallerUnauthenticatedError);
    const unknown = () => authenticateCaller({ "x-api-key": "vgl_stolen_guess" }, callers);
    expect(unknown).toThrow(CallerUnauthenticatedError);
    expect(unknown).not.toThrow(/vgl_stolen_guess/);
  });

  it("takes the principal kind from the first role that names one", () => {
    const kind = (roles: string[]) => principalOf({ id: "x", roles, groups: [] }).kind;
    expect(kind(["approver", "user"])).toBe(PrincipalKind.USER);
    expect(kind(["ci_job", "service"])).toBe(PrincipalKind.CI_JOB);
    expect(kind(["constructor"])).toBe(PrincipalKind.AGENT);
  });
});

describe("forwarded headers", () => {
  it("forwards only known provider headers, then the injected credential", () => {
    const headers = upstreamRequestHeaders(
      {
        authorization: "Bearer vgl_agent_token",
        "x-api-key": "vgl_agent_token",
        "anthropic-version": "2023-06-01",
        "x-stainless-os": "Linux",
        "x-custom-secret": "s3cr3t",
        cookie: "a=b",
        connection: "keep-alive",
        "content-length": "42",
        "x-vigil-session": "s1",
        "openai-organization": "org-1",
      },
      { "x-api-key": "upstream-key" },
      ["openai-organization"],
    );
    expect(headers).toEqual({
      "anthropic-version": "2023-06-01",
      "x-stainless-os": "Linux",
      "content-type": "application/json",
      "x-api-key": "upstream-key",
    });
  });

  it("passes request ids and rate limits back, not cookies or lengths", () => {
    const upstream = new Headers({
      "x-request-id": "r1",
      "x-ratelimit-remaining-tokens": "9",
      "set-cookie": "a=b",
      "content-length": "5",
      "content-encoding": "gzip",
    });
    expect(callerResponseHeaders(upstream)).toEqual({
      "x-request-id": "r1",
      "x-ratelimit-remaining-tokens": "9",
    });
  });
});

describe("proxyObligations", () => {
  const obligation = (init: Parameters<typeof create<typeof ObligationSchema>>[1]) =>
    create(ObligationSchema, init);

  it("takes redact profiles per content kind, and strip-headers", () => {
    const out = proxyObligations(
      [
        obligation({
          kind: { case: "redact", value: { profile: "strict", kinds: [ContentKind.PROMPT] } },
        }),
        obligation({ kind: { case: "record", value: { session: true } } }),
        obligation({ kind: { case: "stripHeaders", value: { headers: ["OpenAI-Project"] } } }),
      ],
      "d1",
    );
    expect(out).toEqual({
      promptProfile: "strict",
      completionProfile: "",
      stripHeaders: ["openai-project"],
    });
  });

  it("denies a decision carrying an obligation the proxy cannot fulfil", () => {
    const custom = obligation({ kind: { case: "custom", value: { type: "notify-owner" } } });
    expect(() => proxyObligations([custom], "d2")).toThrow(RequestDeniedError);
    expect(() => proxyObligations([custom], "d2")).toThrow(/notify-owner/);
  });
});
