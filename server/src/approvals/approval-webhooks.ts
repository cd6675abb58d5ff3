import { readFile } from "node:fs/promises";
import type { ApprovalConfig } from "../config/approval-config.js";
import { ConfigError, describeError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";
import type { ApprovalDesk } from "./approval-desk.js";
import { createLmdbWebhookOutbox } from "./lmdb-webhook-outbox.js";
import { createWebhookNotifier, type WebhookNotifier } from "./webhook-notifier.js";

/**
 * Starts approval webhooks when a URL is configured: the outbox lives in the approvals LMDB
 * environment, so deliveries left over from before a restart are sent first, and the desk
 * closes the notifier before its store. Resolves with undefined when no webhook is configured;
 * an unreadable or short secret file stops the start.
 */
export async function startApprovalWebhooks(
  config: ApprovalConfig,
  desk: ApprovalDesk,
  logger: Logger,
  metrics: Metrics,
): Promise<WebhookNotifier | undefined> {
  if (!config.webhookUrl || !config.webhookSecretFile) return undefined;
  const secret = await readFile(config.webhookSecretFile)
    .then((bytes) => Buffer.from(bytes.toString("utf8").trim(), "utf8"))
    .catch((error: unknown) => {
      throw new ConfigError(
        `--approval-webhook-secret-file ${config.webhookSecretFile}: ${describeError(error)}`,
      );
    });
  if (secret.length < 16) {
    throw new ConfigError(
      `--approval-webhook-secret-file ${config.webhookSecretFile}: the secret must be at least 16 bytes`,
    );
  }
  const notifier = createWebhookNotifier({
    url: config.webhookUrl,
    secret,
    format: config.webhookFormat,
    consoleUrl: config.consoleUrl,
    outbox: createLmdbWebhookOutbox({ root: desk.root }),
    logger,
    metrics: metrics.registry,
  });
  desk.addSink(notifier);
  await notifier.start();
  return notifier;
}
