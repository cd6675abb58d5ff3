import { Buffer } from "node:buffer";
import { isGenericSecret, isSecretKeyName } from "./generic-secret.js";

/**
 * One credential format Vigil recognises. Patterns are written to run in linear time: every
 * repetition is bounded (`{n,m}` or `?`, never `*` or `+`) and no quantified group contains
 * another quantifier, so the backtracking engine does a bounded amount of work per position.
 */
export interface SecretRule {
  /** `secret.<format>`, kebab-case; never reused for a different format. */
  readonly id: string;
  /** Bumped whenever the rule's pattern or checks change. */
  readonly version: number;
  /**
   * Lower-case substrings of which at least one must occur in the lower-cased text for the rule
   * to run at all. For context rules the keyword is the context (`twilio`, `datadog`).
   */
  readonly keywords: readonly string[];
  /**
   * Global, `d` (hasIndices) flagged. When the pattern has named groups starting with `secret`,
   * the first that took part in the match is the reported span; otherwise the whole match is.
   */
  readonly pattern: RegExp;
  /** Extra check of the secret; `false` drops the match. Runs after the placeholder allowlist. */
  readonly validate?: (secret: string, match: RegExpExecArray) => boolean;
  /**
   * A cheap check of a match before its offsets are computed (a pattern's `d` flag doubles the
   * cost of every match); `false` drops it. For rules whose pattern matches far more often
   * than it finds a secret, such as any `key = value`.
   */
  readonly precheck?: (match: RegExpExecArray) => boolean;
  /**
   * The pattern never crosses a line and can only match on a line where one of `keywords`
   * occurs (the key it needs contains one), so the rule runs on those lines alone.
   */
  readonly lineScoped?: boolean;
  /**
   * Whether the shared placeholder allowlist applies. Default `true`; off for PEM blocks, whose
   * long base64 bodies contain runs and sequences by chance.
   */
  readonly placeholderCheck?: boolean;
}

/** An assignment separator: optional closing quote, then `=`, `:`, `:=` or `=>`, then a quote. */
const SEP = `["']?[ \\t]{0,4}(?::=|=>|[:=])[ \\t]{0,4}["']?`;

/**
 * A context rule: a key name matching `key` (plus up to 30 more name characters such as
 * `_API_KEY`), an assignment separator, and the secret value. Case-insensitive.
 */
function assigned(key: string, value: string): RegExp {
  return new RegExp(`(?:${key})[\\w.-]{0,30}${SEP}(?<secret>${value})(?![\\w-])`, "dgi");
}

/** Decodes base64url, or `undefined` when the bytes are not UTF-8 text. */
function decodeBase64Url(part: string): string | undefined {
  const text = Buffer.from(part, "base64url").toString("utf8");
  return text.includes("\uFFFD") ? undefined : text;
}

/** A JWT header must decode to a JSON object naming its algorithm. */
function hasJwtHeader(token: string): boolean {
  const header = decodeBase64Url(token.slice(0, token.indexOf(".")));
  if (header === undefined) return false;
  try {
    const parsed: unknown = JSON.parse(header);
    return (
      typeof parsed === "object" &&
      parsed !== null &&
      typeof Reflect.get(parsed, "alg") === "string"
    );
  } catch {
    return false;
  }
}

/** The first part of a Discord bot token is the bot's user id (a snowflake) in base64. */
function hasSnowflakePrefix(token: string): boolean {
  const id = decodeBase64Url(token.slice(0, token.indexOf(".")));
  return id !== undefined && /^[0-9]{17,20}$/.test(id);
}

/** A PEM body must carry real key material, not `...` or a one-line stub. */
function hasKeyBody(block: string): boolean {
  // Lines may be indented (a YAML block scalar) or joined by `\n` escapes (a one-line .env value).
  const lines = block
    .split(/\r?\n|\\r\\n|\\n/)
    .filter((line) => /^[A-Za-z0-9+/=]{16,}$/.test(line.trim()));
  return lines.join("").length >= 64;
}

