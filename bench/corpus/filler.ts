/**
 * Filler: the text that surrounds planted values in each kind of file, from a user's prose to
 * log lines, `.env` and YAML entries and Python source.
 */
import type { Rng } from "./random.js";

const SUBJECTS = [
  "the checkout service",
  "our nightly ETL job",
  "the Kubernetes ingress",
  "the React dashboard",
  "the Terraform plan",
  "the payment webhook handler",
  "the GraphQL gateway",
  "our Rust CLI",
  "the Celery worker",
  "the search indexer",
];
const PROBLEMS = [
  "keeps timing out after about thirty seconds",
  "returns a 502 only under load",
  "leaks memory when the queue backs up",
  "ignores the retry policy we configured",
  "fails its health check right after startup",
  "double-counts refunds in the monthly report",
  "logs the same warning thousands of times",
  "cannot reach the database from the new subnet",
];
const OPENERS = [
  "Can you help me figure out why",
  "I'm trying to understand why",
  "Please explain why",
  "Quick question, why",
  "My team noticed that",
  "Since the last deploy,",
];
const REMARKS = [
  "Here is what I have tried so far.",
  "I already raised the timeout and restarted the pods.",
  "Nothing changed in the code, only the configuration.",
  "It works fine locally with Docker Compose.",
  "The logs below are from the staging cluster.",
  "Could this be a DNS issue?",
  "Please keep the answer short and give me the exact commands.",
  "Merci d'avance, the team in Lyon is blocked on this 🙏",
  "Zoë from the platform team thinks it is the connection pool.",
  "Ich habe die Konfiguration schon zweimal geprüft.",
  "Summarise the incident in three bullet points for the status page.",
  "Rewrite the retry loop to use exponential backoff with jitter.",
  "Write a SQL query that returns the ten customers with the most failed payments.",
  "The assistant should answer in Spanish, the customer does not read English.",
];
/** Sentences an assistant answers with in a chat transcript. */
export const ANSWERS = [
  "The most likely cause is that the connection pool is exhausted before the retry fires.",
  "Check whether the readiness probe runs before the migrations have finished.",
  "You can confirm this by lowering the batch size and watching the queue depth.",
  "I would start by comparing the resolved configuration between staging and production.",
  "Rotate any credential that appeared in this conversation, then redeploy.",
  "The error message suggests the upstream closed the connection, not a timeout on our side.",
];

/** A sentence of a user's message, followed by a space. */
export function proseSentence(r: Rng): string {
  if (r.chance(0.4)) return `${r.pick(REMARKS)} `;
  return `${r.pick(OPENERS)} ${r.pick(SUBJECTS)} ${r.pick(PROBLEMS)}? `;
}

const SERVICES = ["orders-api", "billing-worker", "auth-gateway", "search-indexer", "notifier"];
const LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];

/** Per-file state for log lines: the clock only moves forward. */
export interface LogClock {
  ms: number;
}

/** A log line's timestamp, level, service and pid, moving `clock` forward. */
export function logPrefix(r: Rng, clock: LogClock, level = r.pick(LEVELS)): string {
  clock.ms += r.int(2000);
  return `${new Date(clock.ms).toISOString()} ${level.padEnd(5)} ${r.pick(SERVICES)}[${r.between(100, 9999)}]:`;
}

function logMessage(r: Rng): string {
  return r.pick([
    () => `GET /v1/orders/${r.int(99_999)} ${r.pick([200, 200, 404, 500])} ${r.int(900)}ms`,
    () => `POST /v1/payments ${r.pick([201, 402, 409])} ${r.int(900)}ms bytes=${r.int(9000)}`,
    () => `connected to redis at 10.0.${r.int(255)}.${r.int(255)}:6379`,
    () => `job nightly-export finished in ${r.int(900)}s rows=${r.int(1_000_000)}`,
    () => `cache hit ratio ${r.next().toFixed(3)} over ${r.int(5000)} lookups`,
    () => `retrying upstream call attempt=${r.between(1, 5)} backoff_ms=${r.int(2000)}`,
    () => `consumer lag partition=${r.int(12)} lag=${r.int(100_000)}`,
    () => `user login succeeded user_id=${r.int(1_000_000)} method=oauth`,
    () => `gc pause ${r.int(80)}ms heap_used_mb=${r.int(2048)}`,
    () => `refresh token expired for session, issuing a new one ttl=3600`,
  ])();
}

