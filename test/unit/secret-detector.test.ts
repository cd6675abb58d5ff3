import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { shannonEntropy } from "../../server/src/redact/entropy.js";
import {
  createSecretDetector,
  isPlaceholder,
  UnknownSecretRuleError,
} from "../../server/src/redact/secret-detector.js";
import { SECRET_RULES } from "../../server/src/redact/secret-rules.js";

// Every fake credential is assembled at run time from a seeded generator, so the repository
// holds no literal that looks like a live key to push-protection scanners.
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const from = (alphabet: string, length: number) =>
    Array.from({ length }, () => alphabet.charAt(Math.floor(next() * alphabet.length))).join("");
  return { from, next };
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;
const HEX = "0123456789abcdef";
const URLSAFE = `${ALNUM}_-`;
const B64 = `${ALNUM}+/`;

const g = generator(20240611);
const alnum = (n: number) => g.from(ALNUM, n);
const hex = (n: number) => g.from(HEX, n);
const digits = (n: number) => g.from("123456789", 1) + g.from(DIGITS, n - 1);
const urlsafe = (n: number) => g.from(ALNUM, 1) + g.from(URLSAFE, n - 2) + g.from(ALNUM, 1);
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const b64url = (text: string) => Buffer.from(text).toString("base64url");
const pemBody = () => Array.from({ length: 12 }, () => g.from(B64, 64)).join("\n");

