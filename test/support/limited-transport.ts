import { create } from "@bufbuild/protobuf";
import {
  type CallOptions,
  createClient,
  createRouterTransport,
  type Interceptor,
  type ServiceImpl,
} from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import {
  AuthorizeBatchResponseSchema,
  AuthorizeResponseSchema,
  PolicyService,
  RecordStreamResponseSchema,
  RedactStreamResponseSchema,
} from "../../gen/vigil/v1/policy_service_pb.js";
import { InvalidInputError } from "../../server/src/errors.js";
import { createLogger } from "../../server/src/logging/logger.js";
import { createBatchSizeInterceptor } from "../../server/src/rpc/batch-size.js";
import {
  type CallDeadlineOptions,
  createCallDeadlineInterceptor,
} from "../../server/src/rpc/call-deadline.js";
import {
  type CallLimitsOptions,
  createCallLimitsInterceptor,
} from "../../server/src/rpc/call-limits.js";
import { identityKey } from "../../server/src/rpc/caller.js";
import { createErrorMappingInterceptor } from "../../server/src/rpc/error-mapping.js";
import { createLoadSheddingInterceptor } from "../../server/src/rpc/load-shedding.js";
import { createMessageDepthInterceptor } from "../../server/src/rpc/message-depth.js";

/** A promise the test opens by hand, for handlers that must stay in flight. */
export interface Gate {
  wait(): Promise<void>;
  open(): void;
}

/** Makes a closed {@link Gate}. */
export function createGate(): Gate {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait: () => opened, open: () => open() };
}

/** Limits of a {@link limitedClient}, as `main.ts` wires them. */
export interface TestLimits extends CallLimitsOptions {
  maxInFlight?: number;
  maxJsonDepth?: number;
  maxBatchSize?: number;
  deadline?: CallDeadlineOptions;
}

const callerHeader = "x-test-caller";

/** Call options that make the call come from the authenticated caller `id`. */
export function as(id: string, options: CallOptions = {}): CallOptions {
  return { ...options, headers: { [callerHeader]: id } };
}

/**
 * A PolicyService client over the in-memory router, through the limit interceptors in the
 * order `main.ts` uses, with a stand-in for access control that takes the caller from a
 * header. Its handlers hold `Authorize` with action `hold` until `gate` opens, fail it with
 * `fail`, answer AuthorizeBatch with one result per request, echo RedactStream chunks and
 * count RecordStream events.
 */
export function limitedClient(limits: TestLimits, gate: Gate = createGate()) {
  const refusals: string[] = [];
  const onRefused = (limit: string) => refusals.push(limit);
  const authenticate: Interceptor = (next) => (request) => {
    const id = request.header.get(callerHeader);
    if (id) request.contextValues.set(identityKey, { id, method: "token", roles: [], groups: [] });
    return next(request);
  };
  const handlerSignals: AbortSignal[] = [];
  const policy: Partial<ServiceImpl<typeof PolicyService>> = {
    async authorize(request, context) {
      handlerSignals.push(context.signal);
      if (request.action === "hold") await gate.wait();
      if (request.action === "fail") throw new InvalidInputError("action", "fails on purpose");
      return create(AuthorizeResponseSchema, { decisionId: request.action });
    },
    async authorizeBatch(request) {
      return create(AuthorizeBatchResponseSchema, {
        results: request.requests.map((r) => ({
          result: { case: "response" as const, value: { decisionId: r.action } },
        })),
      });
    },
    async *redactStream(requests) {
      for await (const request of requests) {
        yield create(RedactStreamResponseSchema, {
          chunk: request.frame.case === "chunk" ? request.frame.value : "",
        });
      }
    },
    async recordStream(requests) {
      let events = 0n;
      for await (const _ of requests) events++;
      return create(RecordStreamResponseSchema, { eventsRecorded: events });
    },
  };
  const transport = createRouterTransport(
    (router) => {
      router.service(PolicyService, policy);
      router.service(Health, {
        check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }),
      });
    },
    {
      router: {
        interceptors: [
          createErrorMappingInterceptor(createLogger({ level: "silent" })),
          createCallDeadlineInterceptor({ timeoutMs: 0, ...limits.deadline, onRefused }),
          createLoadSheddingInterceptor({ maxInFlight: limits.maxInFlight ?? 0, onRefused }),
          authenticate,
          createBatchSizeInterceptor({ maxBatchSize: limits.maxBatchSize ?? 256, onRefused }),
          createCallLimitsInterceptor({ ...limits, onRefused }),
          createMessageDepthInterceptor({ maxJsonDepth: limits.maxJsonDepth ?? 32, onRefused }),
        ],
      },
    },
  );
  return {
    policy: createClient(PolicyService, transport),
    health: createClient(Health, transport),
    refusals,
    handlerSignals,
    gate,
  };
}
