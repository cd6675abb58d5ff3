import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { type HealthStatuses, ServingStatus } from "../health/health-statuses.js";

/**
 * Implements grpc.health.v1.Health on top of a {@link HealthStatuses} registry,
 * so load balancers, Kubernetes probes and `grpc-health-probe` can ask
 * whether the server (service name `""`) or one service is serving.
 *
 * Register it with `router.service(Health, createHealthService(statuses))`.
 */
export function createHealthService(statuses: HealthStatuses): ServiceImpl<typeof Health> {
  return {
    check(request) {
      const status = statuses.get(request.service);
      if (status === undefined) {
        throw new ConnectError(`unknown service ${request.service}`, Code.NotFound);
      }
      return { status };
    },

    list() {
      const reply: Record<string, { status: ServingStatus }> = {};
      for (const [service, status] of statuses.list()) {
        reply[service] = { status };
      }
      return { statuses: reply };
    },

    async *watch(request, context) {
      const { signal } = context;
      if (signal.aborted) {
        // An abort listener added now would never fire; see `stop` below.
        return;
      }
      // Changes land in a queue while the generator is suspended in a yield,
      // so a burst of changes between two reads by the client is not lost.
      const queue: ServingStatus[] = [];
      let wake: (() => void) | undefined;
      // Subscribe before reading the current status, so no change can slip in between.
      const unsubscribe = statuses.onChange((service, status) => {
        if (service === request.service) {
          queue.push(status);
          wake?.();
        }
      });
      // connect-es does not call return() on a handler's generator when the
      // client goes away, so a generator parked in a yield would never reach
      // `finally`. The abort itself must drop the listener; it also wakes a
      // generator waiting for the next change so that it can end.
      const stop = () => {
        unsubscribe();
        wake?.();
      };
      signal.addEventListener("abort", stop, { once: true });
      try {
        let sent = statuses.get(request.service) ?? ServingStatus.SERVICE_UNKNOWN;
        yield { status: sent };
        while (!signal.aborted) {
          const next = queue.shift();
          if (next === undefined) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
            continue;
          }
          // The spec promises one message per change; the initial read may
          // already have seen the first queued status.
          if (next !== sent) {
            sent = next;
            yield { status: next };
          }
        }
      } finally {
        signal.removeEventListener("abort", stop);
        unsubscribe();
      }
    },
  };
}
