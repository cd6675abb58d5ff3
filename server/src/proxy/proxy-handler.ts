import type { IncomingMessage, ServerResponse } from "node:http";
import type { JsonObject } from "@bufbuild/protobuf";
import { v7 as uuidv7 } from "uuid";
import { ContentKind } from "../../../gen/vigil/v1/common_pb.js";
import type { TokenAuthenticator } from "../auth/api-tokens.js";
import type { Logger } from "../logging/logger.js";
import { authorizeExchange } from "./authorize-exchange.js";
import { authenticateCaller } from "./caller-auth.js";
import { maskContent } from "./exchange-masking.js";
import { type RecordedSide, recordExchange } from "./exchange-recorder.js";
import {
  authorizeRequestOf,
  type ExchangeSubject,
  exchangeSubject,
  sessionIdOf,
} from "./exchange-subject.js";
import type { LlmApi } from "./llm-api.js";
import { ProxyError, RequestDeniedError, RouteNotFoundError } from "./proxy-errors.js";
import { upstreamRequestHeaders } from "./proxy-headers.js";
import { proxyObligations } from "./proxy-obligations.js";
import { relayAnswer } from "./relay-answer.js";
import { parseJsonObject, readRequestBody } from "./request-body.js";
import { callUpstream } from "./upstream-call.js";
import type { VigilClients } from "./vigil-clients.js";

/** Options for {@link createProxyHandler}. */
export interface ProxyHandlerOptions {
  api: LlmApi;
  /** The upstream endpoint, e.g. `https://api.openai.com/v1/chat/completions`. Required. */
  upstreamUrl: URL;
  /** The upstream credential, injected into every forwarded request. Required. */
  upstreamKey: string;
  /** Who may call the proxy (a tokens file, as `vigil serve --auth-tokens` reads). Required. */
  callers: TokenAuthenticator;
  vigil: VigilClients;
  logger: Logger;
  /** How long a request waits for reviewers. Default 300 000 (5 minutes). */
  approvalTimeoutMs?: number;
  /** Longest upstream silence (before headers, between body pieces). Default 120 000. */
  upstreamTimeoutMs?: number;
  /** Deadline of each unary Vigil call. Default 30 000. */
  vigilTimeoutMs?: number;
  /** Largest request body and largest non-streamed answer. Default 2 MiB. */
  maxBodyBytes?: number;
  /** Attributes of the `llm` resource Authorize sees, e.g. `{environment: "production"}`. */
  resourceAttributes?: JsonObject;
}

/**
 * Creates the request handler: for each request it authenticates the caller, asks Authorize
 * (waiting for approval when required), masks the body, forwards it with the upstream key,
 * masks the answer (whole, or stream event by stream event), and records both sides. Every
 * failure before forwarding answers in the API's error shape and forwards nothing.
 */
