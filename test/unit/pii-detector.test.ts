import { describe, expect, it } from "vitest";
import { IBAN_LENGTHS, ibanValid, luhnValid, ssnValid } from "../../server/src/redact/checksums.js";
import {
  createPiiDetector,
  PII_DETECTOR_VERSION,
  type PiiKind,
} from "../../server/src/redact/pii-detector.js";

/** Each match as `[detector, matched text, start]`, in text order, so spans are exact. */
function found(text: string, kinds?: PiiKind[]): [string, string, number][] {
  const detector = createPiiDetector(kinds === undefined ? {} : { kinds });
  return detector
    .detect(text)
    .sort((a, b) => a.start - b.start)
    .map((m) => [m.detector, text.slice(m.start, m.end), m.start]);
}

/** The expected `found` entry for `value`, located at its first occurrence in `text`. */
function at(text: string, detector: string, value: string): [string, string, number] {
  const start = text.indexOf(value);
  if (start < 0) throw new Error(`fixture does not contain ${value}`);
  return [detector, value, start];
}

describe("createPiiDetector", () => {
  it("reports every kind with versioned pii ids by default", () => {
    const detector = createPiiDetector();
    expect(detector.ids).toEqual(["pii.email", "pii.card", "pii.iban", "pii.ssn", "pii.phone"]);
    const text = "contact: ada@example.org";
    expect(detector.detect(text)).toEqual([
      {
        start: 9,
        end: 24,
        detector: "pii.email",
        version: PII_DETECTOR_VERSION,
        category: "pii",
      },
    ]);
  });

  it("looks only for the kinds asked for", () => {
    const text = "ada@example.org paid with 4242 4242 4242 4242";
    const detector = createPiiDetector({ kinds: ["card"] });
    expect(detector.ids).toEqual(["pii.card"]);
    expect(found(text, ["card"])).toEqual([at(text, "pii.card", "4242 4242 4242 4242")]);
    expect(createPiiDetector({ kinds: [] }).detect(text)).toEqual([]);
  });

  it("rejects an unknown kind instead of silently detecting nothing", () => {
    expect(() => createPiiDetector({ kinds: ["passport" as PiiKind] })).toThrow(RangeError);
  });
});

describe("pii.email", () => {
  it("finds addresses in log lines, JSON and mailto links, without the surrounding syntax", () => {
    const log = 'level=info msg="sent reset link" to=jane.doe+vigil@mail.example.co.uk.';
    expect(found(log)).toEqual([at(log, "pii.email", "jane.doe+vigil@mail.example.co.uk")]);
    const json = '{"user":{"email":"o\'brien@example.ie"},"cc":["ops-team@corp.example"]}';
    expect(found(json)).toEqual([
      at(json, "pii.email", "o'brien@example.ie"),
      at(json, "pii.email", "ops-team@corp.example"),
    ]);
    const html = '<a href="mailto:support@vigil.dev?subject=Help">email us</a>';
    expect(found(html)).toEqual([at(html, "pii.email", "support@vigil.dev")]);
  });

  it("finds internationalised addresses", () => {
    const text = "Schreib an jürgen.müller@beispiel.de bitte";
    expect(found(text)).toEqual([at(text, "pii.email", "jürgen.müller@beispiel.de")]);
  });

  it("ignores hosts without a TLD, package specs, CSS at-rules and image density suffixes", () => {
    const text = [
      "ssh user@localhost",
      "foo@bar",
      "npm i lodash@4.17.21 @types/node@20.19.1",
      "@media (max-width: 600px) { a { color: red } }",
      "<img src=logo@2x.png>",
      "a..b@example.com",
      "dot.@example.com",
    ].join("\n");
    expect(found(text, ["email"])).toEqual([]);
  });
});

