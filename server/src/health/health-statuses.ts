import { HealthCheckResponse_ServingStatus } from "../../../gen/grpc/health/v1/health_pb.js";

/**
 * Serving status of one service, as defined by grpc.health.v1
 * (`UNKNOWN`, `SERVING`, `NOT_SERVING`, `SERVICE_UNKNOWN`).
 */
export type ServingStatus = HealthCheckResponse_ServingStatus;

/**
 * The serving status enum itself, re-exported so callers can write
 * `ServingStatus.SERVING` without importing generated code.
 */
export const ServingStatus = HealthCheckResponse_ServingStatus;

/**
 * The service name that stands for the whole server. The gRPC health
 * protocol reserves the empty string for it.
 */
export const OVERALL_SERVICE = "";

/**
 * Called after the status of `service` changed to `status`.
 */
export type HealthStatusListener = (service: string, status: ServingStatus) => void;

/**
 * An in-process registry of serving statuses, keyed by fully-qualified
 * service name (for example `vigil.v1.PolicyService`), or
 * {@link OVERALL_SERVICE} for the server as a whole.
 */
export interface HealthStatuses {
  /**
   * Records the status of a service. Listeners are told only when the status
   * actually changes, because Watch clients must see one message per change.
   */
  set(service: string, status: ServingStatus): void;
  /** The status of a service, or `undefined` if it was never set. */
  get(service: string): ServingStatus | undefined;
  /** A snapshot of every known status; later changes do not affect it. */
  list(): Map<string, ServingStatus>;
  /**
   * Subscribes to status changes of any service.
   *
   * @returns a function that removes the listener; calling it twice is harmless.
   */
  onChange(listener: HealthStatusListener): () => void;
}

/**
 * Creates an empty {@link HealthStatuses} registry. The composition root sets
 * the statuses; the Health RPC service only reads them.
 */
export function createHealthStatuses(): HealthStatuses {
  const statuses = new Map<string, ServingStatus>();
  const listeners = new Set<HealthStatusListener>();
  return {
    set(service, status) {
      if (statuses.get(service) === status) {
        return;
      }
      statuses.set(service, status);
      // Copy first, so a listener that unsubscribes itself does not skip another.
      for (const listener of [...listeners]) {
        listener(service, status);
      }
    },
    get(service) {
      return statuses.get(service);
    },
    list() {
      return new Map(statuses);
    },
    onChange(listener) {
      // Wrap, so subscribing the same function twice yields two independent subscriptions.
      const entry: HealthStatusListener = (service, status) => listener(service, status);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
  };
}
