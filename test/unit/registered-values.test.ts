import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../server/src/errors.js";
import { createAhoCorasick } from "../../server/src/redact/aho-corasick.js";
import {
  createRegisteredValuesDetector,
  type RegisteredValue,
} from "../../server/src/redact/registered-values.js";
import { encodeValue, stableBase64 } from "../../server/src/redact/value-encodings.js";

const SECRET = "sk_live_9fQ2xT7vLmP4";
const b64 = (text: string) => Buffer.from(text).toString("base64");
const b64url = (text: string) => Buffer.from(text).toString("base64url");

/** The substrings a detector for `values` reports in `text`, in order. */
function found(values: (string | RegisteredValue)[], text: string): string[] {
  const detector = createRegisteredValuesDetector({
    values: values.map((v, i) => (typeof v === "string" ? { name: `secret-${i}`, value: v } : v)),
  });
  return detector
    .detect(text)
    .sort((a, b) => a.start - b.start || b.end - a.end)
    .map((match) => text.slice(match.start, match.end));
}

describe("createAhoCorasick", () => {
  const occurrences = (patterns: string[], text: string, ignoreAsciiCase = false) => {
    const hits: string[] = [];
    createAhoCorasick({ patterns, ignoreAsciiCase }).search(text, (index, end) => {
      hits.push(`${patterns[index]}@${end - (patterns[index]?.length ?? 0)}`);
    });
    return hits.sort();
  };

  it("finds every overlapping occurrence of the classic he/she/his/hers set", () => {
    expect(occurrences(["he", "she", "his", "hers"], "ushers")).toEqual([
      "he@2",
      "hers@2",
      "she@1",
    ]);
  });

  it("agrees with a naive search on random text over a small alphabet", () => {
    const random = (n: number) =>
      Array.from({ length: n }, () => "abc"[Math.floor(Math.random() * 3)]).join("");
    for (let round = 0; round < 50; round++) {
      const patterns = [...new Set(Array.from({ length: 8 }, () => random(1 + (round % 5))))];
      const text = random(200);
      const naive: string[] = [];
      for (const pattern of patterns) {
        for (let i = text.indexOf(pattern); i >= 0; i = text.indexOf(pattern, i + 1)) {
          naive.push(`${pattern}@${i}`);
        }
      }
      expect(occurrences(patterns, text)).toEqual(naive.sort());
    }
  });

  it("folds only ASCII letters when asked to ignore case", () => {
    expect(occurrences(["deadbeef"], "xDeAdBeEf deadbeef", true)).toEqual([
      "deadbeef@1",
      "deadbeef@10",
    ]);
    expect(occurrences(["deadbeef"], "DEADBEEF")).toEqual([]);
  });
});

