/**
 * The formats planted in the corpus, each under the detector id Vigil should report it with, and
 * the ways a value can be written (prose, or a line of an `.env`, YAML, source or log file).
 */
import { ALNUM, BASE32, BASE64, BASE64URL, DIGITS, type Rng } from "./random.js";
import {
  cardNumber,
  email,
  iban,
  jwt,
  password,
  pem,
  printCard,
  printIban,
  ssn,
} from "./secret-values.js";

/** How a value is written: in prose, or as a line of one kind of file. */
export type Style = "prose" | "env" | "yaml" | "source" | "log";

/** Text around a value, and the value itself as `{ secret }` (only that part is reported). */
export type Piece = string | { secret: string };

/** One kind of planted value: the detector that should report it and how to make one. */
export interface Format {
  /** The id Vigil reports it under (`secret.*` or `pii.*`). */
  detector: string;
  /** Variable names such a value is assigned to. */
  names: readonly string[];
  /** Styles it is planted in. Default all. */
  styles?: readonly Style[];
  /** Only recognisable next to its name: prose writes it as an assignment. */
  needsName?: boolean;
  /** The log line's message with `%` where the value goes; default `loaded <name>=%`. */
  logLine?: string;
  /** A fresh value, with any text around it that belongs to the value but is not reported. */
  sample(r: Rng): Piece[];
}

const PROSE_AND_LOGS: readonly Style[] = ["prose", "log"];

/** Every planted format, by the id `server/src/redact/secret-rules.ts` and `pii-detector.ts` use. */
export const FORMATS: readonly Format[] = [
  {
    detector: "secret.aws-access-key-id",
    names: ["AWS_ACCESS_KEY_ID", "aws_access_key_id"],
    sample: (r) => [{ secret: r.pick(["AKIA", "ASIA"]) + r.chars(BASE32, 16) }],
  },
  {
    detector: "secret.aws-secret-access-key",
    names: ["AWS_SECRET_ACCESS_KEY", "aws_secret_access_key"],
    needsName: true,
    sample: (r) => [{ secret: r.chars(BASE64, 40) }],
  },
  {
    detector: "secret.github-pat",
    names: ["GITHUB_TOKEN", "GH_TOKEN"],
    sample: (r) => [{ secret: `ghp_${r.chars(ALNUM, 36)}` }],
  },
  {
    detector: "secret.github-fine-grained-pat",
    names: ["GITHUB_PAT", "GH_RELEASE_TOKEN"],
    sample: (r) => [{ secret: `github_pat_${r.chars(ALNUM, 22)}_${r.chars(ALNUM, 59)}` }],
  },
  {
    detector: "secret.slack-bot-token",
    names: ["SLACK_BOT_TOKEN"],
    sample: (r) => [
      { secret: `xoxb-${r.chars(DIGITS, 12)}-${r.chars(DIGITS, 13)}-${r.chars(ALNUM, 24)}` },
    ],
  },
  {
    detector: "secret.stripe-secret-key",
    names: ["STRIPE_SECRET_KEY", "STRIPE_API_KEY"],
    sample: (r) => [
      { secret: `sk_live_${r.chance(0.5) ? r.chars(ALNUM, 24) : `51${r.chars(ALNUM, 97)}`}` },
    ],
  },
  {
    detector: "secret.openai-api-key",
    names: ["OPENAI_API_KEY"],
    sample: (r) => [{ secret: `sk-${r.chars(ALNUM, 20)}T3BlbkFJ${r.chars(ALNUM, 20)}` }],
  },
  {
    detector: "secret.openai-project-key",
    names: ["OPENAI_API_KEY"],
    sample: (r) => [
      { secret: `sk-proj-${r.chars(BASE64URL, 74)}T3BlbkFJ${r.chars(BASE64URL, 74)}` },
    ],
  },
  {
    detector: "secret.anthropic-api-key",
    names: ["ANTHROPIC_API_KEY"],
    sample: (r) => [{ secret: `sk-ant-api03-${r.chars(BASE64URL, 93)}AA` }],
  },
  {
    detector: "secret.npm-token",
    names: ["NPM_TOKEN", "NODE_AUTH_TOKEN"],
    sample: (r) => [{ secret: `npm_${r.chars(ALNUM, 36)}` }],
  },
  {
    detector: "secret.private-key",
    names: ["TLS_PRIVATE_KEY", "SSH_PRIVATE_KEY", "SIGNING_KEY"],
    styles: ["prose", "env", "yaml", "source"],
    sample: (r) => [{ secret: pem(r, "private") }],
  },
  {
    detector: "secret.jwt",
    names: ["SESSION_JWT", "ID_TOKEN"],
    logLine: "GET /v1/me upstream=auth Authorization: Bearer %",
    sample: (r) => [{ secret: jwt(r) }],
  },
  {
    detector: "secret.connection-string-password",
    names: ["DATABASE_URL", "ANALYTICS_DB_URL"],
    logLine: "connecting to %",
    sample: (r) => [
      `${r.pick(["postgres", "postgresql"])}://${r.pick(["orders_svc", "app", "analytics_ro", "billing"])}:`,
      { secret: password(r, r.between(12, 28)) },
      `@${r.pick(["db.internal", "10.0.4.12", "orders.cluster-c8x2.eu-west-1.rds.amazonaws.com"])}:5432/${r.pick(["orders", "app", "billing"])}${r.chance(0.5) ? "?sslmode=require" : ""}`,
    ],
  },
  {
    detector: "secret.generic-assignment",
    names: ["DB_PASSWORD", "SMTP_PASSWORD", "REDIS_PASSWORD", "ADMIN_PASSWORD", "CLIENT_SECRET"],
    needsName: true,
    sample: (r) => [{ secret: password(r, r.between(14, 32)) }],
  },
  {
    detector: "pii.email",
    names: ["ADMIN_EMAIL", "SUPPORT_EMAIL", "owner"],
    logLine: "user signup completed email=%",
    sample: (r) => [{ secret: email(r) }],
  },
  {
    detector: "pii.card",
    names: ["card"],
    styles: PROSE_AND_LOGS,
    logLine: "payment declined card=% amount=42.10 currency=EUR",
    sample: (r) => [{ secret: printCard(cardNumber(r), r.pick([" ", "-", ""])) }],
  },
  {
    detector: "pii.iban",
    names: ["iban"],
    styles: PROSE_AND_LOGS,
    logLine: "payout scheduled iban=% amount=1200.00",
    sample: (r) => [{ secret: printIban(iban(r), r.chance(0.5)) }],
  },
  {
    detector: "pii.ssn",
    names: ["ssn"],
    styles: PROSE_AND_LOGS,
    logLine: "kyc submitted ssn=% status=pending",
    sample: (r) => [{ secret: ssn(r).join(r.chance(0.7) ? "-" : "") }],
  },
];