/** An ordinary log line, plain text or JSON. */
export function logFiller(r: Rng, clock: LogClock): string {
  if (r.chance(0.3)) {
    clock.ms += r.int(2000);
    return `${JSON.stringify({
      ts: new Date(clock.ms).toISOString(),
      level: r.pick(["info", "debug", "warn"]),
      service: r.pick(SERVICES),
      msg: logMessage(r),
      duration_ms: r.int(900),
    })}\n`;
  }
  return `${logPrefix(r, clock)} ${logMessage(r)}\n`;
}

const ENV_LINES = [
  "NODE_ENV=production",
  "PORT=8080",
  "LOG_LEVEL=info",
  "REDIS_HOST=redis-3.internal",
  "FEATURE_NEW_CHECKOUT=true",
  "SENTRY_ENVIRONMENT=staging",
  "TZ=Europe/Berlin",
  "MAX_UPLOAD_MB=25",
  "CORS_ORIGINS=https://app.acme-corp.io,https://admin.acme-corp.io",
  "WORKER_CONCURRENCY=8",
  "SMTP_HOST=smtp.mailgun.org",
  "TOKEN_TTL_SECONDS=3600",
  "PASSWORD_MIN_LENGTH=12",
  "SECRET_STORE=vault",
  "API_KEY_HEADER=X-Api-Key",
  "PASSWORD_FILE=/run/secrets/db_password",
  "OAUTH_TOKEN_URL=https://auth.acme-corp.io/oauth/token",
  "# --- payments ---",
  "# rotate the keys below every 90 days",
];

/** An ordinary `.env` line or comment. */
export function envFiller(r: Rng): string {
  return `${r.pick(ENV_LINES)}\n`;
}

/** An ordinary entry of a YAML `env:` map, or a comment. */
export function yamlFiller(r: Rng): string {
  const [key, value] = r.pick(ENV_LINES).split("=");
  return key?.startsWith("#")
    ? `  ${key}\n`
    : `  ${key}: ${value?.includes(",") ? `"${value}"` : value}\n`;
}

/** The head of a YAML deployment document, ending in an open `env:` map. */
export function yamlDocument(r: Rng): string {
  const service = `${r.pick(SERVICES)}-${r.int(100)}`;
  return [
    "---",
    `service: ${service}`,
    `replicas: ${r.between(1, 6)}`,
    `image: ghcr.io/acme/${service}:${r.int(4)}.${r.int(30)}.${r.int(20)}`,
    "resources:",
    "  limits:",
    `    cpu: ${r.between(1, 20) * 100}m`,
    `    memory: ${r.pick([256, 512, 1024])}Mi`,
    "probes:",
    "  path: /healthz",
    "  period_seconds: 10",
    "env:",
    "",
  ].join("\n");
}

const SOURCE_LINES = [
  '    payload = json.loads(event["body"])',
  '    token = request.headers.get("Authorization", "")',
  "    password = getpass.getpass()",
  '    api_key = os.environ["OPENAI_API_KEY"]',
  '    refresh_token = response.json()["refresh_token"]',
  "    self.token = token",
  "    access_token: str = None",
  '    secret_name = f"{env}/db"',
  '    if not payload.get("id"):',
  '        raise ValueError("missing id")',
  "    for attempt in range(MAX_RETRIES):",
  "        time.sleep(2 ** attempt)",
  '    logger.info("processed %s records", len(rows))',
  '    return {"statusCode": 200, "body": json.dumps(payload)}',
];

/** An ordinary line of Python, or now and then the start of a new handler function. */
export function sourceFiller(r: Rng): string {
  if (r.chance(0.15)) {
    return `\n\ndef handle_${r.pick(["order", "refund", "signup", "export"])}_${r.int(1000)}(event, context):\n    """Process one event from the queue."""\n`;
  }
  return `${r.pick(SOURCE_LINES)}\n`;
}