export function createProxyHandler(
  options: ProxyHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { api, vigil, logger } = options;
  const vigilTimeoutMs = options.vigilTimeoutMs ?? 30_000;
  const maxBodyBytes = options.maxBodyBytes ?? 2 * 1024 * 1024;
  return async (req, res) => {
    const started = Date.now();
    const requestId = uuidv7();
    const gone = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    const signal = gone.signal;
    const entry: Record<string, unknown> = { requestId, api: api.name };
    let exchange:
      | { subject: ExchangeSubject; decisionId: string; request: RecordedSide }
      | undefined;
    let response: RecordedSide | undefined;
    try {
      const path = new URL(req.url ?? "/", "http://proxy").pathname;
      if (req.method !== "POST" || path !== api.path) {
        throw new RouteNotFoundError(req.method ?? "?", path, api.path);
      }
      const caller = authenticateCaller(req.headers, options.callers);
      entry.principal = caller.principal.id;
      const raw = await readRequestBody(req, maxBodyBytes);
      const summary = api.summarize(parseJsonObject(raw));
      Object.assign(entry, { model: summary.model, stream: summary.stream });
      const subject = exchangeSubject({
        api: api.name,
        model: summary.model,
        principal: caller.principal,
        callerToken: caller.token,
        upstreamKey: options.upstreamKey,
        sessionId: sessionIdOf(req.headers["x-vigil-session"]) ?? uuidv7(),
        requestId,
        resourceAttributes: options.resourceAttributes ?? {},
      });
      entry.sessionId = subject.sessionId;
      const decision = await authorizeExchange(
        {
          vigil,
          vigilTimeoutMs,
          approvalTimeoutMs: options.approvalTimeoutMs ?? 300_000,
          signal,
          onPending: (approvalId, decisionId) =>
            logger.info({ ...entry, approvalId, decisionId }, "waiting for approval"),
        },
        authorizeRequestOf(subject, api.name, summary),
      );
      entry.decisionId = decision.decisionId;
      const obligations = proxyObligations(decision.obligations, decision.decisionId);
      const body = await maskContent(
        { vigil, subject, timeoutMs: vigilTimeoutMs, signal },
        { kind: ContentKind.PROMPT, name: "request body", body: { case: "json", value: raw } },
        obligations.promptProfile,
      );
      exchange = {
        subject,
        decisionId: decision.decisionId,
        request: {
          content: {
            kind: ContentKind.PROMPT,
            name: "request body",
            body: { case: "json", value: body },
          },
          attributes: { api: api.name, model: summary.model, stream: summary.stream },
          occurredAt: new Date(),
        },
      };
      const answer = await callUpstream({
        url: options.upstreamUrl,
        headers: upstreamRequestHeaders(
          req.headers,
          api.credentialHeaders(options.upstreamKey),
          obligations.stripHeaders,
        ),
        body,
        timeoutMs: options.upstreamTimeoutMs ?? 120_000,
        signal,
      });
      response = await relayAnswer({
        api,
        answer,
        res,
        vigil,
        subject,
        profile: obligations.completionProfile,
        timeoutMs: vigilTimeoutMs,
        maxBytes: maxBodyBytes,
        headers: {
          "x-vigil-decision-id": decision.decisionId,
          "x-vigil-session": subject.sessionId,
        },
        signal,
      });
      entry.outcome = response.attributes.outcome;
      if (response.attributes.error !== undefined) entry.err = response.attributes.error;
    } catch (error) {
      const failure = toProxyError(error, logger);
      entry.outcome = failure.code;
      entry.err = failure.message;
      if (failure instanceof RequestDeniedError && failure.decisionId) {
        entry.decisionId = failure.decisionId;
      }
      if (exchange) {
        response = {
          attributes: { outcome: failure.code, status: failure.status },
          occurredAt: new Date(),
        };
      }
      // A caller that has gone got nothing; log the status it would have had.
      entry.status = res.headersSent ? res.statusCode : failure.status;
      respondWithError(res, api, failure);
    } finally {
      entry.status ??= res.statusCode;
      entry.ms = Date.now() - started;
      // A refusal is the proxy doing its job; a 5xx is something an operator should look at.
      if (Number(entry.status) >= 500) logger.warn(entry, "exchange");
      else logger.info(entry, "exchange");
    }
    if (exchange && response) {
      await recordExchange(
        {
          vigil,
          subject: exchange.subject,
          decisionId: exchange.decisionId,
          timeoutMs: vigilTimeoutMs,
          logger,
        },
        exchange.request,
        response,
      );
    }
  };
}

function toProxyError(error: unknown, logger: Logger): ProxyError {
  if (error instanceof ProxyError) return error;
  logger.error({ err: error instanceof Error ? error.stack : String(error) }, "unexpected error");
  return new ProxyError(500, "internal_error", "internal error in vigil proxy; not forwarded", {
    cause: error,
  });
}

/** Answers with the API's error JSON, unless the answer has begun or the caller has gone. */
function respondWithError(res: ServerResponse, api: LlmApi, error: ProxyError): void {
  if (res.headersSent || res.destroyed) {
    if (!res.writableEnded) res.end();
    return;
  }
  const body = JSON.stringify(api.errorBody(error));
  res.writeHead(error.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}
