/**
 * The Redact bench's corpus: LLM prompts, OpenAI-style chat transcripts, application logs,
 * `.env` files, YAML config and Python source, generated from a seed so every run (and every
 * other scanner pointed at the same files, such as gitleaks in issue #9) sees the same bytes.
 * Secrets and personal data of formats Vigil's detectors know are planted at recorded places,
 * next to look-alikes that must not be reported (UUIDs, digests, versions, vendor placeholders,
 * numbers with a wrong check digit). All values are random: none is a real credential.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What a corpus file holds; it decides the file's extension and how values are written. */
export type CorpusKind = "prompt" | "chat" | "log" | "env" | "yaml" | "source";

/** Values that look like secrets or personal data but are not, grouped by why. */
export type LookAlikeKind =
  | "uuid"
  | "git-sha"
  | "sha256"
  | "trace-id"
  | "version"
  | "placeholder"
  | "public-key"
  | "bad-checksum";

/** One generated file. `name` is a bare file name with an extension matching `kind`. */
export interface CorpusFile {
  name: string;
  kind: CorpusKind;
  text: string;
}

/** Where a value sits inside a JSON string value: RFC 6901 pointer and UTF-16 offsets in it. */
export interface JsonPlace {
  pointer: string;
  start: number;
  end: number;
}

/**
 * A planted value: the detector id Vigil should report it under, and its UTF-16 offsets in
 * the file's text (`end` exclusive), which is the span a detector should report. In a JSON file
 * `start`/`end` cover the value as escaped in the file and `json` locates it in the decoded
 * string, where `maskJson` reports it.
 */
export interface PlantedSecret {
  file: string;
  detector: string;
  start: number;
  end: number;
  json?: JsonPlace;
}

/** A look-alike that no detector should report, located like a {@link PlantedSecret}. */
export interface LookAlike {
  file: string;
  kind: LookAlikeKind;
  start: number;
  end: number;
  json?: JsonPlace;
}

/** A generated corpus and the answer key for it. */
export interface Corpus {
  files: CorpusFile[];
  planted: PlantedSecret[];
  lookAlikes: LookAlike[];
}

/** Options for {@link generateCorpus}. */
export interface CorpusOptions {
  /** Total size to generate, in UTF-8 bytes (files end at line boundaries). Default 4 MiB. */
  targetBytes?: number;
  /** PRNG seed; the same seed and size give the same corpus. Default `0x5eed`. */
  seed?: number;
}

