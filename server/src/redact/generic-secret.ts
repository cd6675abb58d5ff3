import { shannonEntropy } from "./entropy.js";

/*
 * The generic `password=` / `secret:` / `api_key=` assignment rule's judgement: whether a key
 * name says "credential", and whether the value looks like a literal secret rather than a
 * path, URL, number, version, digest or code reference.
 */

const SECRET_KEY_WORDS = new Set([
  "password",
  "passwd",
  "pwd",
  "pass",
  "passphrase",
  "secret",
  "token",
  "apikey",
  "secretkey",
  "accesskey",
  "privatekey",
  "authtoken",
  "accesstoken",
  "credential",
  "credentials",
]);
const SECRET_KEY_PAIRS = new Set([
  "api key",
  "access key",
  "private key",
  "secret key",
  "signing key",
  "encryption key",
  "master key",
  "client secret",
]);
/** Key names ending in these describe a secret rather than hold one (`token_url`, `secret_file`). */
const DESCRIPTIVE_SUFFIXES = new Set([
  "type",
  "name",
  "file",
  "path",
  "dir",
  "url",
  "uri",
  "endpoint",
  "id",
  "ids",
  "length",
  "len",
  "size",
  "count",
  "expiry",
  "expires",
  "expiration",
  "ttl",
  "timeout",
  "env",
  "var",
  "variable",
  "hint",
  "policy",
  "field",
  "header",
  "prefix",
  "suffix",
  "enabled",
  "required",
  "min",
  "max",
  "rotation",
  "version",
  "format",
  "mode",
  "source",
  "ref",
  "reference",
  "label",
  "description",
  "placeholder",
  "pattern",
  "regex",
  "algorithm",
  "alg",
  "kind",
  "provider",
  "store",
  "manager",
  "backend",
  "command",
  "cmd",
  "param",
  "color",
  "colour",
  "hash",
  "digest",
  "sha",
  "fingerprint",
]);
/** Key names that leave no doubt, under which UUID- and SHA-shaped values are still reported. */
const STRONG_KEY = /pass|pwd|secret|api_?key|private_?key|access_?key|access_?token|auth_?token/;

function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

const SECRET_KEY_HINT = /pass|pwd|secret|token|key|credential|auth|cred/i;

/** Whether an assignment's key name says its value is a credential. */
export function isSecretKeyName(key: string): boolean {
  // Every secret key word contains one of these; most keys (`level`, `path`) contain none.
  if (!SECRET_KEY_HINT.test(key)) return false;
  const words = keyWords(key);
  const last = words[words.length - 1];
  if (last === undefined || DESCRIPTIVE_SUFFIXES.has(last)) return false;
  return words.some(
    (word, i) =>
      SECRET_KEY_WORDS.has(word) || SECRET_KEY_PAIRS.has(`${word} ${words[i + 1] ?? ""}`),
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GIT_SHA = /^[0-9a-f]{40}$/i;

/**
 * The generic assignment rule's value checks. Values that are clearly not literal secrets are
 * skipped: paths, URLs (credentialed URLs are the connection-string rule's job), booleans,
 * numbers, versions, CSS colours, digests, code references and prose. UUIDs and 40-hex git SHAs
 * are identifiers far more often than secrets, so they count only under a strong key name
 * (`password`, `secret`, `api_key`, …), not under `token` or `key`.
 */
export function isGenericSecret(value: string, match: RegExpExecArray): boolean {
  const key = match.groups?.flag ?? match.groups?.key ?? "";
  if (!isSecretKeyName(key)) return false;
  if (value.length < 8 || /\s/.test(value)) return false;
  if (/^(?:\/|\.\.?\/|~\/|[A-Za-z]:\\|\\\\)/.test(value)) return false;
  if (/^[a-z][a-z0-9+.-]{1,20}:\/\//i.test(value)) return false;
  if (/^(?:true|false|yes|no|on|off|null|none|nil|undefined)$/i.test(value)) return false;
  if (/^[+-]?[0-9][0-9_.,]{0,199}$/.test(value)) return false;
  if (/^v?[0-9]{1,6}(?:\.[0-9]{1,6}){1,3}(?:[-+][0-9A-Za-z.-]{1,40})?$/.test(value)) return false;
  if (/^#[0-9a-f]{3,8}$/i.test(value)) return false;
  if (/^(?:sha(?:1|224|256|384|512)|md5):/i.test(value) || /^arn:/.test(value)) return false;
  const unquoted = match.groups?.secret3 !== undefined;
  if (
    unquoted &&
    (/[()[\]]/.test(value) || /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*){1,10}$/.test(value))
  ) {
    return false;
  }
  if ((UUID.test(value) || GIT_SHA.test(value)) && !STRONG_KEY.test(key.toLowerCase()))
    return false;
  return shannonEntropy(value) >= 3;
}
