/**
 * Values that look like secrets or personal data but are not: UUIDs, git and image digests,
 * trace ids, versions, vendor placeholders, public keys and numbers failing their check digit.
 * No detector should report them.
 */
import type { Style } from "./formats.js";
import { HEX, type Rng } from "./random.js";
import { cardNumber, iban, pem, printCard, printIban, ssn } from "./secret-values.js";
import type { LookAlikeKind } from "./types.js";

/** A look-alike value and the variable name it is assigned to where a style needs one. */
export interface LookAlikeSample {
  kind: LookAlikeKind;
  name: string;
  value: string;
}

/** A random version 4 UUID. */
export function uuid(r: Rng): string {
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

/** A look-alike of a kind that fits `style` (no PEM block in a log line, checksums in prose and logs). */
export function lookAlike(r: Rng, style: Style): LookAlikeSample {
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