/** Options for {@link generateFile}. */
export interface FileOptions {
  /** What the file holds. */
  kind: CorpusKind;
  /** Approximate size in UTF-8 bytes. */
  bytes: number;
  /** Default `0x5eed`. */
  seed?: number;
  /** Default `<kind>-000.<ext>`. */
  name?: string;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

const DIGITS = "0123456789";
const HEX = "0123456789abcdef";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM = `${DIGITS}${UPPER}abcdefghijklmnopqrstuvwxyz`;
const BASE32 = `${UPPER}234567`;
const BASE64 = `${ALNUM}+/`;
const BASE64URL = `${ALNUM}-_`;
/**
 * Symbols a password generator adds; no quote, `@`, `/`, `,`, `;`, `&` or `$`, which would end
 * or break the value. Not `.` or `_` as the only symbol either: `abc.def` unquoted reads as a
 * code reference (`module.member`), which the generic rule skips on purpose.
 */
const PASSWORD_SYMBOLS = "!%*+-~^";

/** mulberry32: tiny, fast and good enough to shuffle test data; never for anything secret. */
class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  between(low: number, high: number): number {
    return low + this.int(high - low + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new RangeError("pick from an empty list");
    return item;
  }
  chars(alphabet: string, n: number): string {
    let out = "";
    for (let i = 0; i < n; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Value formats, following each vendor's published shape (see server/src/redact/secret-rules.ts)

function luhnComplete(partial: string): string {
  let sum = 0;
  // The check digit will be the rightmost, so doubling starts at partial's last digit.
  for (let i = partial.length - 1, double = true; i >= 0; i--, double = !double) {
    const d = Number(partial[i]);
    sum += double ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d;
  }
  return `${partial}${(10 - (sum % 10)) % 10}`;
}

function cardNumber(r: Rng): string {
  const network = r.pick([
    { prefix: "4", length: 16 },
    { prefix: String(r.between(51, 55)), length: 16 },
    { prefix: String(r.between(2221, 2720)), length: 16 },
    { prefix: r.pick(["34", "37"]), length: 15 },
    { prefix: "6011", length: 16 },
  ]);
  return luhnComplete(network.prefix + r.chars(DIGITS, network.length - network.prefix.length - 1));
}

/** Groups a card as printed: 4-4-4-4, Amex 4-6-5, or bare. */
function printCard(digits: string, sep: string): string {
  if (sep === "") return digits;
  const cuts = digits.length === 15 ? [4, 10] : [4, 8, 12];
  return [0, ...cuts].map((at, i) => digits.slice(at, cuts[i] ?? digits.length)).join(sep);
}

function mod97(digits: string): number {
  let remainder = 0;
  for (const ch of digits) remainder = (remainder * 10 + Number(ch)) % 97;
  return remainder;
}

/** ISO 13616 check digits: 98 minus (BBAN + country + "00", letters as 10–35) mod 97. */
function ibanOf(country: string, bban: string): string {
  const numeric = [...`${bban}${country}00`]
    .map((ch) => (/[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch))
    .join("");
  return `${country}${String(98 - mod97(numeric)).padStart(2, "0")}${bban}`;
}

/** Spain's two control digits, over "00" + bank + branch and over the account. */
function spanishControl(digits: string): string {
  const weights = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
  const sum = [...digits].reduce((s, d, i) => s + Number(d) * (weights[i] ?? 0), 0);
  const c = 11 - (sum % 11);
  return String(c === 11 ? 0 : c === 10 ? 1 : c);
}

/** A valid IBAN whose BBAN also passes its national check (RIB key, elfproef, DC). */
function iban(r: Rng): string {
  switch (r.pick(["DE", "GB", "FR", "NL", "ES"])) {
    case "DE":
      return ibanOf("DE", r.chars(DIGITS, 18));
    case "GB":
      return ibanOf("GB", r.pick(["NWBK", "BARC", "LOYD", "HBUK", "MIDL"]) + r.chars(DIGITS, 14));
    case "FR": {
      const [bank, branch, account] = [r.chars(DIGITS, 5), r.chars(DIGITS, 5), r.chars(DIGITS, 11)];
      const rest = (89 * Number(bank) + 15 * Number(branch) + 3 * Number(account)) % 97;
      return ibanOf("FR", `${bank}${branch}${account}${String(97 - rest).padStart(2, "0")}`);
    }
    case "NL": {
      let account = r.chars(DIGITS, 10);
      const elfproef = (a: string) => [...a].reduce((s, d, i) => s + Number(d) * (10 - i), 0);
      while (elfproef(account) % 11 !== 0) account = r.chars(DIGITS, 10);
      return ibanOf("NL", r.pick(["ABNA", "INGB", "RABO", "TRIO"]) + account);
    }
    default: {
      const [bank, branch, account] = [r.chars(DIGITS, 4), r.chars(DIGITS, 4), r.chars(DIGITS, 10)];
      const dc = spanishControl(`00${bank}${branch}`) + spanishControl(account);
      return ibanOf("ES", `${bank}${branch}${dc}${account}`);
    }
  }
}

function printIban(value: string, spaced: boolean): string {
  return spaced ? (value.match(/.{1,4}/g) ?? []).join(" ") : value;
}

/** An issuable SSN: area 001–899 but not 666, group 01–99, serial 0001–9999. */
function ssn(r: Rng): [string, string, string] {
  const area = r.between(1, 898);
  return [
    String(area === 666 ? 667 : area).padStart(3, "0"),
    String(r.between(1, 99)).padStart(2, "0"),
    String(r.between(1, 9999)).padStart(4, "0"),
  ];
}

const FIRST = ["jane", "omar", "li", "priya", "lukas", "amelia", "kenji", "fatima", "josé", "zoë"];
const LAST = ["doe", "haddad", "wei", "sharma", "becker", "okafor", "tanaka", "nowak", "garcía"];
const DOMAINS = [
  "gmail.com",
  "outlook.com",
  "proton.me",
  "fastmail.fm",
  "acme-corp.io",
  "globex.de",
];

function email(r: Rng): string {
  const [first, last] = [r.pick(FIRST), r.pick(LAST)];
  const local = r.pick([`${first}.${last}`, `${first[0]}${last}`, `${first}_${last}${r.int(99)}`]);
  return `${local}@${r.pick(DOMAINS)}`;
}

/** Random characters for a password, with a symbol so it reads as a password, not a word. */
function password(r: Rng, length: number): string {
  const chars = r.chars(ALNUM, length - 1).split("");
  chars.splice(r.int(length), 0, r.pick([...PASSWORD_SYMBOLS]));
  return chars.join("");
}

function base64Url(json: object): string {
  return Buffer.from(JSON.stringify(json)).toString("base64url");
}

function jwt(r: Rng): string {
  const alg = r.pick(["HS256", "RS256", "ES256"]);
  const header = alg === "RS256" ? { alg, typ: "JWT", kid: r.chars(HEX, 16) } : { alg, typ: "JWT" };
  const iat = 1_741_900_000 + r.int(5_000_000);
  const payload = {
    sub: `user_${r.int(1_000_000)}`,
    iss: "https://auth.acme-corp.io/",
    aud: r.pick(["orders-api", "billing", "dashboard"]),
    iat,
    exp: iat + 3600,
  };
  const signature = r.chars(BASE64URL, { HS256: 43, RS256: 342, ES256: 86 }[alg] ?? 43);
  return `${base64Url(header)}.${base64Url(payload)}.${signature}`;
}

/** A PEM block with a DER-looking body of the usual size for its key type. */
function pem(r: Rng, kind: "private" | "public"): string {
  const variant = r.pick(
    kind === "private"
      ? [
          { label: "RSA PRIVATE KEY", prefix: "MIIEowIBAAKCAQEA", chars: 1588, width: 64 },
          {
            label: "PRIVATE KEY",
            prefix: "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
            chars: 1624,
            width: 64,
          },
          { label: "EC PRIVATE KEY", prefix: "MHcCAQEEI", chars: 164, width: 64 },
          {
            label: "OPENSSH PRIVATE KEY",
            prefix: "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
            chars: 387,
            width: 70,
          },
        ]
      : [
          {
            label: "PUBLIC KEY",
            prefix: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
            chars: 392,
            width: 64,
          },
          { label: "CERTIFICATE", prefix: "MIIDdzCCAl+gAwIBAgIE", chars: 1200, width: 64 },
        ],
  );
  const body = `${variant.prefix}${r.chars(BASE64, variant.chars - variant.prefix.length - 1)}=`;
  const lines = body.match(new RegExp(`.{1,${variant.width}}`, "g")) ?? [];
  return `-----BEGIN ${variant.label}-----\n${lines.join("\n")}\n-----END ${variant.label}-----`;
}

// ---------------------------------------------------------------------------------------------
// Formats to plant, and look-alikes

/** How a value is written: in prose, or as a line of one kind of file. */
type Style = "prose" | "env" | "yaml" | "source" | "log";

/** Text around a value, and the value itself as `{ secret }` (only that part is reported). */
type Piece = string | { secret: string };

interface Format {
  detector: string;
  /** Variable names such a value is assigned to. */
  names: readonly string[];
  /** Styles it is planted in. Default all. */
  styles?: readonly Style[];
  /** Only recognisable next to its name: prose writes it as an assignment. */
  needsName?: boolean;
  /** The log line's message with `%` where the value goes; default `loaded <name>=%`. */
  logLine?: string;
  sample(r: Rng): Piece[];
}

const PROSE_AND_LOGS: readonly Style[] = ["prose", "log"];

/** Every planted format, by the id `server/src/redact/secret-rules.ts` and `pii-detector.ts` use. */
const FORMATS: readonly Format[] = [
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

interface LookAlikeSample {
  kind: LookAlikeKind;
  name: string;
  value: string;
}

function uuid(r: Rng): string {
  const hex = r.chars(HEX, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${r.pick([..."89ab"])}${hex.slice(17, 20)}-${hex.slice(20)}`;
}

function version(r: Rng): string {
  const v = `${r.int(4)}.${r.int(30)}.${r.int(20)}`;
  return `${r.chance(0.3) ? "v" : ""}${v}${r.pick(["", "", "-rc.1", "+build.42", "-beta.3"])}`;
}

const PLACEHOLDERS: readonly [string, string][] = [
  ["AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"],
  ["AWS_ACCESS_KEY_ID", "AKIAI44QH8DHBEXAMPLE"],
  ["AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
  ["GITHUB_TOKEN", `ghp_${"x".repeat(36)}`],
  ["STRIPE_SECRET_KEY", `sk_live_${"X".repeat(24)}`],
  ["ANTHROPIC_API_KEY", `sk-ant-api03-${"x".repeat(93)}AA`],
  ["NPM_TOKEN", `npm_${"0".repeat(36)}`],
  ["OPENAI_API_KEY", "<your-openai-api-key>"],
  ["DB_PASSWORD", "changeme"],
  // A shell/compose variable reference, written literally: not a template placeholder here.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal `${…}` is the look-alike
  ["DB_PASSWORD", "${DB_PASSWORD}"],
  ["JWT_SECRET", "your-256-bit-secret"],
  ["DATABASE_URL", "postgres://postgres:postgres@localhost:5432/app"],
  [
    "AUTH_TOKEN",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
  ],
];

/** A card, IBAN or SSN shaped right but failing its check, or an SSN from an unissued range. */
function badChecksum(r: Rng): LookAlikeSample {
  switch (r.int(3)) {
    case 0: {
      const good = cardNumber(r);
      const bad = `${good.slice(0, -1)}${(Number(good.slice(-1)) + 1) % 10}`;
      return { kind: "bad-checksum", name: "ORDER_REF", value: printCard(bad, r.pick([" ", ""])) };
    }
    case 1: {
      const good = iban(r);
      const check = Number(good.slice(2, 4));
      const bad = `${good.slice(0, 2)}${String(check === 98 ? 97 : check + 1).padStart(2, "0")}${good.slice(4)}`;
      return { kind: "bad-checksum", name: "REJECTED_IBAN", value: printIban(bad, r.chance(0.5)) };
    }
    default: {
      const [, group, serial] = ssn(r);
      const area = r.pick(["666", "000", String(r.between(900, 999)), "078"]);
      const value = area === "078" ? "078-05-1120" : `${area}-${group}-${serial}`;
      return { kind: "bad-checksum", name: "TEST_SSN", value };
    }
  }
}

function lookAlike(r: Rng, style: Style): LookAlikeSample {
  const kinds: LookAlikeKind[] = [
    "uuid",
    "git-sha",
    "sha256",
    "trace-id",
    "version",
    "placeholder",
  ];
  if (style !== "log") kinds.push("public-key");
  if (style === "prose" || style === "log") kinds.push("bad-checksum", "bad-checksum");
  switch (r.pick(kinds)) {
    case "uuid":
      return {
        kind: "uuid",
        name: r.pick(["REQUEST_ID", "BUILD_ID", "tenant_id"]),
        value: uuid(r),
      };
    case "git-sha":
      return {
        kind: "git-sha",
        name: r.pick(["GIT_SHA", "SOURCE_COMMIT"]),
        value: r.chars(HEX, 40),
      };
    case "sha256":
      return {
        kind: "sha256",
        name: r.pick(["IMAGE_DIGEST", "ARTIFACT_SHA256"]),
        value: r.chars(HEX, 64),
      };
    case "trace-id":
      return {
        kind: "trace-id",
        name: r.pick(["trace_id", "OTEL_TRACE_ID"]),
        value: r.chars(HEX, 32),
      };
    case "version":
      return {
        kind: "version",
        name: r.pick(["APP_VERSION", "SDK_VERSION", "SECRET_VERSION"]),
        value: version(r),
      };
    case "placeholder": {
      const [name, value] = r.pick(PLACEHOLDERS);
      return { kind: "placeholder", name, value };
    }
    case "public-key":
      return {
        kind: "public-key",
        name: r.pick(["JWT_PUBLIC_KEY", "CA_CERT"]),
        value: pem(r, "public"),
      };
    default:
      return badChecksum(r);
  }
}

// ---------------------------------------------------------------------------------------------
// Building text with marks

interface Mark {
  role: "secret" | "look-alike";
  label: string;
  start: number;
  end: number;
  json?: JsonPlace;
}

/** Accumulates text and remembers where planted values and look-alikes went. */
class TextBuilder {
  readonly marks: Mark[] = [];
  private readonly parts: string[] = [];
  length = 0;

  add(text: string): void {
    this.parts.push(text);
    this.length += text.length;
  }

  mark(role: Mark["role"], label: string, text: string): void {
    const start = this.length;
    this.add(text);
    this.marks.push({ role, label, start, end: this.length });
  }

  /** Writes pieces, each transformed (indented, escaped) first; `{ secret }` ones are marked. */
  pieces(detector: string, pieces: readonly Piece[], transform = (s: string) => s): void {
    for (const piece of pieces) {
      if (typeof piece === "string") this.add(transform(piece));
      else this.mark("secret", detector, transform(piece.secret));
    }
  }

  /** Appends `content` as a JSON string literal, moving its marks to escaped file offsets. */
  jsonString(content: TextBuilder, pointer: string): void {
    const text = content.text();
    const escaped = (s: string) => JSON.stringify(s).length - 2;
    const base = this.length + 1;
    this.add(JSON.stringify(text));
    for (const m of content.marks) {
      const start = base + escaped(text.slice(0, m.start));
      const end = start + escaped(text.slice(m.start, m.end));
      this.marks.push({ ...m, start, end, json: { pointer, start: m.start, end: m.end } });
    }
  }

  text(): string {
    return this.parts.join("");
  }
}

// ---------------------------------------------------------------------------------------------
// Filler: what surrounds the values in each kind of file

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
const ANSWERS = [
  "The most likely cause is that the connection pool is exhausted before the retry fires.",
  "Check whether the readiness probe runs before the migrations have finished.",
  "You can confirm this by lowering the batch size and watching the queue depth.",
  "I would start by comparing the resolved configuration between staging and production.",
  "Rotate any credential that appeared in this conversation, then redeploy.",
  "The error message suggests the upstream closed the connection, not a timeout on our side.",
];

function proseSentence(r: Rng): string {
  if (r.chance(0.4)) return `${r.pick(REMARKS)} `;
  return `${r.pick(OPENERS)} ${r.pick(SUBJECTS)} ${r.pick(PROBLEMS)}? `;
}

const SERVICES = ["orders-api", "billing-worker", "auth-gateway", "search-indexer", "notifier"];
const LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];

/** Per-file state for log lines: the clock only moves forward. */
interface LogClock {
  ms: number;
}

function logPrefix(r: Rng, clock: LogClock, level = r.pick(LEVELS)): string {
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

function logFiller(r: Rng, clock: LogClock): string {
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

function envFiller(r: Rng): string {
  return `${r.pick(ENV_LINES)}\n`;
}

function yamlFiller(r: Rng): string {
  const [key, value] = r.pick(ENV_LINES).split("=");
  return key?.startsWith("#")
    ? `  ${key}\n`
    : `  ${key}: ${value?.includes(",") ? `"${value}"` : value}\n`;
}

function yamlDocument(r: Rng): string {
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

function sourceFiller(r: Rng): string {
  if (r.chance(0.15)) {
    return `\n\ndef handle_${r.pick(["order", "refund", "signup", "export"])}_${r.int(1000)}(event, context):\n    """Process one event from the queue."""\n`;
  }
  return `${r.pick(SOURCE_LINES)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Writing a value in a style

const PROSE_SECRET = [
  "I'm getting 401 errors with this key: % and I don't know whether it was revoked. ",
  "Here is the token from the CI settings, `%`, can you tell me which scopes it has? ",
  "Use % for the staging account until the new one is issued. ",
  "The old value was % but rotating it did not help. ",
];
const PROSE_PII: Record<string, readonly string[]> = {
  "pii.email": ["You can reach me at %. ", "Please cc % on the ticket. "],
  "pii.card": [
    "My card number is %, expiring 09/27. ",
    "The customer was charged twice on card % yesterday. ",
  ],
  "pii.iban": [
    "Please wire the refund to IBAN %. ",
    "Our supplier's account is % at their bank in Frankfurt. ",
  ],
  "pii.ssn": ["Her SSN is % according to the form. ", "SSN on file: %. "],
};
const PROSE_LOOK_ALIKE: Record<LookAlikeKind, string> = {
  uuid: "The failing request id is %. ",
  "git-sha": "It started with commit % on main. ",
  sha256: "The image digest is sha256:% in the registry. ",
  "trace-id": "Trace % shows the slow span. ",
  version: "We are on version % of the SDK. ",
  placeholder: "The README uses % as the example value, which obviously does not work. ",
  "public-key": "This is the public key they sent us:\n\n```\n%\n```\n\n",
  "bad-checksum": "The bank rejected reference % as invalid. ",
};

function around(template: string): [string, string] {
  const [before = "", after = ""] = template.split("%");
  return [before, after];
}

function plantSecret(b: TextBuilder, r: Rng, style: Style, clock: LogClock, f: Format): void {
  const name = r.pick(f.names);
  const pieces = f.sample(r);
  const multiline = f.detector === "secret.private-key";
  switch (style) {
    case "env":
      if (multiline) {
        // The common single-line form (Vercel, Heroku, GitHub Actions): newlines as `\n`.
        b.add(`${name}="`);
        b.pieces(f.detector, pieces, (s) => s.replaceAll("\n", "\\n"));
        b.add('"\n');
      } else {
        b.add(`${name}=`);
        b.pieces(f.detector, pieces);
        b.add("\n");
      }
      return;
    case "yaml":
      if (multiline) {
        b.add(`  ${name}: |\n    `);
        b.pieces(f.detector, pieces, (s) => s.replaceAll("\n", "\n    "));
        b.add("\n");
      } else {
        const quote = f.needsName ? '"' : "";
        b.add(`  ${name}: ${quote}`);
        b.pieces(f.detector, pieces);
        b.add(`${quote}\n`);
      }
      return;
    case "source":
      if (multiline) {
        b.add(`${name} = """`);
        b.pieces(f.detector, pieces);
        b.add('"""\n');
      } else if (r.chance(0.3) && !name.endsWith("URL")) {
        b.add(`    client = Client(${name.toLowerCase()}="`);
        b.pieces(f.detector, pieces);
        b.add('")\n');
      } else {
        b.add(`${name} = "`);
        b.pieces(f.detector, pieces);
        b.add('"\n');
      }
      return;
    case "log": {
      const [before, after] = around(f.logLine ?? `loaded ${name.toLowerCase()}=%`);
      b.add(`${logPrefix(r, clock, "DEBUG")} ${before}`);
      b.pieces(f.detector, pieces);
      b.add(`${after}\n`);
      return;
    }
    case "prose": {
      if (multiline) {
        b.add("Here is the key we sign with:\n\n```\n");
        b.pieces(f.detector, pieces);
        b.add("\n```\n\n");
        return;
      }
      const template = f.needsName
        ? `My .env has \`${name}=%\` and it still fails. `
        : f.detector === "secret.connection-string-password"
          ? "The app connects with % and then times out. "
          : r.pick(PROSE_PII[f.detector] ?? PROSE_SECRET);
      const [before, after] = around(template);
      b.add(before);
      b.pieces(f.detector, pieces);
      b.add(after);
      return;
    }
  }
}

function plantLookAlike(b: TextBuilder, r: Rng, style: Style, clock: LogClock): void {
  const sample = lookAlike(r, style);
  const { kind, name, value } = sample;
  const digest = kind === "sha256" ? "sha256:" : "";
  switch (style) {
    case "env":
      if (kind === "public-key") {
        b.add(`${name}="`);
        b.mark("look-alike", kind, value.replaceAll("\n", "\\n"));
        b.add('"\n');
      } else {
        b.add(`${name}=${digest}`);
        b.mark("look-alike", kind, value);
        b.add("\n");
      }
      return;
    case "yaml":
      if (kind === "public-key") {
        b.add(`  ${name}: |\n    `);
        b.mark("look-alike", kind, value.replaceAll("\n", "\n    "));
        b.add("\n");
      } else {
        // Quoted: `{{ … }}`, `${…}` and `<…>` placeholders are not plain YAML scalars.
        b.add(`  ${name}: "${digest}`);
        b.mark("look-alike", kind, value);
        b.add('"\n');
      }
      return;
    case "source":
      b.add(kind === "public-key" ? `${name} = """` : `${name} = "${digest}`);
      b.mark("look-alike", kind, value);
      b.add(kind === "public-key" ? '"""\n' : '"\n');
      return;
    case "log":
      b.add(`${logPrefix(r, clock)} ${name.toLowerCase()}=${digest}`);
      b.mark("look-alike", kind, value);
      b.add("\n");
      return;
    case "prose": {
      const [before, after] = around(PROSE_LOOK_ALIKE[kind]);
      b.add(before);
      b.mark("look-alike", kind, value);
      b.add(after);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Files

const EXTENSIONS: Record<CorpusKind, string> = {
  prompt: "txt",
  chat: "json",
  log: "log",
  env: "env",
  yaml: "yaml",
  source: "py",
};

/** Share of the corpus's bytes and the range of file sizes, per kind. */
const SHAPES: Record<CorpusKind, { share: number; min: number; max: number }> = {
  prompt: { share: 0.2, min: 2 * 1024, max: 48 * 1024 },
  chat: { share: 0.25, min: 8 * 1024, max: 128 * 1024 },
  log: { share: 0.3, min: 32 * 1024, max: 384 * 1024 },
  env: { share: 0.05, min: 1024, max: 6 * 1024 },
  yaml: { share: 0.1, min: 4 * 1024, max: 48 * 1024 },
  source: { share: 0.1, min: 4 * 1024, max: 64 * 1024 },
};

/** Chance per filler unit (a line or sentence) of a planted value and of a look-alike. */
const DENSITY: Record<Style, { secret: number; lookAlike: number }> = {
  prose: { secret: 0.06, lookAlike: 0.04 },
  log: { secret: 0.015, lookAlike: 0.02 },
  env: { secret: 0.15, lookAlike: 0.1 },
  yaml: { secret: 0.08, lookAlike: 0.06 },
  source: { secret: 0.04, lookAlike: 0.03 },
};

function formatsFor(style: Style): Format[] {
  return FORMATS.filter((f) => f.styles === undefined || f.styles.includes(style));
}

/** One unit of a style: filler, or (by {@link DENSITY}) a planted value or a look-alike. */
function unit(b: TextBuilder, r: Rng, style: Style, clock: LogClock): void {
  const roll = r.next();
  const density = DENSITY[style];
  if (roll < density.secret) plantSecret(b, r, style, clock, r.pick(formatsFor(style)));
  else if (roll < density.secret + density.lookAlike) plantLookAlike(b, r, style, clock);
  else if (style === "prose") b.add(proseSentence(r));
  else if (style === "log") b.add(logFiller(r, clock));
  else if (style === "env") b.add(envFiller(r));
  else if (style === "yaml") b.add(yamlFiller(r));
  else b.add(sourceFiller(r));
}

/** A user's message: prose, with now and then a pasted snippet of a log, `.env` or code. */
function promptText(b: TextBuilder, r: Rng, clock: LogClock, chars: number): void {
  const end = b.length + chars;
  while (b.length < end) {
    if (r.chance(0.12)) {
      const style = r.pick<Style>(["log", "env", "source"]);
      b.add("\n\n```\n");
      for (let i = r.between(3, 10); i > 0; i--) unit(b, r, style, clock);
      b.add("```\n\n");
    } else {
      unit(b, r, "prose", clock);
    }
  }
}

function chatFile(b: TextBuilder, r: Rng, clock: LogClock, chars: number): void {
  const idValue = new TextBuilder();
  idValue.mark("look-alike", "uuid", uuid(r));
  b.add(`{\n  "id": "chatcmpl-${r.chars(ALNUM, 29)}",\n  "model": "gpt-4o-2024-08-06",\n`);
  b.add(
    `  "created": ${Math.floor(clock.ms / 1000)},\n  "temperature": 0.2,\n  "metadata": {\n    "request_id": `,
  );
  b.jsonString(idValue, "/metadata/request_id");
  b.add('\n  },\n  "messages": [\n');
  for (let i = 0; b.length < chars || i < 2; i++) {
    const role = i === 0 ? "system" : r.pick(["user", "user", "assistant", "tool"]);
    const content = new TextBuilder();
    if (role === "system") content.add("You are a helpful SRE assistant. Answer precisely.");
    else if (role === "user") promptText(content, r, clock, r.between(300, 4000));
    else if (role === "assistant") {
      for (let n = r.between(2, 8); n > 0; n--) content.add(`${r.pick(ANSWERS)} `);
    } else {
      for (let n = r.between(10, 60); n > 0; n--) unit(content, r, "log", clock);
    }
    const toolCall =
      role === "tool"
        ? `      "tool_call_id": "call_${r.chars(ALNUM, 24)}",\n      "name": "fetch_logs",\n`
        : "";
    b.add(`${i > 0 ? ",\n" : ""}    {\n      "role": "${role}",\n${toolCall}      "content": `);
    b.jsonString(content, `/messages/${i}/content`);
    b.add("\n    }");
  }
  b.add('\n  ],\n  "usage": { "prompt_tokens": 1834, "completion_tokens": 412 }\n}\n');
}

function buildFile(kind: CorpusKind, r: Rng, chars: number): TextBuilder {
  const b = new TextBuilder();
  const clock: LogClock = { ms: Date.UTC(2025, 2, 14, 9, 0, 0) + r.int(86_400_000) };
  switch (kind) {
    case "prompt":
      promptText(b, r, clock, chars);
      b.add("\n");
      break;
    case "chat":
      chatFile(b, r, clock, chars);
      break;
    case "yaml":
      while (b.length < chars) {
        b.add(yamlDocument(r));
        for (let i = r.between(8, 30); i > 0; i--) unit(b, r, "yaml", clock);
      }
      break;
    case "source":
      b.add('"""Event handlers for the orders service."""\nimport json\nimport os\n');
      while (b.length < chars) unit(b, r, "source", clock);
      break;
    default:
      while (b.length < chars) unit(b, r, kind, clock);
  }
  return b;
}

function toCorpus(name: string, kind: CorpusKind, b: TextBuilder): Corpus {
  const planted: PlantedSecret[] = [];
  const lookAlikes: LookAlike[] = [];
  for (const m of b.marks) {
    const place = { file: name, start: m.start, end: m.end, ...(m.json ? { json: m.json } : {}) };
    if (m.role === "secret") planted.push({ ...place, detector: m.label });
    else lookAlikes.push({ ...place, kind: m.label as LookAlikeKind });
  }
  return { files: [{ name, kind, text: b.text() }], planted, lookAlikes };
}

/** Generates one file of `kind`, about `bytes` long, with its planted values and look-alikes. */
export function generateFile(options: FileOptions): Corpus {
  const r = new Rng(options.seed ?? 0x5eed);
  const name = options.name ?? `${options.kind}-000.${EXTENSIONS[options.kind]}`;
  return toCorpus(name, options.kind, buildFile(options.kind, r, options.bytes));
}

/**
 * Generates the whole corpus: every kind gets its share of `targetBytes` (logs and chat
 * transcripts most), split into files of the sizes such files usually have.
 */
export function generateCorpus(options: CorpusOptions = {}): Corpus {
  const r = new Rng(options.seed ?? 0x5eed);
  const target = options.targetBytes ?? 4 * 1024 * 1024;
  const corpus: Corpus = { files: [], planted: [], lookAlikes: [] };
  for (const [kind, shape] of Object.entries(SHAPES) as [
    CorpusKind,
    (typeof SHAPES)[CorpusKind],
  ][]) {
    let remaining = Math.round(target * shape.share);
    while (remaining > 0) {
      const size = Math.min(remaining, r.between(shape.min, shape.max));
      const name = `${kind}-${String(corpus.files.length).padStart(3, "0")}.${EXTENSIONS[kind]}`;
      const one = toCorpus(name, kind, buildFile(kind, r, size));
      const file = one.files[0];
      if (file === undefined) break;
      remaining -= Buffer.byteLength(file.text, "utf8");
      corpus.files.push(file);
      corpus.planted.push(...one.planted);
      corpus.lookAlikes.push(...one.lookAlikes);
    }
  }
  return corpus;
}

/**
 * A prompt of about `bytes` UTF-8 bytes of prose holding exactly two secrets: a GitHub token a
 * third of the way in and a Postgres password two thirds in.
 */
export function promptWithTwoSecrets(bytes = 2048, seed = 0x5eed): Corpus {
  const r = new Rng(seed);
  const b = new TextBuilder();
  const clock: LogClock = { ms: 0 };
  const secrets = ["secret.github-pat", "secret.connection-string-password"];
  for (const [i, id] of secrets.entries()) {
    while (b.length < ((i + 1) * bytes) / 3) b.add(proseSentence(r));
    const format = FORMATS.find((f) => f.detector === id);
    if (format) plantSecret(b, r, "prose", clock, format);
  }
  // Stop within a short sentence of the target: whole sentences, about `bytes` in all.
  while (b.length < bytes - 60) b.add(proseSentence(r));
  return toCorpus("prompt-2k.txt", "prompt", b);
}

/**
 * Writes every file of `corpus` into `dir` (created if missing), plus `manifest.json` with the
 * planted values' and look-alikes' locations, never their values, so a scanner run over the
 * directory finds nothing in it.
 */
export async function writeCorpus(corpus: Corpus, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(corpus.files.map((f) => writeFile(join(dir, f.name), f.text, "utf8")));
  const manifest = { planted: corpus.planted, lookAlikes: corpus.lookAlikes };
  await writeFile(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 1)}\n`, "utf8");
}