describe("pii.card", () => {
  it("finds published test cards of each major network, separators included in the span", () => {
    const prompt = [
      "Visa 4242 4242 4242 4242 exp 12/26 cvc 123",
      "Mastercard 5555-5555-5555-4444",
      "2-series 2223003122003222",
      "Amex 3782 822463 10005",
      "Discover 6011111111111117",
      "JCB 3566 0020 2036 0505",
      "Diners 36227206271667",
      "UnionPay 6200000000000005",
    ].join("\n");
    expect(found(prompt, ["card"])).toEqual([
      at(prompt, "pii.card", "4242 4242 4242 4242"),
      at(prompt, "pii.card", "5555-5555-5555-4444"),
      at(prompt, "pii.card", "2223003122003222"),
      at(prompt, "pii.card", "3782 822463 10005"),
      at(prompt, "pii.card", "6011111111111117"),
      at(prompt, "pii.card", "3566 0020 2036 0505"),
      at(prompt, "pii.card", "36227206271667"),
      at(prompt, "pii.card", "6200000000000005"),
    ]);
  });

  it("finds a card in a JSON payload and a CSV row", () => {
    const json = '{"card":"4000056655665556","amount":1200}';
    expect(found(json)).toEqual([at(json, "pii.card", "4000056655665556")]);
    const csv = "id,card,name\n17,4242424242424242,Ada";
    expect(found(csv)).toEqual([at(csv, "pii.card", "4242424242424242")]);
  });

  it("ignores numbers that fail Luhn, even with a known prefix", () => {
    expect(found("card 4242 4242 4242 4241 and 4242424242424243", ["card"])).toEqual([]);
  });

  it("ignores Luhn-valid numbers whose prefix belongs to no card network", () => {
    expect(luhnValid("7000000000000005")).toBe(true);
    expect(luhnValid("1234567890123452")).toBe(true);
    expect(found("ref 7000000000000005 and 1234567890123452", ["card"])).toEqual([]);
  });

  it("ignores a valid card number that is part of a longer digit run or token", () => {
    const text = [
      "id 42424242424242420 ",
      "4242 4242 4242 4242 4242",
      "tx_4242424242424242",
      "ORD-4242424242424242",
      "4242424242424242-7",
      "0.4242424242424242",
    ].join("\n");
    expect(found(text, ["card"])).toEqual([]);
  });
});

describe("pii.iban", () => {
  it("finds registry example IBANs, printed and compact, in any case", () => {
    const text = [
      "Pay to GB82 WEST 1234 5698 7654 32.",
      '{"iban":"DE89370400440532013000"}',
      "fr14 2004 1010 0505 0001 3m02 606",
      "NO9386011117947 (Norway, 15 characters)",
    ].join("\n");
    expect(found(text)).toEqual([
      at(text, "pii.iban", "GB82 WEST 1234 5698 7654 32"),
      at(text, "pii.iban", "DE89370400440532013000"),
      at(text, "pii.iban", "fr14 2004 1010 0505 0001 3m02 606"),
      at(text, "pii.iban", "NO9386011117947"),
    ]);
  });

  it("ignores an IBAN whose check digits are wrong", () => {
    expect(found("GB81 WEST 1234 5698 7654 32 and DE89370400440532013001")).toEqual([]);
  });

  it("ignores a mod-97 valid IBAN whose length is wrong for its country", () => {
    // Both satisfy mod-97 but are one character short (GB) or long (DE) for their country.
    expect(ibanValid("GB88WEST1234569876543")).toBe(false);
    expect(found("GB88WEST1234569876543 DE543704004405320130001 GB82WEST123456987654321")).toEqual(
      [],
    );
  });

  it("knows the registry length of every SEPA country", () => {
    const sepa = { AT: 20, BE: 16, DE: 22, ES: 24, FR: 27, GB: 22, IT: 27, NL: 18, NO: 15 };
    for (const [country, length] of Object.entries(sepa)) {
      expect(IBAN_LENGTHS.get(country)).toBe(length);
    }
    expect(IBAN_LENGTHS.size).toBeGreaterThanOrEqual(80);
  });
});

