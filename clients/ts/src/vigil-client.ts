import { type Client, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { ApprovalService } from "../../../gen/vigil/v1/approval_pb.js";
import { PolicyService } from "../../../gen/vigil/v1/policy_service_pb.js";
import { waitForApproval } from "./approval-wait.js";
import { decisionFromBatchResult, decisionFromResponse, unansweredDecision } from "./decision.js";
import { toVigilError, VigilUnavailableError } from "./errors.js";
import { runGuard } from "./guard.js";
import type { GuardAction, GuardResult, GuardSpec } from "./guard-spec.js";
import { callWithRetry } from "./retry.js";
import type { VigilCallOptions, VigilCalls } from "./vigil-calls.js";
import { createVigilTransport, type VigilProtocol } from "./vigil-transport.js";

/** Options of {@link createVigilClient}. */
export interface VigilClientOptions {
  /** Vigil's address with scheme, e.g. `http://127.0.0.1:8444` or `https://vigil.example.com`. */
  baseUrl: string;
  /**
   * `grpc` (HTTP/2: h2c for `http://`, TLS for `https://`) or `connect` (the Connect protocol,
   * which passes through HTTP/1.1 proxies). Default: `grpc`.
   */
  protocol?: VigilProtocol;
  /** HTTP version for `connect`; `grpc` always uses HTTP/2. Default: `1.1`. */
  httpVersion?: "1.1" | "2";
  /** A Vigil API token, sent as `Authorization: Bearer <token>`. Default: none (anonymous). */
  token?: string;
  /**
   * How long a unary call may take, retries and their pauses included, before the client
   * gives up and fails closed. Default: 5000 ms.
   */
  timeoutMs?: number;
  /**
   * Retries of Authorize, AuthorizeBatch and Redact when Vigil answers `Unavailable` (never for
   * Record, which the server does not de-duplicate), after 100 ms, then 200 ms, … with jitter.
   * Default: 2.
   */
  retries?: number;
  /**
   * Let `authorize()` and `authorizeBatch()` allow when Vigil cannot be reached or times out
   * (never when it answers with an error). The decision says `failedOpen` and carries the
   * error. `guard()` ignores it. Default: `false`: no answer is a deny.
   */
  failOpen?: boolean;
  /** A transport to use instead of the one built from the options above (tests, custom TLS). Default: none. */
  transport?: Transport;
}

/** A Vigil client: {@link VigilCalls} plus `guard()`. */
export interface VigilClient extends VigilCalls {
  /** Runs an action under Vigil's control in one call; see {@link runGuard}. */
  guard(spec: GuardSpec, action: GuardAction): Promise<GuardResult>;
  /** The generated PolicyService client, for calls not wrapped here (RedactStream, RecordStream). */
  readonly policyService: Client<typeof PolicyService>;
  /** The generated ApprovalService client (reviewers list and decide approvals with it). */
  readonly approvalService: Client<typeof ApprovalService>;
  /** Closes the HTTP/2 connection, if the client made one; idle connections never keep Node alive. */
  close(): void;
}

/** Creates a Vigil client; nothing is sent until the first call. */
export function createVigilClient(options: VigilClientOptions): VigilClient {
  const { timeoutMs = 5000, retries = 2, failOpen = false } = options;
  if (!options.baseUrl && !options.transport) {
    throw new TypeError("createVigilClient: baseUrl is required, e.g. http://127.0.0.1:8444");
  }
  const { transport, close } = options.transport
    ? { transport: options.transport, close: () => undefined }
    : createVigilTransport({
        baseUrl: options.baseUrl,
        ...(options.protocol ? { protocol: options.protocol } : {}),
        ...(options.httpVersion ? { httpVersion: options.httpVersion } : {}),
        ...(options.token ? { token: options.token } : {}),
      });
  const policyService = createClient(PolicyService, transport);
  const approvalService = createClient(ApprovalService, transport);

  /** One unary call with the client's deadline, retried on `Unavailable` when `retry` allows. */
  const unary = <T>(
    call: (callOptions: { timeoutMs: number; signal?: AbortSignal }) => Promise<T>,
    o: VigilCallOptions | undefined,
    retry: boolean,
  ): Promise<T> => {
    const signal = o?.signal;
    return callWithRetry(
      (remaining) => call(signal ? { timeoutMs: remaining, signal } : { timeoutMs: remaining }),
      { retries: retry ? retries : 0, timeoutMs: o?.timeoutMs ?? timeoutMs, signal },
    );
  };
  const failed = (operation: string) => (error: unknown) => {
    throw toVigilError(error, operation);
  };

  const client: VigilClient = {
    policyService,
    approvalService,

    async authorize(request, o) {
      try {
        const response = await unary((c) => policyService.authorize(request, c), o, true);
        return decisionFromResponse(response);
      } catch (error) {
        const unanswered = new VigilUnavailableError("Authorize", ConnectError.from(error));
        return unansweredDecision(unanswered, failOpen);
      }
    },

    async authorizeBatch(requests, o) {
      if (requests.length === 0) return [];
      try {
        const response = await unary((c) => policyService.authorizeBatch({ requests }, c), o, true);
        return requests.map((_, i) => decisionFromBatchResult(response.results[i]));
      } catch (error) {
        const unanswered = new VigilUnavailableError("AuthorizeBatch", ConnectError.from(error));
        return requests.map(() => unansweredDecision(unanswered, failOpen));
      }
    },

    redact(request, o) {
      return unary((c) => policyService.redact(request, c), o, true).catch(failed("Redact"));
    },

    record(event, o) {
      const request = { event, registeredSecrets: o?.registeredSecrets ?? [] };
      return unary((c) => policyService.record(request, c), o, false).catch(failed("Record"));
    },

    waitForApproval: (id, o) => waitForApproval({ approvals: approvalService, retries }, id, o),

    guard: (spec, action) => runGuard(client, spec, action),

    close,
  };
  return client;
}