const jwt = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(`{"sub":"${hex(8)}","iat":1718000000}`)}.${urlsafe(43)}`;
const discordId = digits(18);

interface Case {
  id: string;
  secret: string;
  text: (secret: string) => string;
}

// One realistic true positive per rule; `text` places the secret in an env file, JSON, YAML,
// a curl command, a log line or a Python snippet.
const cases: Case[] = [
  {
    id: "secret.aws-access-key-id",
    secret: `AKIA${g.from(`${UPPER}234567`, 16)}`,
    text: (s) => `AWS_ACCESS_KEY_ID=${s}\n`,
  },
  {
    id: "secret.aws-secret-access-key",
    secret: g.from(B64, 40),
    text: (s) => `[default]\naws_secret_access_key = ${s}\n`,
  },
  {
    id: "secret.gcp-api-key",
    secret: `AIza${urlsafe(35)}`,
    text: (s) => `curl "https://maps.googleapis.com/maps/api/geocode/json?key=${s}"`,
  },
  {
    id: "secret.gcp-service-account-key",
    secret: `-----BEGIN PRIVATE KEY-----\\n${pemBody().replaceAll("\n", "\\n")}\\n-----END PRIVATE KEY-----\\n`,
    text: (s) =>
      `{"type": "service_account", "private_key": "${s}", "client_email": "ci@p.iam.gserviceaccount.com"}`,
  },
  {
    id: "secret.azure-storage-account-key",
    secret: `${g.from(B64, 86)}==`,
    text: (s) =>
      `STORAGE=DefaultEndpointsProtocol=https;AccountName=vigil;AccountKey=${s};EndpointSuffix=core.windows.net`,
  },
  {
    id: "secret.azure-sas-signature",
    secret: `${g.from(ALNUM, 40)}%2F${g.from(ALNUM, 3)}%3D`,
    text: (s) =>
      `GET https://vigil.blob.core.windows.net/c/b.txt?sv=2022-11-02&ss=b&sp=r&se=2030-01-01&sig=${s} 200`,
  },
  {
    id: "secret.azure-ad-client-secret",
    secret: `${alnum(3)}7Q~${g.from(`${ALNUM}_~.`, 33)}a`,
    text: (s) => `AZURE_CLIENT_SECRET="${s}"`,
  },
  {
    id: "secret.github-pat",
    secret: `ghp_${alnum(36)}`,
    text: (s) => `curl -H "Authorization: token ${s}" https://api.github.com/user`,
  },
  {
    id: "secret.github-oauth-token",
    secret: `gho_${alnum(36)}`,
    text: (s) => `{"access_token": "${s}", "scope": "repo"}`,
  },
  {
    id: "secret.github-user-to-server-token",
    secret: `ghu_${alnum(36)}`,
    text: (s) => `token: ${s}\n`,
  },
  {
    id: "secret.github-server-to-server-token",
    secret: `ghs_${alnum(36)}`,
    text: (s) => `2024-06-11T10:00:00Z INFO installation token ${s} issued`,
  },
  {
    id: "secret.github-refresh-token",
    secret: `ghr_${alnum(76)}`,
    text: (s) => `refresh_token=${s}&grant_type=refresh_token`,
  },
  {
    id: "secret.github-fine-grained-pat",
    secret: `github_pat_${alnum(22)}_${alnum(59)}`,
    text: (s) => `GH_TOKEN=${s}`,
  },
  {
    id: "secret.gitlab-pat",
    secret: `glpat-${urlsafe(20)}`,
    text: (s) => `curl --header "PRIVATE-TOKEN: ${s}" https://gitlab.com/api/v4/projects`,
  },
  {
    id: "secret.gitlab-deploy-token",
    secret: `gldt-${urlsafe(20)}`,
    text: (s) => `docker login -u deployer -p ${s} registry.gitlab.com`,
  },
  {
    id: "secret.gitlab-runner-token",
    secret: `glrt-${urlsafe(20)}`,
    text: (s) => `[[runners]]\n  token = "${s}"\n`,
  },
  {
    id: "secret.gitlab-token",
    secret: `glptt-${hex(40)}`,
    text: (s) =>
      `curl -X POST -F token=${s} -F ref=main https://gitlab.com/api/v4/projects/1/trigger/pipeline`,
  },
  {
    id: "secret.bitbucket-app-password",
    secret: `ATBB${alnum(32)}`,
    text: (s) => `BITBUCKET_APP_PASSWORD=${s}`,
  },
  {
    id: "secret.slack-bot-token",
    secret: `xoxb-${digits(12)}-${digits(13)}-${alnum(24)}`,
    text: (s) => `SLACK_BOT_TOKEN=${s}`,
  },
  {
    id: "secret.slack-user-token",
    secret: `xoxp-${digits(12)}-${digits(12)}-${digits(13)}-${hex(32)}`,
    text: (s) => `slack:\n  user_token: "${s}"\n`,
  },
  {
    id: "secret.slack-workspace-token",
    secret: `xoxa-2-${alnum(40)}`,
    text: (s) => `client.auth(token="${s}")`,
  },
  {
    id: "secret.slack-refresh-token",
    secret: `xoxr-${alnum(40)}`,
    text: (s) => `{"refresh": "${s}"}`,
  },
  {
    id: "secret.slack-app-token",
    secret: `xapp-1-A${g.from(`${UPPER}${DIGITS}`, 9)}-${digits(13)}-${hex(64)}`,
    text: (s) => `SLACK_APP_TOKEN=${s}`,
  },
  {
    id: "secret.slack-webhook-url",
    secret: `T${g.from(UPPER + DIGITS, 8)}/B${g.from(UPPER + DIGITS, 10)}/${alnum(24)}`,
    text: (s) => `curl -X POST -d '{"text":"hi"}' https://hooks.slack.com/services/${s}`,
  },
  {
    id: "secret.discord-bot-token",
    secret: `${b64url(discordId)}.${urlsafe(6)}.${urlsafe(38)}`,
    text: (s) => `# discord bot\nclient.run("${s}")`,
  },
  {
    id: "secret.discord-webhook-url",
    secret: urlsafe(68),
    text: (s) => `DISCORD_WEBHOOK=https://discord.com/api/webhooks/${discordId}/${s}`,
  },
  {
    id: "secret.telegram-bot-token",
    secret: `${digits(10)}:AA${urlsafe(33)}`,
    text: (s) => `requests.get(f"https://api.telegram.org/bot${s}/getMe")`,
  },
  {
    id: "secret.teams-webhook-url",
    secret: `${uuid()}@${uuid()}/IncomingWebhook/${hex(32)}/${uuid()}`,
    text: (s) => `teams_url: https://contoso.webhook.office.com/webhookb2/${s}\n`,
  },
  {
    id: "secret.stripe-secret-key",
    secret: `sk_live_${alnum(99)}`,
    text: (s) => `curl https://api.stripe.com/v1/charges -u ${s}:`,
  },
  {
    id: "secret.stripe-restricted-key",
    secret: `rk_live_${alnum(99)}`,
    text: (s) => `STRIPE_KEY=${s}`,
  },
  {
    id: "secret.stripe-test-key",
    secret: `sk_test_${alnum(99)}`,
    text: (s) => `stripe.api_key = "${s}"`,
  },
  {
    id: "secret.stripe-webhook-secret",
    secret: `whsec_${alnum(32)}`,
    text: (s) => `STRIPE_WEBHOOK_SECRET=${s}`,
  },
  {
    id: "secret.square-access-token",
    secret: `EAAA${urlsafe(60)}`,
    text: (s) => `curl -H "Square-Version: 2024-01-18" -H "Authorization: Bearer ${s}"`,
  },
  {
    id: "secret.square-oauth-secret",
    secret: `sq0csp-${urlsafe(43)}`,
    text: (s) => `{"client_secret": "${s}"}`,
  },
  {
    id: "secret.braintree-access-token",
    secret: `access_token$production$${g.from(LOWER + DIGITS, 16)}$${hex(32)}`,
    text: (s) => `gateway = braintree.BraintreeGateway(access_token="${s}")`,
  },
  {
    id: "secret.twilio-api-key",
    secret: `SK${hex(32)}`,
    text: (s) => `client = twilio.rest.Client("${s}", api_secret)`,
  },
  { id: "secret.twilio-auth-token", secret: hex(32), text: (s) => `TWILIO_AUTH_TOKEN=${s}` },
  {
    id: "secret.sendgrid-api-key",
    secret: `SG.${urlsafe(22)}.${urlsafe(43)}`,
    text: (s) => `curl -H "Authorization: Bearer ${s}" https://api.sendgrid.com/v3/mail/send`,
  },
  {
    id: "secret.mailgun-api-key",
    secret: `key-${hex(32)}`,
    text: (s) => `curl -s --user 'api:${s}' https://api.mailgun.net/v3/mg/messages`,
  },
  { id: "secret.mailchimp-api-key", secret: `${hex(32)}-us21`, text: (s) => `MAILCHIMP_KEY=${s}` },
  {
    id: "secret.openai-api-key",
    secret: `sk-${alnum(20)}T3BlbkFJ${alnum(20)}`,
    text: (s) => `openai.api_key = "${s}"`,
  },
  {
    id: "secret.openai-project-key",
    secret: `sk-proj-${urlsafe(156)}`,
    text: (s) => `OPENAI_API_KEY=${s}`,
  },
  {
    id: "secret.openai-service-account-key",
    secret: `sk-svcacct-${urlsafe(156)}`,
    text: (s) => `{"openai": {"key": "${s}"}}`,
  },
  {
    id: "secret.openai-admin-key",
    secret: `sk-admin-${urlsafe(120)}`,
    text: (s) =>
      `curl -H "Authorization: Bearer ${s}" https://api.openai.com/v1/organization/users`,
  },
  {
    id: "secret.anthropic-api-key",
    secret: `sk-ant-api03-${urlsafe(93)}AA`,
    text: (s) => `curl https://api.anthropic.com/v1/messages -H "x-api-key: ${s}"`,
  },
  {
    id: "secret.anthropic-admin-key",
    secret: `sk-ant-admin01-${urlsafe(93)}AA`,
    text: (s) => `ANTHROPIC_ADMIN_KEY=${s}`,
  },
  {
    id: "secret.google-oauth-client-secret",
    secret: `GOCSPX-${urlsafe(28)}`,
    text: (s) => `{"installed": {"client_secret": "${s}"}}`,
  },
  {
    id: "secret.huggingface-token",
    secret: `hf_${g.from(UPPER + LOWER, 34)}`,
    text: (s) => `huggingface-cli login --token ${s}`,
  },
  { id: "secret.cohere-api-key", secret: alnum(40), text: (s) => `COHERE_API_KEY=${s}` },
  { id: "secret.mistral-api-key", secret: alnum(32), text: (s) => `MISTRAL_API_KEY=${s}` },
  { id: "secret.groq-api-key", secret: `gsk_${alnum(52)}`, text: (s) => `GROQ_API_KEY=${s}` },
  {
    id: "secret.replicate-api-token",
    secret: `r8_${alnum(37)}`,
    text: (s) => `export REPLICATE_API_TOKEN=${s}`,
  },
  {
    id: "secret.perplexity-api-key",
    secret: `pplx-${alnum(48)}`,
    text: (s) => `client = OpenAI(api_key="${s}", base_url="https://api.perplexity.ai")`,
  },
  {
    id: "secret.npm-token",
    secret: `npm_${alnum(36)}`,
    text: (s) => `//registry.npmjs.org/:_authToken=${s}`,
  },
  {
    id: "secret.pypi-token",
    secret: `pypi-AgEIcHlwaS5vcmc${urlsafe(120)}`,
    text: (s) => `[pypi]\n  username = __token__\n  password = ${s}\n`,
  },
  {
    id: "secret.rubygems-api-key",
    secret: `rubygems_${hex(48)}`,
    text: (s) => `---\n:rubygems_api_key: ${s}\n`,
  },
  {
    id: "secret.nuget-api-key",
    secret: `oy2${g.from(LOWER + DIGITS, 43)}`,
    text: (s) => `dotnet nuget push pkg.nupkg --api-key ${s} --source nuget.org`,
  },
  {
    id: "secret.docker-hub-token",
    secret: `dckr_pat_${urlsafe(27)}`,
    text: (s) => `echo ${s} | docker login -u vigil --password-stdin`,
  },
  {
    id: "secret.shopify-access-token",
    secret: `shpat_${hex(32)}`,
    text: (s) =>
      `curl -H "X-Shopify-Access-Token: ${s}" https://shop.myshopify.com/admin/api/2024-01/shop.json`,
  },
  {
    id: "secret.shopify-shared-secret",
    secret: `shpss_${hex(32)}`,
    text: (s) => `SHOPIFY_API_SECRET=${s}`,
  },
  {
    id: "secret.shopify-custom-app-token",
    secret: `shpca_${hex(32)}`,
    text: (s) => `shopify:\n  token: ${s}\n`,
  },
  {
    id: "secret.shopify-private-app-token",
    secret: `shppa_${hex(32)}`,
    text: (s) => `{"password": "${s}"}`,
  },
  {
    id: "secret.atlassian-api-token",
    secret: `ATATT3${urlsafe(186)}`,
    text: (s) => `curl -u me@example.org:${s} https://vigil.atlassian.net/rest/api/3/myself`,
  },
  {
    id: "secret.linear-api-key",
    secret: `lin_api_${alnum(40)}`,
    text: (s) => `LINEAR_API_KEY=${s}`,
  },
  {
    id: "secret.notion-token",
    secret: `ntn_${digits(11)}${alnum(35)}`,
    text: (s) => `notion = Client(auth="${s}")`,
  },
  {
    id: "secret.postman-api-key",
    secret: `PMAK-${hex(24)}-${hex(34)}`,
    text: (s) => `curl -H "X-API-Key: ${s}" https://api.getpostman.com/me`,
  },
  {
    id: "secret.heroku-api-key",
    secret: `HRKU-AA${urlsafe(58)}`,
    text: (s) => `HEROKU_API_KEY=${s}`,
  },
  { id: "secret.heroku-api-key-legacy", secret: uuid(), text: (s) => `heroku_api_key: ${s}\n` },
  {
    id: "secret.digitalocean-pat",
    secret: `dop_v1_${hex(64)}`,
    text: (s) => `doctl auth init -t ${s}`,
  },
  {
    id: "secret.digitalocean-oauth-token",
    secret: `doo_v1_${hex(64)}`,
    text: (s) => `{"access_token": "${s}"}`,
  },
  {
    id: "secret.digitalocean-refresh-token",
    secret: `dor_v1_${hex(64)}`,
    text: (s) => `refresh_token: ${s}\n`,
  },
  { id: "secret.vercel-token", secret: alnum(24), text: (s) => `VERCEL_TOKEN=${s}` },
  { id: "secret.netlify-token", secret: urlsafe(43), text: (s) => `netlify_auth_token: "${s}"\n` },
  {
    id: "secret.cloudflare-api-token",
    secret: urlsafe(40),
    text: (s) => `CLOUDFLARE_API_TOKEN=${s}`,
  },
  { id: "secret.datadog-api-key", secret: hex(32), text: (s) => `DD_API_KEY=${s}` },
  { id: "secret.datadog-app-key", secret: hex(40), text: (s) => `env:\n  DD_APP_KEY: ${s}\n` },
  {
    id: "secret.new-relic-user-api-key",
    secret: `NRAK-${g.from(UPPER + DIGITS, 27)}`,
    text: (s) => `curl -H "API-Key: ${s}" https://api.newrelic.com/graphql`,
  },
  {
    id: "secret.new-relic-insert-key",
    secret: `NRII-${urlsafe(32)}`,
    text: (s) => `NEW_RELIC_INSERT_KEY=${s}`,
  },
  {
    id: "secret.sentry-token",
    secret: `sntrys_${b64url(`{"iat":1718000000,"url":"https://sentry.io","org":"${hex(6)}"}`)
      .replaceAll("-", "+")
      .replaceAll("_", "/")}_${g.from(B64, 43)}`,
    text: (s) => `SENTRY_AUTH_TOKEN=${s}`,
  },
  {
    id: "secret.grafana-cloud-token",
    secret: `glc_${g.from(B64, 80)}==`,
    text: (s) => `grafana_token: ${s}\n`,
  },
  {
    id: "secret.grafana-service-account-token",
    secret: `glsa_${alnum(32)}_${hex(8)}`,
    text: (s) => `curl -H "Authorization: Bearer ${s}" https://grafana/api/search`,
  },
  {
    id: "secret.vault-service-token",
    secret: `hvs.${urlsafe(95)}`,
    text: (s) => `VAULT_TOKEN=${s} vault kv get secret/app`,
  },
  {
    id: "secret.vault-batch-token",
    secret: `hvb.${urlsafe(150)}`,
    text: (s) => `{"auth": {"client_token": "${s}"}}`,
  },
  {
    id: "secret.terraform-cloud-token",
    secret: `${alnum(14)}.atlasv1.${urlsafe(67)}`,
    text: (s) => `credentials "app.terraform.io" {\n  token = "${s}"\n}`,
  },
  {
    id: "secret.doppler-token",
    secret: `dp.pt.${alnum(43)}`,
    text: (s) => `doppler configure set token ${s}`,
  },
  { id: "secret.pulumi-token", secret: `pul-${hex(40)}`, text: (s) => `PULUMI_ACCESS_TOKEN=${s}` },
  {
    id: "secret.private-key",
    secret: `-----BEGIN OPENSSH PRIVATE KEY-----\n${pemBody()}\n-----END OPENSSH PRIVATE KEY-----`,
    text: (s) => `$ cat ~/.ssh/id_ed25519\n${s}\n$ `,
  },
  {
    id: "secret.private-key",
    secret: `-----BEGIN RSA PRIVATE KEY-----\\n${pemBody().replaceAll("\n", "\\n")}\\n-----END RSA PRIVATE KEY-----`,
    text: (s) => `DEPLOY_KEY="${s}"\nREGION=eu-west-1\n`,
  },
  {
    id: "secret.private-key",
    secret: `-----BEGIN EC PRIVATE KEY-----\n    ${pemBody().replaceAll("\n", "\n    ")}\n    -----END EC PRIVATE KEY-----`,
    text: (s) => `tls:\n  key: |\n    ${s}\n  cert_file: /etc/tls/cert.pem\n`,
  },
  {
    id: "secret.generic-assignment",
    secret: `Xk2${alnum(17)}`,
    text: (s) => `client = Client(client_secret="${s}")\n`,
  },
  {
    id: "secret.jwt",
    secret: jwt,
    text: (s) => `2024-06-11 10:00:00 DEBUG request headers={"cookie": "session=${s}"}`,
  },
  {
    id: "secret.connection-string-password",
    secret: `q${alnum(18)}`,
    text: (s) => `DATABASE_URL=postgres://app:${s}@db.internal:5432/app`,
  },
  {
    id: "secret.authorization-header",
    secret: `${alnum(20)}.${alnum(20)}`,
    text: (s) => `curl -H 'Authorization: Bearer ${s}' https://api.internal/v1/items`,
  },
  {
    id: "secret.generic-assignment",
    secret: `Tr0ub4dor&3-${alnum(6)}`,
    text: (s) => `db:\n  password: "${s}"\n`,
  },
];

