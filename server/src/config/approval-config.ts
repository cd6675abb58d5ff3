import { resolve } from "node:path";
import { ConfigError } from "../errors.js";
import { bool, positiveInt } from "./flag-values.js";

/** The approval workflow's notifications and timers. */
export interface ApprovalConfig {
  /** How often pending approvals and grants past their expiry are marked expired. Default 1 s. */
  sweepIntervalMs: number;
  /** Where approval webhooks go. Default: no webhooks. */
  webhookUrl: string | undefined;
  /** File holding the HMAC secret for the webhook signature; required with a webhook URL. */
  webhookSecretFile: string | undefined;
  /** Body format: plain JSON or a Slack incoming-webhook message. Default `json`. */
  webhookFormat: "json" | "slack";
  /** Base URL of the reviewer console, for links in notifications. Default: none. */
  consoleUrl: string | undefined;
  /** Serve the reviewer console at `/console`. Default true. */
  console: boolean;
}

/** Flags of the approvals section, for `parseArgs`. */
export const approvalFlagSpec = {
  "approval-sweep-interval-ms": { type: "string" },
  "approval-webhook-url": { type: "string" },
  "approval-webhook-secret-file": { type: "string" },
  "approval-webhook-format": { type: "string" },
  "console-url": { type: "string" },
  console: { type: "string" },
} as const;

/** Usage lines of the approvals section. */
export const approvalUsage = `Approvals:
  --approval-sweep-interval-ms N  how often expired approvals are marked expired
                             (VIGIL_APPROVAL_SWEEP_INTERVAL_MS, default 1000)
  --approval-webhook-url URL POST approval events here (VIGIL_APPROVAL_WEBHOOK_URL, default none)
  --approval-webhook-secret-file FILE  HMAC key for the vigil-signature header
                             (VIGIL_APPROVAL_WEBHOOK_SECRET_FILE; required with a webhook URL)
  --approval-webhook-format F  json or slack (VIGIL_APPROVAL_WEBHOOK_FORMAT, default json)
  --console BOOL             serve the reviewer console at /console (VIGIL_CONSOLE, default true)
  --console-url URL          reviewer console address for links in notifications (VIGIL_CONSOLE_URL)
`;

/** Reads one flag, then its variable. */
export type ApprovalFlagReader = (
  flag: keyof typeof approvalFlagSpec,
  variable: string,
) => string | undefined;

/** Resolves the approvals section. Throws {@link ConfigError} naming the flag. */
export function parseApprovalConfig(pick: ApprovalFlagReader, cwd: string): ApprovalConfig {
  const webhookUrl = pick("approval-webhook-url", "VIGIL_APPROVAL_WEBHOOK_URL");
  const secretFile = pick("approval-webhook-secret-file", "VIGIL_APPROVAL_WEBHOOK_SECRET_FILE");
  const format = pick("approval-webhook-format", "VIGIL_APPROVAL_WEBHOOK_FORMAT") ?? "json";
  if (format !== "json" && format !== "slack") {
    throw new ConfigError(`--approval-webhook-format must be json or slack, not ${format}`);
  }
  if (webhookUrl !== undefined) {
    if (!/^https?:\/\//i.test(webhookUrl) || !URL.canParse(webhookUrl)) {
      throw new ConfigError("--approval-webhook-url must be an http(s) URL");
    }
    if (secretFile === undefined) {
      throw new ConfigError(
        "--approval-webhook-url needs --approval-webhook-secret-file: receivers must be able to check the signature",
      );
    }
  }
  return {
    sweepIntervalMs: positiveInt(
      "--approval-sweep-interval-ms",
      pick("approval-sweep-interval-ms", "VIGIL_APPROVAL_SWEEP_INTERVAL_MS") ?? "1000",
    ),
    webhookUrl,
    webhookSecretFile: secretFile === undefined ? undefined : resolve(cwd, secretFile),
    webhookFormat: format,
    consoleUrl: pick("console-url", "VIGIL_CONSOLE_URL"),
    console: bool("--console", pick("console", "VIGIL_CONSOLE") ?? "true"),
  };
}
