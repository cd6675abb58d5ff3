import { existsSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { PolicyAdminService } from "../../gen/vigil/v1/policy_admin_pb.js";
import { PolicyService } from "../../gen/vigil/v1/policy_service_pb.js";
import { openApprovalDesk } from "./approvals/approval-desk.js";
import { startApprovalWebhooks } from "./approvals/approval-webhooks.js";
import { openAuditTrail } from "./audit/audit-trail.js";
import { createCallerAuthenticator } from "./auth/caller-authenticator.js";
import { createCertificateAuthenticator } from "./auth/certificate-authenticator.js";
import { createJwtAuthenticator } from "./auth/jwt-authenticator.js";
import { loadRoleBindings } from "./auth/role-bindings.js";
import { createTokenAuthenticator } from "./auth/token-authenticator.js";
import { authConfigured } from "./config/auth-config.js";
import { type ConfigDefaults, isLoopback, loadServerConfig } from "./config/server-config.js";
import { describeError } from "./errors.js";
import { createForwardAuthRoute } from "./forward-auth/forward-auth-route.js";
import { createHealthStatuses } from "./health/health-statuses.js";
import { createLogger } from "./logging/logger.js";
import { createMetrics } from "./metrics/metrics.js";
import { createBundleSource } from "./policy/create-bundle-source.js";
import { createPolicyEngine } from "./policy/policy-engine.js";
import { createPolicyEvaluator } from "./policy/policy-evaluator.js";
import { createPolicyLoader } from "./policy/policy-loader.js";
import { createPolicyWorkerPool } from "./policy/policy-worker-pool.js";
import { createContentRedactor } from "./redact/content-redactor.js";
import { loadCustomRules } from "./redact/custom-rules-files.js";
import { loadFingerprintKey } from "./redact/fingerprint-key.js";
import { createAccessControlInterceptor } from "./rpc/access-control.js";
import { createBatchSizeInterceptor } from "./rpc/batch-size.js";
import { createCallDeadlineInterceptor } from "./rpc/call-deadline.js";
import { createCallLimitsInterceptor } from "./rpc/call-limits.js";
import { createErrorMappingInterceptor } from "./rpc/error-mapping.js";
import { createInProcessAuthorize } from "./rpc/in-process-authorize.js";
import { createLoadSheddingInterceptor } from "./rpc/load-shedding.js";
import { createMessageDepthInterceptor } from "./rpc/message-depth.js";
import { createRoutes } from "./rpc/routes.js";
import { createConsoleRoute } from "./server/console-route.js";
import { createMetricsRoute } from "./server/metrics-route.js";
import { createVigilServer } from "./server/vigil-server.js";
import { createWorkerPool } from "./workers/worker-pool.js";

/**
 * The repository root, where the bundled policies and the pinned opa live: two levels up from
 * the sources, three from their build in dist/.
 */
export const projectRoot = ((here) =>
  existsSync(join(here, "../../package.json"))
    ? resolve(here, "../..")
    : resolve(here, "../../.."))(dirname(fileURLToPath(import.meta.url)));

/** Defaults for paths not given by flag or environment. */
export function projectDefaults(): ConfigDefaults {
  const localOpa = join(projectRoot, ".tools/bin/opa");
  return {
    policyDir: join(projectRoot, "policies"),
    opaPath: existsSync(localOpa) ? localOpa : "opa",
    policyWorkers: Math.min(4, availableParallelism()),
  };
}

/**
 * The composition root for `vigil serve`: reads flags and environment, wires the store, the
 * policy engine and the RPC routes, serves until SIGTERM/SIGINT, then drains and closes.
 */
export async function serve(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadServerConfig(argv, env, projectDefaults());
  const logger = createLogger({ level: config.logLevel });
  process.on("unhandledRejection", (reason) => {
    logger.error({ err: describeError(reason) }, "unhandled rejection");
  });

  // Unusable rule, token or binding files stop the start, before anything is opened.
  const customRules = await loadCustomRules(config.redaction.rulesFiles, logger);
  const metrics = createMetrics({ collect: { instanceRecycles: () => evaluator.recycles() } });
  const { auth } = config;
  const tokens = auth.tokensFile
    ? await createTokenAuthenticator({
        path: auth.tokensFile,
        logger,
        onReload: (result) => metrics.authReloads.inc({ source: "tokens", result }),
      })
    : undefined;
  const jwt = auth.jwt
    ? await createJwtAuthenticator({
        config: auth.jwt,
        logger,
        onReload: (result) => metrics.authReloads.inc({ source: "jwks", result }),
      })
    : undefined;
  const authenticator = createCallerAuthenticator({
    tokens,
    jwt,
    certificates: auth.clientCertificates ? createCertificateAuthenticator() : undefined,
    bindings: auth.roleBindingsFile ? await loadRoleBindings(auth.roleBindingsFile) : undefined,
  });
  await mkdir(config.dataDir, { recursive: true });
  const health = createHealthStatuses();
  const policyServices = ["", PolicyService.typeName, PolicyAdminService.typeName];
  const setHealth = (status: ServingStatus) => {
    for (const service of policyServices) health.set(service, status);
  };
  // Not serving until a bundle is active: Authorize would only deny.
  setHealth(ServingStatus.NOT_SERVING);

  const { workers, inlineMaxBytes, maxMemoryBytes, recycleAboveBytes } = config.policyEvaluation;
  // One set of threads serves large policy inputs and large redactions alike.
  const workerPool = workers > 0 ? createWorkerPool({ threads: workers }) : undefined;
  const evaluator = createPolicyEvaluator({
    pool: workerPool ? createPolicyWorkerPool({ shared: workerPool }) : undefined,
    inlineMaxBytes,
    maxMemoryBytes,
    recycleAboveBytes,
  });
  // A damaged store stops the start here, before anything listens.
  const audit = await openAuditTrail({
    path: join(config.dataDir, "audit"),
    config: config.audit,
    logger,
    metrics,
  });
  // Prune what retention allows before serving, then on its timer.
  await audit.retention.run();
  const approvalDesk = await openApprovalDesk({
    path: join(config.dataDir, "approvals"),
    audit: audit.store,
    logger,
    sweepIntervalMs: config.approvals.sweepIntervalMs,
  });
  await startApprovalWebhooks(config.approvals, approvalDesk, logger, metrics);
  const engine = createPolicyEngine({
    logger,
    evaluator,
    metrics,
    onActivate: () => setHealth(ServingStatus.SERVING),
  });
  const source = await createBundleSource({
    location: config.policy,
    kind: /^https?:/i.test(config.policy)
      ? "http"
      : (await stat(config.policy).catch(() => undefined))?.isDirectory()
        ? "directory"
        : "file",
    loading: config.policyLoading,
    dataDir: config.dataDir,
    opaPath: config.opaPath,
    logger,
  });
  const loader = createPolicyLoader({
    source: source.source,
    engine,
    logger,
    metrics,
    verify: source.verify,
  });
  await loader.start();
  if (!engine.active()) {
    logger.warn("serving without a policy: every Authorize is denied until one loads");
  }

  const redactor = createContentRedactor({
    engine,
    fingerprintKey: await loadFingerprintKey(join(config.dataDir, "keys", "fingerprint.key")),
    customRules,
    pool: workerPool,
    maxBytes: config.redaction.maxBytes,
    inlineMaxBytes: config.redaction.inlineMaxBytes,
    timeoutMs: config.redaction.timeoutMs,
    metrics,
  });

  const routes = createRoutes({
    engine,
    store: audit.store,
    signer: audit.signer,
    health,
    logger,
    redactor,
    approvals: approvalDesk.workflow,
    watchers: approvalDesk.watchers,
    policyAdmin: {
      sourceKind: source.source.kind,
      evaluation: {
        workerThreads: workers,
        inlineMaxBytes,
        recycles: () => evaluator.recycles(),
      },
    },
  });
  // Outermost first: access control's refusals are mapped like every other error. The deadline
  // wraps the rest, so a call it cuts keeps its slots until its work has really ended; load is
  // shed before authenticating, per-caller limits need the identity access control sets, and an
  // oversized batch is refused before it spends the caller's tokens.
  const { limits } = config;
  const onLimit = (limit: string) => metrics.limitRefusals.inc({ limit });
  const interceptors = [
    createErrorMappingInterceptor(logger),
    createCallDeadlineInterceptor({ timeoutMs: limits.requestTimeoutMs, onRefused: onLimit }),
    createLoadSheddingInterceptor({ maxInFlight: limits.maxInFlight, onRefused: onLimit }),
    createAccessControlInterceptor({
      authenticator,
      anonymousRoles: auth.anonymousRoles,
      record: (record) => audit.store.append(record),
      onRefused: (reason) => metrics.accessDenied.inc({ reason }),
      onError: (error) =>
        logger.warn({ err: describeError(error) }, "could not record a refused call"),
    }),
    createBatchSizeInterceptor({ maxBatchSize: limits.maxBatchSize, onRefused: onLimit }),
    createCallLimitsInterceptor({
      maxConcurrentPerCaller: limits.maxConcurrentPerCaller,
      ratePerCaller: limits.ratePerCaller,
      rateBurst: limits.rateBurst,
      onRefused: onLimit,
    }),
    createMessageDepthInterceptor({ maxJsonDepth: limits.maxJsonDepth, onRefused: onLimit }),
  ];
  const server = await createVigilServer({
    routes,
    interceptors,
    maxMessageBytes: config.maxMessageBytes,
    transport: limits.transport,
    tls: config.tls,
    clientCertificates: auth.clientCertificates,
    logger,
    httpRoutes: [
      createMetricsRoute(metrics.registry),
      createForwardAuthRoute({ authorize: createInProcessAuthorize(routes, interceptors) }),
      ...(config.approvals.console
        ? [await createConsoleRoute({ assetsDir: join(projectRoot, "server/console") })]
        : []),
    ],
  });
  if (!authConfigured(auth)) {
    logger.warn(
      { host: config.host, anonymousRoles: auth.anonymousRoles },
      isLoopback(config.host)
        ? "no caller authentication configured (--auth-tokens, --auth-jwks, --tls-client-ca): every caller is anonymous, so Vigil listens on loopback only"
        : "no caller authentication configured and --allow-unauthenticated is set: anyone who can reach this address is an anonymous caller",
    );
  }
  const address = await server.listen(config.host, config.port);
  logger.info(
    {
      address: address.address,
      port: address.port,
      tls: Boolean(config.tls),
      dataDir: config.dataDir,
      policy: engine.active()?.revision ?? null,
      apiTokens: tokens?.size() ?? 0,
      anonymousRoles: auth.anonymousRoles,
    },
    "listening",
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, "second signal, exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, inFlight: server.inFlight() }, "shutting down");
    setHealth(ServingStatus.NOT_SERVING);
    await server.close(config.shutdownGraceMs);
    await authenticator.close?.();
    await loader.close();
    await evaluator.close();
    await workerPool?.close();
    await approvalDesk.close();
    await audit.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", (s) => void shutdown(s));
  process.on("SIGINT", (s) => void shutdown(s));
}