const detector = createSecretDetector();
const found = (text: string) =>
  detector.detect(text).map((m) => ({ detector: m.detector, value: text.slice(m.start, m.end) }));

describe("createSecretDetector", () => {
  it("has a true-positive case for every rule and at least 50 rules", () => {
    expect(SECRET_RULES.length).toBeGreaterThanOrEqual(50);
    expect([...new Set(cases.map((c) => c.id))].sort()).toEqual(
      SECRET_RULES.map((r) => r.id).sort(),
    );
  });

  it.each(cases)("reports exactly the secret for $id", ({ id, secret, text }) => {
    const values = found(text(secret))
      .filter((m) => m.detector === id)
      .map((m) => m.value);
    expect(values).toEqual([secret]);
  });

  it("reports the password in further generic assignment shapes", () => {
    const secret = `Zq${alnum(14)}`;
    for (const text of [
      `export DB_PASSWORD='${secret}'`,
      `{"clientSecret": "${secret}"}`,
      `api_key = "${secret}"`,
      `mysql --user=app --password ${secret} app`,
      `2024-06-11 WARN login failed token=${secret} user=ops`,
    ]) {
      expect(found(text)).toContainEqual({ detector: "secret.generic-assignment", value: secret });
    }
  });

  it("reports a UUID only under a clearly secret key name", () => {
    const id = uuid();
    expect(found(`client_secret: ${id}`)).toContainEqual({
      detector: "secret.generic-assignment",
      value: id,
    });
    expect(found(`token: ${id}`)).toEqual([]);
  });

  const lookAlikes = [
    `request_id: ${uuid()}`,
    `token: ${uuid()}`,
    `commit ${hex(40)}\nsecret_ref: ${hex(40)}`,
    `digest: sha256:${hex(64)}`,
    `image: registry/app@sha256:${hex(64)}`,
    `data: ${Buffer.from("Hello, world! This is just ordinary text.").toString("base64")}`,
    "version: 1.24.3\ntoken_version: 2.14.0-beta.3\nnode v20.19.0",
    "color: #1a2b3c; --secret-color: #ff00aa;",
    "We use a risk-based approach; ask-me-anything, disk-usage and task-queue are fine.",
    "Join #security-alerts and #sk-proj-planning on Slack; xoxb is a prefix.",
    "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    `GITHUB_TOKEN=ghp_${"x".repeat(36)}`,
    `GITHUB_TOKEN=ghp_${"A".repeat(36)}`,
    `OPENAI_API_KEY=sk-proj-${"XXXX".repeat(15)}`,
    "api_key: <your-token>",
    `password: \${DB_PASSWORD}`,
    "token=$API_TOKEN",
    'secret: "{{ .Values.secret }}"',
    "password=changeme\npassword=password123\napi_key=****************\ntoken: REDACTED",
    "secret=1234567890abcdef",
    "STRIPE_KEY=sk_live_EXAMPLEexampleEXAMPLEexample1",
    'password = os.environ["DB_PASSWORD"]\napi_key = os.getenv("API_KEY")',
    "token: process.env.GITHUB_TOKEN\nsecret = config.get('secret')",
    "secret_file: /run/secrets/db_password\ntoken_url: https://oauth2.googleapis.com/token",
    "use_token: true\ntoken_ttl: 3600\nmax_tokens=4096\ntokenizer: bert-base-uncased",
    "password: must be at least 12 characters long",
    '"password": "Please enter your password"',
    "Authorization: Bearer <token>\nAuthorization: Bearer $TOKEN",
    "postgres://app@db.internal:5432/app redis://localhost:6379 mongodb+srv://cluster0.mongodb.net/test",
    `postgres://user:\${DB_PASSWORD}@db:5432/app`,
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    `-----BEGIN PUBLIC KEY-----\n${pemBody()}\n-----END PUBLIC KEY-----`,
    "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
    "meeting at 12:30:45, MAC 00:1A:2B:3C:4D:5E",
  ];

  it.each(lookAlikes)("reports nothing in look-alike %#", (text) => {
    expect(found(text)).toEqual([]);
  });

  it("runs only the rules whose keywords occur in the text", () => {
    expect(detector.rulesFor("hello world, nothing to see")).toEqual([]);
    const rules = detector.rulesFor(`GH_TOKEN=ghp_${alnum(36)}`);
    expect(rules).toContain("secret.github-pat");
    expect(rules).not.toContain("secret.stripe-secret-key");
    expect(rules.length).toBeLessThan(10);
  });

  it("selects rules by id and glob, and rejects a selector that matches nothing", () => {
    const github = createSecretDetector({ rules: ["secret.github-*"] });
    expect(github.ids).toContain("secret.github-fine-grained-pat");
    expect(github.ids.every((id) => id.startsWith("secret.github-"))).toBe(true);
    expect(github.detect(`npm_${alnum(36)}`)).toEqual([]);
    expect(createSecretDetector({ rules: ["secret.npm-token"] }).ids).toEqual(["secret.npm-token"]);
    expect(() => createSecretDetector({ rules: ["secret.nope"] })).toThrow(UnknownSecretRuleError);
  });

  it("reports category, version and id of the rule", () => {
    const text = `NPM_TOKEN=npm_${alnum(36)}`;
    const npm = createSecretDetector({ rules: ["secret.npm-token"] });
    expect(npm.detect(text)).toEqual([
      { start: 10, end: text.length, detector: "secret.npm-token", version: 1, category: "secret" },
    ]);
  });
});

