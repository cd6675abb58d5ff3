/**
 * Generators of format-valid secret and personal-data values, following each vendor's published
 * shape (see server/src/redact/secret-rules.ts): checksummed cards, IBANs and SSNs, email
 * addresses, passwords, JWTs and PEM blocks. All values are random: none is a real credential.
 */
import { ALNUM, BASE64, BASE64URL, DIGITS, HEX, type Rng } from "./random.js";

/**
 * Symbols a password generator adds; no quote, `@`, `/`, `,`, `;`, `&` or `$`, which would end
 * or break the value. Not `.` or `_` as the only symbol either: `abc.def` unquoted reads as a
 * code reference (`module.member`), which the generic rule skips on purpose.
 */
const PASSWORD_SYMBOLS = "!%*+-~^";

function luhnComplete(partial: string): string {
  let sum = 0;
  // The check digit will be the rightmost, so doubling starts at partial's last digit.
  for (let i = partial.length - 1, double = true; i >= 0; i--, double = !double) {
    const d = Number(partial[i]);
    sum += double ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d;
  }
  return `${partial}${(10 - (sum % 10)) % 10}`;
}

/** A Luhn-valid card number of a common network (Visa, Mastercard, Amex, Discover). */
export function cardNumber(r: Rng): string {
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
export function printCard(digits: string, sep: string): string {
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
export function iban(r: Rng): string {
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

/** An IBAN bare, or in the printed groups of four when `spaced`. */
export function printIban(value: string, spaced: boolean): string {
  return spaced ? (value.match(/.{1,4}/g) ?? []).join(" ") : value;
}

/** An issuable SSN: area 001–899 but not 666, group 01–99, serial 0001–9999. */
export function ssn(r: Rng): [string, string, string] {
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

/** An address made of a common first and last name at a webmail or company domain. */
export function email(r: Rng): string {
  const [first, last] = [r.pick(FIRST), r.pick(LAST)];
  const local = r.pick([`${first}.${last}`, `${first[0]}${last}`, `${first}_${last}${r.int(99)}`]);
  return `${local}@${r.pick(DOMAINS)}`;
}

/** Random characters for a password, with a symbol so it reads as a password, not a word. */
export function password(r: Rng, length: number): string {
  const chars = r.chars(ALNUM, length - 1).split("");
  chars.splice(r.int(length), 0, r.pick([...PASSWORD_SYMBOLS]));
  return chars.join("");
}

function base64Url(json: object): string {
  return Buffer.from(JSON.stringify(json)).toString("base64url");
}

/** A JWT with a realistic header and claims and a random signature of its algorithm's length. */
export function jwt(r: Rng): string {
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
export function pem(r: Rng, kind: "private" | "public"): string {
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