describe("stableBase64", () => {
  it("is a substring of the blob's encoding whatever the neighbouring bytes are", () => {
    for (let round = 0; round < 200; round++) {
      const value = randomBytes(8 + (round % 7));
      for (const offset of [0, 1, 2] as const) {
        const blob = Buffer.concat([
          randomBytes(3 * (round % 4) + offset),
          value,
          randomBytes(round % 5),
        ]);
        expect(blob.toString("base64")).toContain(stableBase64(value, offset));
      }
    }
  });

  it("lists each encoding of a value once", () => {
    const forms = encodeValue('a b"c/é+d');
    const keys = forms.map((form) => `${form.encoding}:${form.text}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(forms.map((form) => form.encoding)).toContain("json-ascii");
  });
});

describe("registered values detector", () => {
  it("finds a value mid-sentence and reports only its span", () => {
    const text = `the key is ${SECRET}, keep it safe`;
    const [match, ...rest] = createRegisteredValuesDetector({
      values: [{ name: "stripe", value: SECRET }],
    }).detect(text);
    expect(rest).toEqual([]);
    expect(match).toEqual({
      start: 11,
      end: 11 + SECRET.length,
      detector: "registered",
      version: 1,
      category: "registered",
    });
  });

  it("reports the detector's id", () => {
    expect(createRegisteredValuesDetector({ values: [] }).ids).toEqual(["registered"]);
  });

  it.each([
    ["no", ""],
    ["one", "x"],
    ["two", "xy"],
  ])(
    "finds a value base64-encoded after %s byte(s) of other data, as the whole blob",
    (_, prefix) => {
      const blob = b64(`${prefix}${SECRET}y`);
      expect(found([SECRET], `payload: ${blob} (end)`)).toEqual([blob]);
    },
  );

  it("finds a value at any alignment inside a basic-auth header", () => {
    for (const user of ["al", "ali", "alice"]) {
      const token = b64(`${user}:${SECRET}`);
      expect(found([SECRET], `GET / HTTP/1.1\r\nAuthorization: Basic ${token}\r\n`)).toEqual([
        token,
      ]);
    }
  });

  it("finds a value base64url-encoded in a JWT payload, as the whole segment", () => {
    const value = "k>>>?? with url-unsafe base64 ~~~";
    const payload = b64url(JSON.stringify({ sub: "svc", key: value }));
    expect(payload).toMatch(/[-_]/);
    const jwt = `${b64url('{"alg":"HS256"}')}.${payload}.${b64url("signature-bytes")}`;
    expect(found([value], `Bearer ${jwt}`)).toEqual([payload]);
  });

  it("finds a value percent-encoded in a query string and form-encoded in a body", () => {
    const value = "p@ss word/with&chars=1";
    const encoded = encodeURIComponent(value);
    expect(found([value], `GET /cb?token=${encoded}&next=1`)).toEqual([encoded]);
    const form = encoded.replaceAll("%20", "+");
    expect(found([value], `user=bob&password=${form}&remember=1`)).toEqual([form]);
  });

  it("finds a value with quotes, backslashes, newlines and non-ASCII inside a JSON document", () => {
    const value = 'line1\n"quoted" \\ back é';
    const escaped = JSON.stringify(value).slice(1, -1);
    expect(found([value], JSON.stringify({ config: { password: value } }))).toEqual([escaped]);
    const asciiOnly = escaped.replace("é", "\\u00e9");
    expect(found([value], `{"password": "${asciiOnly}"}`)).toEqual([asciiOnly]);
  });

  it("finds a value hex-encoded in lower or upper case", () => {
    const hex = Buffer.from(SECRET).toString("hex");
    expect(found([SECRET], `dump ${hex} end`)).toEqual([hex]);
    expect(found([SECRET], `DUMP ${hex.toUpperCase()} END`)).toEqual([hex.toUpperCase()]);
  });

  describe("a structured credential", () => {
    const privateKey =
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n";
    const keyFile = JSON.stringify(
      {
        type: "service_account",
        project_id: "vigil-test-project",
        private_key_id: "0123456789abcdef0123456789abcdef01234567",
        private_key: privateKey,
        client_email: "deployer@vigil-test-project.iam.gserviceaccount.com",
        client_id: "123456789012345678901",
        token_uri: "https://oauth2.googleapis.com/token",
        universe_domain: "googleapis.com",
      },
      null,
      2,
    );
    const values = [{ name: "gcp-deployer", value: keyFile }];

    it("is found field by field when the whole file is not present", () => {
      const escaped = JSON.stringify(privateKey).slice(1, -1);
      const line = `level=error msg="bad key" private_key="${escaped}" id=0123456789abcdef0123456789abcdef01234567`;
      expect(found(values, line)).toEqual([escaped, "0123456789abcdef0123456789abcdef01234567"]);
      // The project id is a field too, so it is reported again inside the e-mail address.
      const email = "deployer@vigil-test-project.iam.gserviceaccount.com";
      expect(found(values, `impersonating ${email}`)).toEqual([email, "vigil-test-project"]);
    });

    it("is found as a whole, with its fields inside", () => {
      const matches = found(values, `uploaded: ${keyFile}`);
      expect(matches[0]).toBe(keyFile);
    });

    it("leaves alone the public constants every key file shares", () => {
      expect(
        found(values, "POST https://oauth2.googleapis.com/token for a service_account"),
      ).toEqual([]);
    });
  });

  it("refuses a short value without putting it in the message", () => {
    const register = () =>
      createRegisteredValuesDetector({
        values: [
          { name: "ok", value: SECRET },
          { name: "pin", value: "4711x" },
        ],
      });
    expect(register).toThrow(InvalidInputError);
    expect(register).toThrow(
      "secrets[1].value: is shorter than 8 characters; registering it would mask every occurrence of a short string",
    );
    try {
      register();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain("4711x");
      expect((error as InvalidInputError).field).toBe("secrets[1].value");
    }
  });

  it("honours a custom minimum length", () => {
    expect(() =>
      createRegisteredValuesDetector({ values: [{ name: "n", value: SECRET }], minLength: 32 }),
    ).toThrow("secrets[0].value: is shorter than 32 characters;");
    expect(found(["abcd1234"], "x abcd1234 y")).toEqual(["abcd1234"]);
  });

  it("finds nothing when no registered value is present", () => {
    const text = [
      "ordinary prose with sk_live_ prefixes and 9fQ2xT7vLmP",
      `Authorization: Basic ${b64("alice:another-password")}`,
      Buffer.from("something else entirely").toString("hex"),
      encodeURIComponent("sk_live_9fQ2xT7vLmP 4"),
      randomBytes(4096).toString("base64"),
    ].join("\n");
    expect(found([SECRET, "p@ss word/with&chars=1"], text)).toEqual([]);
  });

  it("keeps matches free of the value", () => {
    const matches = createRegisteredValuesDetector({
      values: [{ name: "k", value: SECRET }],
    }).detect(`${SECRET} ${b64(SECRET)}`);
    expect(matches).toHaveLength(2);
    expect(JSON.stringify(matches)).not.toContain(SECRET);
  });

  it("finds the right values among 500 registered ones, in every encoding", () => {
    const values = Array.from({ length: 500 }, () => randomBytes(18).toString("base64url"));
    const detector = createRegisteredValuesDetector({
      values: values.map((value, i) => ({ name: `v${i}`, value })),
    });
    const pick = (i: number) => values[i] ?? "";
    const pieces = [
      pick(0),
      b64(`x${pick(123)}`),
      Buffer.from(pick(250)).toString("hex").toUpperCase(),
      encodeURIComponent(`${pick(499)}`),
    ];
    const text = `${randomBytes(2000).toString("hex")} ${pieces.join(" filler ")} ${"lorem ipsum ".repeat(500)}`;
    const matched = detector
      .detect(text)
      .sort((a, b) => a.start - b.start)
      .map((match) => text.slice(match.start, match.end));
    expect(matched).toEqual(pieces);
  });

  it("reports both of two overlapping values, the longer containing the shorter", () => {
    const short = "token-abcdef12";
    const long = `${short}-and-more`;
    expect(found([short, long], `x ${long} y ${short} z`)).toEqual([long, short, short]);
  });
});