describe("isPlaceholder", () => {
  it("flags repeats, sequences, templates and vendor examples but not random tokens", () => {
    for (const value of [
      "aaaaaaaa",
      "abcdef0189",
      "9876543210",
      `\${TOKEN}`,
      "%TOKEN%",
      "AKIAIOSFODNN7EXAMPLE",
    ]) {
      expect(isPlaceholder(value)).toBe(true);
    }
    expect(isPlaceholder(alnum(40))).toBe(false);
  });
});

describe("shannonEntropy", () => {
  it("scores repeated characters 0 and a uniform alphabet log2 of its size", () => {
    expect(shannonEntropy("")).toBe(0);
    expect(shannonEntropy("aaaa")).toBe(0);
    expect(shannonEntropy("abcdefgh")).toBe(3);
  });
});

/**
 * Problems that make a pattern's worst-case running time more than linear: unbounded
 * repetition (`*`, `+`, `{n,}`) and a quantified group that itself contains a quantifier.
 */
function quantifierProblems(source: string): string[] {
  const problems: string[] = [];
  const groupHasQuantifier: boolean[] = [];
  let inClass = false;
  let closedGroupHadQuantifier = false;
  for (let i = 0; i < source.length; i++) {
    const c = source.charAt(i);
    const afterGroup = closedGroupHadQuantifier;
    closedGroupHadQuantifier = false;
    if (c === "\\") {
      i++;
    } else if (inClass) {
      inClass = c !== "]";
    } else if (c === "[") {
      inClass = true;
    } else if (c === "(") {
      groupHasQuantifier.push(false);
      if (source.charAt(i + 1) === "?") {
        i +=
          source.charAt(i + 2) === "<" && !"=!".includes(source.charAt(i + 3))
            ? source.indexOf(">", i) - i
            : source.charAt(i + 2) === "<"
              ? 3
              : 2;
      }
    } else if (c === ")") {
      const had = groupHasQuantifier.pop() ?? false;
      closedGroupHadQuantifier = had;
      if (had && groupHasQuantifier.length > 0)
        groupHasQuantifier[groupHasQuantifier.length - 1] = true;
    } else if ("*+?{".includes(c)) {
      const end = c === "{" ? source.indexOf("}", i) : i;
      if (c === "*" || c === "+" || /^\{[0-9]+,\}$/.test(source.slice(i, end + 1))) {
        problems.push(`unbounded ${source.slice(i, end + 1)} at ${i}`);
      }
      if (afterGroup) problems.push(`nested quantifier at ${i}`);
      if (groupHasQuantifier.length > 0) groupHasQuantifier[groupHasQuantifier.length - 1] = true;
      i = source.charAt(end + 1) === "?" ? end + 1 : end;
    }
  }
  return problems;
}

describe("rule patterns", () => {
  it("recognises the shapes that backtrack badly", () => {
    expect(quantifierProblems("(a+)+")).not.toEqual([]);
    expect(quantifierProblems("(?:a{1,3}b){2,5}")).not.toEqual([]);
    expect(quantifierProblems("x{3,}")).not.toEqual([]);
    expect(quantifierProblems("(?<s>a{1,3})(?:b|c){0,4}")).toEqual([]);
  });

  it.each(SECRET_RULES.map((rule) => [rule.id, rule] as const))(
    "%s has bounded, unnested quantifiers, a global hasIndices pattern and lower-case keywords",
    (_id, rule) => {
      expect(quantifierProblems(rule.pattern.source)).toEqual([]);
      expect(rule.pattern.flags).toContain("g");
      expect(rule.pattern.flags).toContain("d");
      expect(rule.id).toMatch(/^secret\.[a-z0-9]+(?:-[a-z0-9]+)*$/);
      for (const keyword of rule.keywords) expect(keyword).toBe(keyword.toLowerCase());
    },
  );
});
