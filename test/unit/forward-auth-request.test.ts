import { describe, expect, it } from "vitest";
import { PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import { InvalidInputError, UnauthenticatedError } from "../../server/src/errors.js";
import { forwardAuthRequest } from "../../server/src/forward-auth/forward-auth-request.js";

/** A subrequest with these headers (names as a proxy would send them). */
function sub(headers: Record<string, string>, method = "GET", pathSuffix = "") {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { header: (name: string) => lower.get(name), method, pathSuffix };
}

describe("forwardAuthRequest", () => {
  it("asks about the original request: principal, method, host and path, never the query", () => {
    const request = forwardAuthRequest(
      sub({
        "X-Vigil-Principal": "alice@example.com",
        "X-Original-Method": "post",
        "X-Original-URI": "/api/orders?api_key=sk_live_do_not_log",
        "X-Original-Host": "Shop.Example.com",
        "X-Forwarded-Proto": "https",
        Host: "vigil.internal:8444",
      }),
    );
    expect(request.principal).toMatchObject({ id: "alice@example.com", kind: PrincipalKind.USER });
    expect(request.action).toBe("http.request");
    expect(request.resource).toMatchObject({
      kind: "http",
      id: "shop.example.com/api/orders",
      attributes: {
        method: "POST",
        host: "shop.example.com",
        path: "/api/orders",
        scheme: "https",
      },
    });
    expect(JSON.stringify(request)).not.toContain("sk_live_do_not_log");
  });

  it("reads Traefik's X-Forwarded-* headers and Envoy's path after the endpoint", () => {
    const traefik = forwardAuthRequest(
      sub({
        "X-Vigil-Principal": "svc:a",
        "X-Forwarded-Method": "DELETE",
        "X-Forwarded-Uri": "/v1/items/7",
        "X-Forwarded-Host": "api.example.com",
      }),
    );
    expect(traefik.resource?.id).toBe("api.example.com/v1/items/7");
    expect(traefik.resource?.attributes).toMatchObject({ method: "DELETE" });

    const envoy = forwardAuthRequest(
      sub({ "X-Vigil-Principal": "svc:a", Host: "api.example.com" }, "PUT", "/v1/items/8"),
    );
    expect(envoy.resource?.id).toBe("api.example.com/v1/items/8");
    expect(envoy.resource?.attributes).toMatchObject({ method: "PUT" });
  });

  it("takes the principal's kind and groups, the action, resource, attributes, secrets and approval from X-Vigil-* headers", () => {
    const request = forwardAuthRequest(
      sub({
        "X-Vigil-Principal": "agent:deploy-bot",
        "X-Vigil-Principal-Kind": "Agent",
        "X-Vigil-Principal-Groups": "agents, deployers",
        "X-Vigil-Action": "tool.call",
        "X-Vigil-Resource": "k8s-cluster:main:eu",
        "X-Vigil-Resource-Attributes": "environment=production, team = payments",
        "X-Vigil-Secrets": "KUBECONFIG, REGISTRY_TOKEN",
        "X-Vigil-Session": "run-42",
        "X-Vigil-Approval": "01a2-approval",
        "X-Request-Id": "req-9",
        "X-Original-URI": "/deploy",
        "X-Original-Host": "gw",
      }),
    );
    expect(request.principal).toMatchObject({
      kind: PrincipalKind.AGENT,
      groups: ["agents", "deployers"],
    });
    expect(request.action).toBe("tool.call");
    expect(request.resource).toMatchObject({
      kind: "k8s-cluster",
      id: "main:eu",
      attributes: { environment: "production", team: "payments", path: "/deploy" },
    });
    expect(request.secrets.map((s) => s.name)).toEqual(["KUBECONFIG", "REGISTRY_TOKEN"]);
    expect(request).toMatchObject({
      sessionId: "run-42",
      approvalId: "01a2-approval",
      requestId: "req-9",
    });
  });

  it("refuses a subrequest without a principal as unauthenticated", () => {
    expect(() => forwardAuthRequest(sub({ "X-Vigil-Principal": "  " }))).toThrow(
      UnauthenticatedError,
    );
  });

  it("names the header that is malformed", () => {
    const bad = (headers: Record<string, string>) => () =>
      forwardAuthRequest(sub({ "X-Vigil-Principal": "a", ...headers }));
    expect(bad({ "X-Vigil-Principal-Kind": "robot" })).toThrow(/X-Vigil-Principal-Kind/);
    expect(bad({ "X-Vigil-Resource": "no-kind" })).toThrow(/X-Vigil-Resource: must be KIND:ID/);
    expect(bad({ "X-Vigil-Resource-Attributes": "environment" })).toThrow(
      /X-Vigil-Resource-Attributes: must be KEY=VALUE/,
    );
    expect(
      bad({ "X-Vigil-Secrets": Array.from({ length: 65 }, (_, i) => `S${i}`).join(",") }),
    ).toThrow(InvalidInputError);
  });
});