describe("pii.ssn", () => {
  it("finds dashed and spaced SSNs in prose and JSON", () => {
    const text = 'Applicant SSN is 123-45-6789; spouse 234 56 7890. {"ssn":"345-67-8901"}';
    expect(found(text)).toEqual([
      at(text, "pii.ssn", "123-45-6789"),
      at(text, "pii.ssn", "234 56 7890"),
      at(text, "pii.ssn", "345-67-8901"),
    ]);
  });

  it("finds bare nine digits only right after an SSN keyword", () => {
    const text = "Social Security No.: 123456789";
    expect(found(text)).toEqual([at(text, "pii.ssn", "123456789")]);
    expect(found("order 123456789 shipped; ssn field left blank, see ticket 987654321")).toEqual(
      [],
    );
  });

  it("ignores numbers that could never be issued", () => {
    const invalid = [
      "000-12-3456",
      "666-12-3456",
      "900-12-3456",
      "999-12-3456",
      "123-00-4567",
      "123-45-0000",
      "078-05-1120",
      "219-09-9999",
    ];
    expect(found(`SSN list: ${invalid.join(", ")}`)).toEqual([]);
    expect(invalid.map((ssn) => ssnValid(ssn.replaceAll("-", "")))).not.toContain(true);
  });

  it("ignores the SSN shape inside longer dashed numbers", () => {
    expect(found("part 123-45-6789-01 and 1-123-45-6789", ["ssn"])).toEqual([]);
  });
});

describe("pii.phone", () => {
  it("finds E.164 numbers with the usual separators", () => {
    const text = 'Call +44 20 7946 0958 or +1 (415) 555-2671; {"phone":"+4915112345678"}';
    expect(found(text)).toEqual([
      at(text, "pii.phone", "+44 20 7946 0958"),
      at(text, "pii.phone", "+1 (415) 555-2671"),
      at(text, "pii.phone", "+4915112345678"),
    ]);
  });

  it("finds North American numbers written with separators", () => {
    const text = "office (415) 555-2671, cell 212-555-0143, toll-free 1-800-555-0199, 312.555.0172";
    expect(found(text)).toEqual([
      at(text, "pii.phone", "(415) 555-2671"),
      at(text, "pii.phone", "212-555-0143"),
      at(text, "pii.phone", "1-800-555-0199"),
      at(text, "pii.phone", "312.555.0172"),
    ]);
  });

  it("ignores North American shapes with an area or exchange code starting with 0 or 1", () => {
    expect(found("call 115-555-0143 or 212-155-0143", ["phone"])).toEqual([]);
  });

  it("ignores bare digit runs, dates, times, IPs, versions and order numbers", () => {
    const text = [
      "2125550143",
      "2024-01-15T10:30:00Z",
      "15/01/2024",
      "10.200.300.4000",
      "192.168.100.254",
      "v2.215.555.1234",
      "+1.2.3.4.5.6.7.8",
      "order #212-555-0143",
      "ORD-212-555-0143",
      "212-555-0143-7",
      "+1234567",
      "+1234567890123456",
      "x+12345678",
    ].join("\n");
    expect(found(text, ["phone"])).toEqual([]);
  });
});

describe("look-alikes", () => {
  it("leave ordinary engineering text untouched", () => {
    const text = [
      "request 550e8400-e29b-41d4-a716-446655440000 done in 42ms",
      "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 (HEAD -> main)",
      "short sha 4b825dc",
      "2024-01-15T10:30:00.123456Z ts=1705314600123",
      "peer 203.0.113.42:8443 via 2001:db8:85a3::8a2e:370:7334",
      "node v20.19.43, typescript 7.0.2, build 2024.01.15.1234",
      "order id 1000234567890123 amount 1234567890123456",
      "@media screen and (min-width: 768px) { .a { margin: 0 } }",
      "see foo@bar and user@localhost",
    ].join("\n");
    expect(found(text)).toEqual([]);
  });

  it("finishes on hostile input that would make a backtracking scan quadratic", () => {
    // No timing assertion (speed lives in the bench); a quadratic scan of this input runs for
    // minutes and would hit the test timeout, a linear one answers at once.
    const hostile = `${"1 ".repeat(50_000)}${"a.".repeat(50_000)}@${"+1.".repeat(50_000)}`;
    const found = createPiiDetector().detect(hostile);
    expect(found.map((m) => m.detector)).not.toContain("pii.email");
  });
});
