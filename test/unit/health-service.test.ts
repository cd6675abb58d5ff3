import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it, vi } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import {
  createHealthStatuses,
  type HealthStatuses,
  OVERALL_SERVICE,
  ServingStatus,
} from "../../server/src/health/health-statuses.js";
import { createHealthService } from "../../server/src/rpc/health-service.js";

/** A registry that counts live subscriptions, to prove Watch cleans up after itself. */
function countingStatuses(): { statuses: HealthStatuses; listeners: () => number } {
  const inner = createHealthStatuses();
  let live = 0;
  const statuses: HealthStatuses = {
    ...inner,
    onChange(listener) {
      live++;
      const unsubscribe = inner.onChange(listener);
      let subscribed = true;
      // Like the real registry's, unsubscribing twice is harmless and counts once.
      return () => {
        if (subscribed) live--;
        subscribed = false;
        unsubscribe();
      };
    },
  };
  return { statuses, listeners: () => live };
}

function healthClient(statuses: HealthStatuses) {
  const transport = createRouterTransport((router) => {
    router.service(Health, createHealthService(statuses));
  });
  return createClient(Health, transport);
}

describe("health statuses", () => {
  it("notifies listeners only when a status changes", () => {
    const statuses = createHealthStatuses();
    const seen: [string, ServingStatus][] = [];
    const unsubscribe = statuses.onChange((service, status) => seen.push([service, status]));
    statuses.set("a", ServingStatus.SERVING);
    statuses.set("a", ServingStatus.SERVING);
    statuses.set("a", ServingStatus.NOT_SERVING);
    unsubscribe();
    statuses.set("a", ServingStatus.SERVING);
    expect(seen).toEqual([
      ["a", ServingStatus.SERVING],
      ["a", ServingStatus.NOT_SERVING],
    ]);
  });

  it("lists a snapshot that later changes do not alter", () => {
    const statuses = createHealthStatuses();
    statuses.set(OVERALL_SERVICE, ServingStatus.SERVING);
    const snapshot = statuses.list();
    statuses.set("b", ServingStatus.SERVING);
    expect([...snapshot]).toEqual([["", ServingStatus.SERVING]]);
  });
});

describe("grpc.health.v1.Health", () => {
  it("reports the overall server status under the empty service name", async () => {
    const statuses = createHealthStatuses();
    statuses.set(OVERALL_SERVICE, ServingStatus.SERVING);
    const reply = await healthClient(statuses).check({ service: "" });
    expect(reply.status).toBe(ServingStatus.SERVING);
  });

  it("answers NotFound for a service it does not know", async () => {
    const client = healthClient(createHealthStatuses());
    const error = await client.check({ service: "vigil.v1.Nope" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.NotFound);
    expect((error as ConnectError).rawMessage).toBe("unknown service vigil.v1.Nope");
  });

  it("lists every known status", async () => {
    const statuses = createHealthStatuses();
    statuses.set(OVERALL_SERVICE, ServingStatus.SERVING);
    statuses.set("vigil.v1.PolicyService", ServingStatus.NOT_SERVING);
    const reply = await healthClient(statuses).list({});
    expect(Object.keys(reply.statuses).sort()).toEqual(["", "vigil.v1.PolicyService"]);
    expect(reply.statuses[""]?.status).toBe(ServingStatus.SERVING);
    expect(reply.statuses["vigil.v1.PolicyService"]?.status).toBe(ServingStatus.NOT_SERVING);
  });

  it("watch sends the current status, then each change, and unsubscribes when aborted", async () => {
    const { statuses, listeners } = countingStatuses();
    statuses.set("vigil.v1.PolicyService", ServingStatus.NOT_SERVING);
    const abort = new AbortController();
    const stream = healthClient(statuses).watch(
      { service: "vigil.v1.PolicyService" },
      { signal: abort.signal },
    );
    const received: ServingStatus[] = [];
    const done = (async () => {
      for await (const reply of stream) {
        received.push(reply.status);
        if (received.length === 1) {
          statuses.set("vigil.v1.PolicyService", ServingStatus.SERVING);
        }
        if (received.length === 2) {
          abort.abort();
        }
      }
    })();
    const error = await done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(received).toEqual([ServingStatus.NOT_SERVING, ServingStatus.SERVING]);
    expect(ConnectError.from(error).code).toBe(Code.Canceled);
    await vi.waitFor(() => expect(listeners()).toBe(0));
  });

  it("watch reports SERVICE_UNKNOWN for an unknown service and every change queued between reads", async () => {
    const statuses = createHealthStatuses();
    const abort = new AbortController();
    const stream = healthClient(statuses).watch({ service: "later" }, { signal: abort.signal });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.status).toBe(ServingStatus.SERVICE_UNKNOWN);
    // Three changes before the client reads again must all arrive, in order.
    statuses.set("later", ServingStatus.SERVING);
    statuses.set("later", ServingStatus.NOT_SERVING);
    statuses.set("later", ServingStatus.SERVING);
    const next = async () => (await iterator.next()).value?.status;
    expect([await next(), await next(), await next()]).toEqual([
      ServingStatus.SERVING,
      ServingStatus.NOT_SERVING,
      ServingStatus.SERVING,
    ]);
    abort.abort();
    await expect(iterator.next()).rejects.toThrow(/canceled/i);
  });
});