/** Vigil's own secret rules, one per published credential format. */
export const SECRET_RULES: readonly SecretRule[] = [
  // AWS IAM "Unique identifier prefixes": AKIA long-term, ASIA STS, ABIA/ACCA; 20 chars, base32.
  {
    id: "secret.aws-access-key-id",
    version: 1,
    keywords: ["akia", "asia", "abia", "acca"],
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])/dg,
  },
  // AWS secret access key: 40 base64 chars, recognisable only next to its key name.
  {
    id: "secret.aws-secret-access-key",
    version: 1,
    keywords: [
      "aws_secret",
      "aws-secret",
      "awssecret",
      "aws.secret",
      "secret_access",
      "secretaccess",
      "secret-access",
      "secret.access",
    ],
    pattern:
      /(?:aws[_.-]?secret[_.-]?(?:access[_.-]|access)?key|secret[_.-]?access[_.-]?key)[\w.-]{0,20}["']?[ \t]{0,4}(?::=|=>|[:=])[ \t]{0,4}["']?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dgi,
  },
  // Google Cloud "API keys": 39 chars starting AIza. Google AI Studio (Gemini) keys share it.
  {
    id: "secret.gcp-api-key",
    version: 1,
    keywords: ["aiza"],
    pattern: /(?<![\w-])AIza[\w-]{35}(?![\w-])/dg,
  },
  // Google Cloud service-account key file: PKCS#8 PEM in the JSON "private_key" field.
  {
    id: "secret.gcp-service-account-key",
    version: 1,
    keywords: ["private_key"],
    placeholderCheck: false,
    pattern:
      /"private_key"[ \t]{0,4}:[ \t]{0,4}"(?<secret>-----BEGIN PRIVATE KEY-----(?:\\n|[A-Za-z0-9+/=]){64,8192}-----END PRIVATE KEY-----(?:\\n)?)"/dg,
    validate: hasKeyBody,
  },
  // Azure Storage connection string: AccountKey is 64 bytes, 88 base64 chars.
  {
    id: "secret.azure-storage-account-key",
    version: 1,
    keywords: ["accountkey="],
    pattern: /AccountKey=(?<secret>[A-Za-z0-9+/]{86}==)/dg,
  },
  // Azure shared access signature: sig= is a base64 HMAC-SHA256, often URL-encoded; needs sv=.
  {
    id: "secret.azure-sas-signature",
    version: 1,
    keywords: ["sig="],
    pattern:
      /[?&]sig=(?<secret>(?:%[0-9A-Fa-f][0-9A-Fa-f]|[A-Za-z0-9+/]){40,90}(?:%3[Dd]|=){0,2})/dg,
    validate: (_s, m) => m.input.slice(Math.max(0, m.index - 1024), m.index + 1024).includes("sv="),
  },
  // Microsoft Entra client secret: three chars, a digit, "Q~", then 31–34 chars.
  {
    id: "secret.azure-ad-client-secret",
    version: 1,
    keywords: ["q~"],
    pattern: /(?<![\w~.-])[\w~.]{3}[0-9]Q~[\w~.-]{31,34}(?![\w~.-])/dg,
  },
  // GitHub token formats (GitHub blog, 2021-04-05): prefix + 36 base62, lengths may grow.
  {
    id: "secret.github-pat",
    version: 1,
    keywords: ["ghp_"],
    pattern: /(?<![\w-])ghp_[A-Za-z0-9]{36,251}(?![\w-])/dg,
  },
  {
    id: "secret.github-oauth-token",
    version: 1,
    keywords: ["gho_"],
    pattern: /(?<![\w-])gho_[A-Za-z0-9]{36,251}(?![\w-])/dg,
  },
  {
    id: "secret.github-user-to-server-token",
    version: 1,
    keywords: ["ghu_"],
    pattern: /(?<![\w-])ghu_[A-Za-z0-9]{36,251}(?![\w-])/dg,
  },
  {
    id: "secret.github-server-to-server-token",
    version: 1,
    keywords: ["ghs_"],
    pattern: /(?<![\w-])ghs_[A-Za-z0-9]{36,251}(?![\w-])/dg,
  },
  {
    id: "secret.github-refresh-token",
    version: 1,
    keywords: ["ghr_"],
    pattern: /(?<![\w-])ghr_[A-Za-z0-9]{36,251}(?![\w-])/dg,
  },
  // GitHub fine-grained PAT: github_pat_ + 22 base62 + "_" + 59 base62.
  {
    id: "secret.github-fine-grained-pat",
    version: 1,
    keywords: ["github_pat_"],
    pattern: /(?<![\w-])github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}(?![\w-])/dg,
  },
  // GitLab docs "Token prefixes": glpat- personal/project/group access tokens.
  {
    id: "secret.gitlab-pat",
    version: 1,
    keywords: ["glpat-"],
    pattern: /(?<![\w-])glpat-[\w-]{20,300}(?![\w-])/dg,
  },
  {
    id: "secret.gitlab-deploy-token",
    version: 1,
    keywords: ["gldt-"],
    pattern: /(?<![\w-])gldt-[\w-]{20,64}(?![\w-])/dg,
  },
  // Runner authentication (glrt-) and legacy registration (GR1348941) tokens.
  {
    id: "secret.gitlab-runner-token",
    version: 1,
    keywords: ["glrt-", "gr1348941"],
    pattern: /(?<![\w-])(?:glrt-|GR1348941)[\w-]{20,64}(?![\w-])/dg,
  },
  // The other GitLab prefixes: pipeline trigger, CI job, OAuth secret, feed, mail, agent, SCIM, flags.
  {
    id: "secret.gitlab-token",
    version: 1,
    keywords: ["glptt-", "glcbt-", "gloas-", "glft-", "glimt-", "glagent-", "glsoat-", "glffct-"],
    pattern:
      /(?<![\w-])(?:glptt|glcbt|gloas|glft|glimt|glagent|glsoat|glffct)-[\w-]{20,300}(?![\w-])/dg,
  },
  // Bitbucket app password: ATBB-prefixed (since 2022) or legacy 20 base62, next to "bitbucket".
  {
    id: "secret.bitbucket-app-password",
    version: 1,
    keywords: ["bitbucket"],
    pattern: assigned("bitbucket", "ATBB[\\w=.-]{28,60}|[A-Za-z0-9]{20}"),
  },
  // Slack API "Token types": xoxb bot, xoxp user, xoxa workspace, xoxr refresh, xapp app-level.
  {
    id: "secret.slack-bot-token",
    version: 1,
    keywords: ["xoxb-"],
    pattern: /(?<![\w-])xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24,34}(?![\w-])/dg,
  },
  {
    id: "secret.slack-user-token",
    version: 1,
    keywords: ["xoxp-"],
    pattern: /(?<![\w-])xoxp-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{28,34}(?![\w-])/dg,
  },
  {
    id: "secret.slack-workspace-token",
    version: 1,
    keywords: ["xoxa-"],
    pattern: /(?<![\w-])xoxa-[A-Za-z0-9-]{10,200}(?![\w-])/dg,
  },
  {
    id: "secret.slack-refresh-token",
    version: 1,
    keywords: ["xoxr-"],
    pattern: /(?<![\w-])xoxr-[A-Za-z0-9-]{10,200}(?![\w-])/dg,
  },
  {
    id: "secret.slack-app-token",
    version: 1,
    keywords: ["xapp-"],
    pattern: /(?<![\w-])xapp-[0-9]-[A-Z0-9]{9,11}-[0-9]{10,13}-[a-f0-9]{64}(?![\w-])/dg,
  },
  // Slack incoming webhooks: the path after /services/ (T…/B…/secret) is the credential.
  {
    id: "secret.slack-webhook-url",
    version: 1,
    keywords: ["hooks.slack.com"],
    pattern:
      /hooks\.slack\.com\/(?:services|workflows|triggers)\/(?<secret>[A-Za-z0-9+/]{43,56})(?![A-Za-z0-9+/])/dg,
  },
  // Discord bot token: base64 bot id . 6-char timestamp . HMAC; reported only where Discord is named.
  {
    id: "secret.discord-bot-token",
    version: 1,
    keywords: ["discord", "bot "],
    pattern: /(?<![\w-])[MNO][\w-]{23,27}\.[\w-]{6}\.[\w-]{27,38}(?![\w-])/dg,
    validate: hasSnowflakePrefix,
  },
  // Discord webhook: /api/webhooks/<id>/<token>; the token is the credential.
  {
    id: "secret.discord-webhook-url",
    version: 1,
    keywords: ["discord"],
    pattern:
      /discord(?:app)?\.com\/api\/webhooks\/[0-9]{17,20}\/(?<secret>[\w-]{60,68})(?![\w-])/dg,
  },
  // Telegram Bot API: <bot id>:<35 chars starting "A">, also inside api.telegram.org/bot<token>.
  {
    id: "secret.telegram-bot-token",
    version: 1,
    keywords: [":a"],
    pattern: /(?<![0-9])[0-9]{5,16}:A[\w-]{34}(?![\w-])/dg,
  },
  // Microsoft Teams incoming webhook (webhook.office.com/webhookb2/…): the path is the credential.
  {
    id: "secret.teams-webhook-url",
    version: 1,
    keywords: ["webhook.office.com"],
    pattern:
      /\.webhook\.office\.com\/webhookb2\/(?<secret>[0-9a-f-]{36}@[0-9a-f-]{36}\/IncomingWebhook\/[0-9A-Za-z]{32}\/[0-9a-f-]{36}[\w/-]{0,80})/dg,
  },
  // Stripe "API keys": live secret and restricted keys; publishable pk_ keys are public.
  {
    id: "secret.stripe-secret-key",
    version: 1,
    keywords: ["sk_live_"],
    pattern: /(?<![\w-])sk_live_[A-Za-z0-9]{24,247}(?![\w-])/dg,
  },
  {
    id: "secret.stripe-restricted-key",
    version: 1,
    keywords: ["rk_live_"],
    pattern: /(?<![\w-])rk_live_[A-Za-z0-9]{24,247}(?![\w-])/dg,
  },
  // Test-mode keys move no money but read and write test data; a separate id lets plans skip them.
  {
    id: "secret.stripe-test-key",
    version: 1,
    keywords: ["sk_test_", "rk_test_"],
    pattern: /(?<![\w-])[sr]k_test_[A-Za-z0-9]{24,247}(?![\w-])/dg,
  },
  {
    id: "secret.stripe-webhook-secret",
    version: 1,
    keywords: ["whsec_"],
    pattern: /(?<![\w-])whsec_[A-Za-z0-9]{32,64}(?![\w-])/dg,
  },
  // Square "Access tokens": EAAA + 60 chars; legacy sq0atp- + 22.
  {
    id: "secret.square-access-token",
    version: 1,
    keywords: ["eaaa", "sq0atp-"],
    pattern: /(?<![\w-])(?:EAAA[\w-]{60}|sq0atp-[\w-]{22})(?![\w-])/dg,
  },
  {
    id: "secret.square-oauth-secret",
    version: 1,
    keywords: ["sq0csp-"],
    pattern: /(?<![\w-])sq0csp-[\w-]{43}(?![\w-])/dg,
  },
  // PayPal Braintree access token: access_token$<env>$<merchant id>$<32 hex>.
  {
    id: "secret.braintree-access-token",
    version: 1,
    keywords: ["access_token$"],
    pattern: /access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}(?![\w-])/dg,
  },
  // Twilio "API keys": SK + 32 hex, reported where Twilio is named (SK… alone is too common).
  {
    id: "secret.twilio-api-key",
    version: 1,
    keywords: ["twilio"],
    pattern: /(?<![\w-])SK[0-9a-fA-F]{32}(?![\w-])/dg,
  },
  // Twilio auth token: 32 hex next to its key name. Account SIDs (AC…) are identifiers, not secrets.
  {
    id: "secret.twilio-auth-token",
    version: 1,
    keywords: ["twilio"],
    pattern: assigned("twilio[\\w.-]{0,20}auth[_.-]?token", "[0-9a-f]{32}"),
  },
  // SendGrid API key: SG.<22>.<43>.
  {
    id: "secret.sendgrid-api-key",
    version: 1,
    keywords: ["sg."],
    pattern: /(?<![\w-])SG\.[\w-]{22}\.[\w-]{43}(?![\w-])/dg,
  },
  // Mailgun private API key (legacy format): key- + 32 hex.
  {
    id: "secret.mailgun-api-key",
    version: 1,
    keywords: ["key-"],
    pattern: /(?<![\w-])key-[0-9a-f]{32}(?![\w-])/dg,
  },
  // Mailchimp Marketing API key: 32 hex + -us<data centre>.
  {
    id: "secret.mailchimp-api-key",
    version: 1,
    keywords: ["-us"],
    pattern: /(?<![\w-])[0-9a-f]{32}-us[0-9]{1,2}(?![\w-])/dg,
  },
  // OpenAI user keys embed "T3BlbkFJ" (base64 "OpenAI"); newer keys are typed by prefix.
  {
    id: "secret.openai-api-key",
    version: 1,
    keywords: ["t3blbkfj"],
    pattern: /(?<![\w-])sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}(?![\w-])/dg,
  },
  {
    id: "secret.openai-project-key",
    version: 1,
    keywords: ["sk-proj-"],
    pattern: /(?<![\w-])sk-proj-[\w-]{40,250}(?![\w-])/dg,
  },
  {
    id: "secret.openai-service-account-key",
    version: 1,
    keywords: ["sk-svcacct-"],
    pattern: /(?<![\w-])sk-svcacct-[\w-]{40,250}(?![\w-])/dg,
  },
  {
    id: "secret.openai-admin-key",
    version: 1,
    keywords: ["sk-admin-"],
    pattern: /(?<![\w-])sk-admin-[\w-]{40,250}(?![\w-])/dg,
  },
  // Anthropic Console keys: sk-ant-api03- / sk-ant-admin01- + 93 chars + "AA".
  {
    id: "secret.anthropic-api-key",
    version: 1,
    keywords: ["sk-ant-api"],
    pattern: /(?<![\w-])sk-ant-api03-[\w-]{93}AA(?![\w-])/dg,
  },
  {
    id: "secret.anthropic-admin-key",
    version: 1,
    keywords: ["sk-ant-admin"],
    pattern: /(?<![\w-])sk-ant-admin01-[\w-]{93}AA(?![\w-])/dg,
  },
  // Google OAuth client secret: GOCSPX- + 28 chars.
  {
    id: "secret.google-oauth-client-secret",
    version: 1,
    keywords: ["gocspx-"],
    pattern: /(?<![\w-])GOCSPX-[\w-]{28}(?![\w-])/dg,
  },
  // Hugging Face user access tokens (hf_) and organisation tokens (api_org_): 34 letters.
  {
    id: "secret.huggingface-token",
    version: 1,
    keywords: ["hf_", "api_org_"],
    pattern: /(?<![\w-])(?:hf_|api_org_)[A-Za-z]{34}(?![\w-])/dg,
  },
  // Cohere and Mistral keys have no prefix: 40 and 32 base62 next to the vendor's name.
  {
    id: "secret.cohere-api-key",
    version: 1,
    keywords: ["cohere"],
    pattern: assigned("cohere", "[A-Za-z0-9]{40}"),
  },
  {
    id: "secret.mistral-api-key",
    version: 1,
    keywords: ["mistral"],
    pattern: assigned("mistral", "[A-Za-z0-9]{32}"),
  },
  // Groq (gsk_ + 52), Replicate (r8_ + 37), Perplexity (pplx- + 48).
  {
    id: "secret.groq-api-key",
    version: 1,
    keywords: ["gsk_"],
    pattern: /(?<![\w-])gsk_[A-Za-z0-9]{52}(?![\w-])/dg,
  },
  {
    id: "secret.replicate-api-token",
    version: 1,
    keywords: ["r8_"],
    pattern: /(?<![\w-])r8_[A-Za-z0-9]{37}(?![\w-])/dg,
  },
  {
    id: "secret.perplexity-api-key",
    version: 1,
    keywords: ["pplx-"],
    pattern: /(?<![\w-])pplx-[A-Za-z0-9]{48}(?![\w-])/dg,
  },
  // npm granular/automation tokens: npm_ + 36 base62.
  {
    id: "secret.npm-token",
    version: 1,
    keywords: ["npm_"],
    pattern: /(?<![\w-])npm_[A-Za-z0-9]{36}(?![\w-])/dg,
  },
  // PyPI API token: pypi- + macaroon whose location decodes to pypi.org or test.pypi.org.
  {
    id: "secret.pypi-token",
    version: 1,
    keywords: ["pypi-ag"],
    pattern: /(?<![\w-])pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[\w-]{50,1000}(?![\w-])/dg,
  },
  // RubyGems API key: rubygems_ + 48 hex.
  {
    id: "secret.rubygems-api-key",
    version: 1,
    keywords: ["rubygems_"],
    pattern: /(?<![\w-])rubygems_[0-9a-f]{48}(?![\w-])/dg,
  },
  // NuGet.org API key: oy2 + 43 lower-case base32.
  {
    id: "secret.nuget-api-key",
    version: 1,
    keywords: ["oy2"],
    pattern: /(?<![\w-])oy2[a-z0-9]{43}(?![\w-])/dg,
  },
  // Docker Hub personal (dckr_pat_) and organisation (dckr_oat_) access tokens.
  {
    id: "secret.docker-hub-token",
    version: 1,
    keywords: ["dckr_pat_", "dckr_oat_"],
    pattern: /(?<![\w-])dckr_(?:pat|oat)_[\w-]{27,60}(?![\w-])/dg,
  },
  // Shopify token prefixes (2021 changelog): each + 32 hex.
  {
    id: "secret.shopify-access-token",
    version: 1,
    keywords: ["shpat_"],
    pattern: /(?<![\w-])shpat_[a-fA-F0-9]{32}(?![\w-])/dg,
  },
  {
    id: "secret.shopify-shared-secret",
    version: 1,
    keywords: ["shpss_"],
    pattern: /(?<![\w-])shpss_[a-fA-F0-9]{32}(?![\w-])/dg,
  },
  {
    id: "secret.shopify-custom-app-token",
    version: 1,
    keywords: ["shpca_"],
    pattern: /(?<![\w-])shpca_[a-fA-F0-9]{32}(?![\w-])/dg,
  },
  {
    id: "secret.shopify-private-app-token",
    version: 1,
    keywords: ["shppa_"],
    pattern: /(?<![\w-])shppa_[a-fA-F0-9]{32}(?![\w-])/dg,
  },
  // Atlassian API token: ATATT3 + 186 chars.
  {
    id: "secret.atlassian-api-token",
    version: 1,
    keywords: ["atatt3"],
    pattern: /(?<![\w=-])ATATT3[\w=-]{186}(?![\w=-])/dg,
  },
  // Linear API key: lin_api_ + 40 base62.
  {
    id: "secret.linear-api-key",
    version: 1,
    keywords: ["lin_api_"],
    pattern: /(?<![\w-])lin_api_[A-Za-z0-9]{40}(?![\w-])/dg,
  },
  // Notion integration tokens: ntn_ + 11 digits + 35 (since 2024), legacy secret_ + 43.
  {
    id: "secret.notion-token",
    version: 1,
    keywords: ["ntn_", "secret_"],
    pattern: /(?<![\w-])(?:ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})(?![\w-])/dg,
  },
  // Postman API key: PMAK- + 24 hex + "-" + 34 hex.
  {
    id: "secret.postman-api-key",
    version: 1,
    keywords: ["pmak-"],
    pattern: /(?<![\w-])PMAK-[a-f0-9]{24}-[a-f0-9]{34}(?![\w-])/dg,
  },
  // Heroku API key: HRKU-AA + 58 (2024 format); before that a UUID next to "heroku".
  {
    id: "secret.heroku-api-key",
    version: 1,
    keywords: ["hrku-"],
    pattern: /(?<![\w-])HRKU-AA[\w-]{58}(?![\w-])/dg,
  },
  {
    id: "secret.heroku-api-key-legacy",
    version: 1,
    keywords: ["heroku"],
    pattern: assigned("heroku", "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
  },
  // DigitalOcean token prefixes: dop_v1_ personal, doo_v1_ OAuth, dor_v1_ refresh; + 64 hex.
  {
    id: "secret.digitalocean-pat",
    version: 1,
    keywords: ["dop_v1_"],
    pattern: /(?<![\w-])dop_v1_[a-f0-9]{64}(?![\w-])/dg,
  },
  {
    id: "secret.digitalocean-oauth-token",
    version: 1,
    keywords: ["doo_v1_"],
    pattern: /(?<![\w-])doo_v1_[a-f0-9]{64}(?![\w-])/dg,
  },
  {
    id: "secret.digitalocean-refresh-token",
    version: 1,
    keywords: ["dor_v1_"],
    pattern: /(?<![\w-])dor_v1_[a-f0-9]{64}(?![\w-])/dg,
  },
  // Vercel (24 base62), Netlify (40–46, incl. nfp_), Cloudflare (40 token or 37-hex global key).
  {
    id: "secret.vercel-token",
    version: 1,
    keywords: ["vercel"],
    pattern: assigned("vercel", "[A-Za-z0-9]{24}"),
  },
  {
    id: "secret.netlify-token",
    version: 1,
    keywords: ["netlify"],
    pattern: assigned("netlify", "[\\w=-]{40,46}"),
  },
  {
    id: "secret.cloudflare-api-token",
    version: 1,
    keywords: ["cloudflare", "cf_api", "cf-api"],
    pattern: assigned("cloudflare|cf[_-]api", "[\\w-]{40}|[0-9a-f]{37}"),
  },
  // Datadog API key (32 hex) and application key (40 hex), next to their key names.
  {
    id: "secret.datadog-api-key",
    version: 1,
    keywords: ["datadog", "dd_api", "dd-api", "ddapi"],
    pattern: assigned("(?:datadog|dd)[_.-]?api[_.-]?key", "[0-9a-f]{32}"),
  },
  {
    id: "secret.datadog-app-key",
    version: 1,
    keywords: ["datadog", "dd_app", "dd-app", "ddapp"],
    pattern: assigned("(?:datadog|dd)[_.-]?app(?:lication)?[_.-]?key", "[0-9a-f]{40}"),
  },
  // New Relic "API keys": NRAK- user keys, NRII- insert keys.
  {
    id: "secret.new-relic-user-api-key",
    version: 1,
    keywords: ["nrak-"],
    pattern: /(?<![\w-])NRAK-[A-Z0-9]{27}(?![\w-])/dg,
  },
  {
    id: "secret.new-relic-insert-key",
    version: 1,
    keywords: ["nrii-"],
    pattern: /(?<![\w-])NRII-[\w-]{32}(?![\w-])/dg,
  },
  // Sentry auth tokens: org tokens sntrys_<base64 JSON>_<43>, user tokens sntryu_ + 64 hex.
  {
    id: "secret.sentry-token",
    version: 1,
    keywords: ["sntrys_", "sntryu_"],
    pattern:
      /(?<![\w-])(?:sntrys_eyJ[A-Za-z0-9+/=_]{30,500}_[A-Za-z0-9+/]{43}|sntryu_[0-9a-f]{64})(?![\w+/=-])/dg,
  },
  // Grafana Cloud access policy tokens (glc_) and service account tokens (glsa_).
  {
    id: "secret.grafana-cloud-token",
    version: 1,
    keywords: ["glc_"],
    pattern: /(?<![\w-])glc_[A-Za-z0-9+/]{32,400}={0,2}(?![\w+/=-])/dg,
  },
  {
    id: "secret.grafana-service-account-token",
    version: 1,
    keywords: ["glsa_"],
    pattern: /(?<![\w-])glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}(?![\w-])/dg,
  },
  // HashiCorp Vault 1.10+ token prefixes: hvs. service, hvb. batch.
  {
    id: "secret.vault-service-token",
    version: 1,
    keywords: ["hvs."],
    pattern: /(?<![\w-])hvs\.[\w-]{90,120}(?![\w-])/dg,
  },
  {
    id: "secret.vault-batch-token",
    version: 1,
    keywords: ["hvb."],
    pattern: /(?<![\w-])hvb\.[\w-]{138,300}(?![\w-])/dg,
  },
  // Terraform Cloud / HCP Terraform API token: 14 chars .atlasv1. 60–70 chars.
  {
    id: "secret.terraform-cloud-token",
    version: 1,
    keywords: ["atlasv1"],
    pattern: /(?<![\w-])[A-Za-z0-9]{14}\.atlasv1\.[\w=-]{60,70}(?![\w=-])/dg,
  },
  // Doppler token formats: dp.pt. personal, dp.st.[env.] service, dp.sa./dp.ct./dp.scim./dp.audit.
  {
    id: "secret.doppler-token",
    version: 1,
    keywords: ["dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."],
    pattern:
      /(?<![\w.-])dp\.(?:(?:pt|st|sa|ct|scim|audit)\.|st\.[a-z0-9_-]{2,35}\.)[A-Za-z0-9]{40,44}(?![\w-])/dg,
  },
  // Pulumi access token: pul- + 40 hex.
  {
    id: "secret.pulumi-token",
    version: 1,
    keywords: ["pul-"],
    pattern: /(?<![\w-])pul-[a-f0-9]{40}(?![\w-])/dg,
  },
  // RFC 7468 / OpenSSH / OpenPGP private key blocks, BEGIN through the matching END line. The
  // body may not contain "-----", so a run of BEGIN lines without END costs linear time.
  {
    id: "secret.private-key",
    version: 2,
    keywords: ["private key"],
    placeholderCheck: false,
    pattern:
      /-----BEGIN (?<label>(?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----(?:[A-Za-z0-9+/=\s:,.()\\]|-(?!----)){64,16384}?-----END \k<label>-----/dg,
    validate: hasKeyBody,
  },
  // RFC 7519 JWT (JWS compact form): base64url header . payload . signature, header has "alg".
  {
    id: "secret.jwt",
    version: 1,
    keywords: ["eyj"],
    pattern: /(?<![\w-])eyJ[\w-]{10,2000}\.[\w-]{2,8000}\.[\w-]{16,2000}(?![\w-])/dg,
    validate: hasJwtHeader,
  },
  // RFC 3986 userinfo in database and broker URLs: only the password is reported.
  {
    id: "secret.connection-string-password",
    version: 1,
    keywords: ["://"],
    pattern:
      /(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver):\/\/[^\s:@/]{0,128}:(?<secret>[^\s:@/]{1,256})@/dg,
  },
  // HTTP Authorization header with a Bearer, Basic or Token credential (RFC 6750, RFC 7617).
  {
    id: "secret.authorization-header",
    version: 1,
    keywords: ["authorization"],
    pattern:
      /(?<![\w-])authorization["']?[ \t]{0,4}:[ \t]{0,4}(?:bearer|basic|token)[ \t]{1,4}(?<secret>[\w~+/.=-]{16,4096})/dgi,
  },
  // Generic `password=`, `secret:`, `api_key=`, `token:` and `--password value` assignments in env
  // files, YAML, JSON, code and command lines; see isGenericSecret for what is skipped.
  {
    id: "secret.generic-assignment",
    version: 2,
    keywords: ["pass", "pwd", "secret", "token", "key", "credential"],
    lineScoped: true,
    precheck: (match) => isSecretKeyName(match.groups?.flag ?? match.groups?.key ?? ""),
    pattern:
      /(?<![\w.-])(?:--(?<flag>[A-Za-z][\w-]{0,59})(?:=|[ \t]{1,4})|(?<key>[A-Za-z_][\w.-]{0,59})["']?[ \t]{0,4}(?::=|=>|[:=])[ \t]{0,4})(?:"(?<secret>[^"\r\n]{1,200})"|'(?<secret2>[^'\r\n]{1,200})'|(?<secret3>[^\s"'`,;&]{1,200}))/dg,
    validate: isGenericSecret,
  },
];
