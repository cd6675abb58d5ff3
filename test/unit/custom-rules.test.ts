import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PolicyOutputError } from "../../server/src/policy/policy-decision.js";
import { parseRedactPlan } from "../../server/src/policy/redact-plan.js";
import {
  type CustomRuleSpec,
  InvalidCustomRuleError,
} from "../../server/src/redact/custom-rule.js";
import { customRuleSet } from "../../server/src/redact/custom-rule-set.js";
import { createCustomRulesDetector } from "../../server/src/redact/custom-rules-detector.js";
import {
  loadGitleaksConfig,
  parseGitleaksConfig,
} from "../../server/src/redact/gitleaks-config.js";
import { createTextRedactor } from "../../server/src/redact/redact-text.js";

const fixture = fileURLToPath(new URL("../fixtures/gitleaks-rules.toml", import.meta.url));
const acmeToken = "acme_3f9a0c1b7e2d4f6a8b5c9d0e1f2a3b4c";
const fingerprintKey = Buffer.from("custom-rules-test-key");

function rule(overrides: Partial<CustomRuleSpec> & Pick<CustomRuleSpec, "id" | "regex">) {
  return {
    description: "",
    secretGroup: 0,
    entropy: 0,
    keywords: [],
    allowlists: [],
    ...overrides,
  };
}

/** The spans a detector reports, as the text they cover (tests only: findings never carry it). */
function found(
  detector: { detect(t: string): { start: number; end: number; detector: string }[] },
  text: string,
) {
  return detector.detect(text).map((m) => [m.detector, text.slice(m.start, m.end)]);
}

describe("gitleaks configuration", () => {
  it("loads a gitleaks TOML file: rules, allowlists, and path-scoped rules reported as skipped", async () => {
    const { rules, skipped } = await loadGitleaksConfig(fixture);
    expect(rules.map((r) => r.id)).toEqual(["acme-api-token", "generic-api-key", "acme-session"]);
    expect(skipped).toEqual([
      { id: "pkcs12-file", reason: "scoped to file paths, which content in flight does not have" },
    ]);
    const generic = rules.find((r) => r.id === "generic-api-key");
    expect(generic?.entropy).toBe(3.5);
    // Its two own allowlists plus the file's global one.
    expect(generic?.allowlists).toHaveLength(3);
  });

  it("finds what the rules describe, masking only the secret group", async () => {
    const { rules } = await loadGitleaksConfig(fixture);
    const detector = createCustomRulesDetector(rules, fixture);
    const text = [
      `ACME_TOKEN=${acmeToken}`,
      "Set-Cookie: acme_session=Q7w9Er2Ty4Ui6Op8As0Df1Gh; Path=/",
      'deploy_api_key = "9fK2xQ7vL0pZ3mR8tW1yB6nC"',
    ].join("\n");
    expect(found(detector, text)).toEqual(
      expect.arrayContaining([
        ["custom.acme-api-token", acmeToken],
        ["custom.acme-session", "Q7w9Er2Ty4Ui6Op8As0Df1Gh"],
        ["custom.generic-api-key", "9fK2xQ7vL0pZ3mR8tW1yB6nC"],
      ]),
    );
  });

  it("applies entropy, stopwords, line and global allowlists, and never an AND on paths", async () => {
    const { rules } = await loadGitleaksConfig(fixture);
    const detector = createCustomRulesDetector(rules, fixture);
    const survivors = [
      'api_key = "aaaaaaaaaaaaaaaa"', // entropy 0
      'vpn_secret = "vpnGateway-Q7w9Er2Ty4"', // stopword "vpn" in the secret
      '# example: api_key = "9fK2xQ7vL0pZ3mR8tW1yB6nC"', // line allowlist
      `ACME_TOKEN=acme_${"0".repeat(32)}`, // the file's global allowlist
    ];
    for (const line of survivors) expect(found(detector, line), line).toEqual([]);
    // The same shape without the stopword is reported, so the stopword is what spared it.
    expect(found(detector, 'db_secret = "dbGateway-Q7w9Er2Ty4"')).toEqual([
      ["custom.generic-api-key", "dbGateway-Q7w9Er2Ty4"],
    ]);
    // The AND allowlist also names a path, which content in flight never has: it cannot apply.
    expect(found(detector, `acme_session=${"0".repeat(24)}`)).toEqual([
      ["custom.acme-session", "0".repeat(24)],
    ]);
  });

  it("runs a rule only when one of its keywords is present", () => {
    const detector = createCustomRulesDetector(
      [rule({ id: "needs-keyword", regex: "[0-9]{12}", keywords: ["order-id"] })],
      "test",
    );
    expect(found(detector, "call 123456789012")).toEqual([]);
    expect(found(detector, "ORDER-ID 123456789012")).toEqual([
      ["custom.needs-keyword", "123456789012"],
    ]);
  });

  it("refuses files that are not TOML or not rules, naming the file and the problem", () => {
    expect(() => parseGitleaksConfig("[[rules]\nid=", "bad.toml")).toThrow(
      /^bad\.toml: rule "\*": is not valid TOML at line 1$/,
    );
    expect(() => parseGitleaksConfig("rules = 3", "x.toml")).toThrow(
      /rules must be an array of tables/,
    );
    expect(() => parseGitleaksConfig('[[rules]]\nid = "a"\nregex = 5', "x.toml")).toThrow(
      /rule "a": rules\[0\]\.regex must be a non-empty string/,
    );
    expect(() =>
      parseGitleaksConfig('[[rules]]\nid = "a"\nregex = "x"\nentropy = "high"', "x.toml"),
    ).toThrow(/rules\[0\]\.entropy must be a number/);
  });
});

describe("custom rule patterns", () => {
  it("refuses what RE2 cannot run in linear time: backreferences and lookaround", () => {
    for (const regex of ["(a+)\\1", "secret(?=[0-9])", "(?<!x)token"]) {
      expect(() => createCustomRulesDetector([rule({ id: "bad", regex })], "rules.toml")).toThrow(
        InvalidCustomRuleError,
      );
    }
    expect(() =>
      createCustomRulesDetector([rule({ id: "bad", regex: "(a+)\\1" })], "rules.toml"),
    ).toThrow(/^rules\.toml: rule "bad": regex is not a valid RE2 pattern: /);
  });

  it("runs a catastrophic-backtracking pattern over hostile input and finishes with the right answer", () => {
    // (a+)+$ takes exponential time on a backtracking engine for "aaa…b"; RE2 is linear.
    const detector = createCustomRulesDetector([rule({ id: "redos", regex: "(a+)+$" })], "test");
    expect(detector.detect(`${"a".repeat(50_000)}b`)).toEqual([]);
    expect(detector.detect(`x${"a".repeat(50_000)}`)).toHaveLength(1);
  });

  it("refuses ids, groups and patterns that would misbehave", () => {
    const cases: [Partial<CustomRuleSpec> & Pick<CustomRuleSpec, "id" | "regex">, RegExp][] = [
      [{ id: "has space", regex: "x" }, /id must be/],
      [
        { id: "g", regex: "(a)b", secretGroup: 2 },
        /secretGroup 2 does not exist; the regex has 1 groups/,
      ],
      [{ id: "empty", regex: "a*" }, /matches the empty string/],
      [{ id: "long", regex: "a".repeat(5000) }, /longer than 4096 characters/],
      [{ id: "e", regex: "x", entropy: -1 }, /entropy must be/],
    ];
    for (const [spec, message] of cases) {
      expect(() => createCustomRulesDetector([rule(spec)], "t")).toThrow(message);
    }
    expect(() =>
      createCustomRulesDetector(
        [rule({ id: "twice", regex: "x" }), rule({ id: "twice", regex: "y" })],
        "t",
      ),
    ).toThrow(/rule "twice": the id is used by an earlier rule/);
  });

  it("reports UTF-16 offsets in text with astral characters before the match", () => {
    const detector = createCustomRulesDetector([rule({ id: "tok", regex: "tok_[a-z]{8}" })], "t");
    const text = "🔑🔑 tok_abcdefgh";
    const [match] = detector.detect(text);
    expect(match && text.slice(match.start, match.end)).toBe("tok_abcdefgh");
  });
});

describe("custom rules in plans and server config", () => {
  const planWithRules = (customRules: unknown) =>
    parseRedactPlan({
      detectors: ["custom.*", "secret.*"],
      operators: [{ match: "*", type: "replace" }],
      custom_rules: customRules,
    });

  const serverRules = customRuleSet(
    [rule({ id: "acme-api-token", regex: "acme_[0-9a-f]{32}" })],
    "server.toml",
  );

  it("masks with rules the plan carries, beside the server's own", () => {
    const plan = planWithRules([
      { id: "ticket-key", regex: "\\bTK-([A-Z0-9]{16})\\b", secret_group: 1 },
    ]);
    const redactor = createTextRedactor({
      plan,
      fingerprintKey,
      customRules: serverRules,
    });
    const { text, findings } = redactor.redact(`key TK-ABCD1234EFGH5678 and ${acmeToken}`);
    expect(text).toBe("key TK-[REDACTED:ticket-key] and [REDACTED:acme-api-token]");
    expect(findings.map((f) => [f.detector, f.category])).toEqual([
      ["custom.ticket-key", "custom"],
      ["custom.acme-api-token", "custom"],
    ]);
  });

  it("runs custom rules only when the plan selects them", () => {
    const plan = parseRedactPlan({
      detectors: ["secret.*"],
      operators: [{ match: "*", type: "replace" }],
    });
    const redactor = createTextRedactor({
      plan,
      fingerprintKey,
      customRules: serverRules,
    });
    expect(redactor.redact(acmeToken).findings).toEqual([]);
  });

  it("rejects a plan whose rule cannot compile, naming the rule", () => {
    expect(() => planWithRules([{ id: "bad", regex: "(x)\\1" }])).toThrow(PolicyOutputError);
    expect(() => planWithRules([{ id: "bad", regex: "(x)\\1" }])).toThrow(
      /^custom_rules: rule "bad": regex is not a valid RE2 pattern/,
    );
    expect(() =>
      planWithRules([{ id: "x", regex: "y", allowlists: [{ regex_target: "file" }] }]),
    ).toThrow(/custom_rules\[0\]\.allowlists\[0\]\.regex_target must be secret, match or line/);
    expect(() => planWithRules("nope")).toThrow(/"custom_rules" must be a list/);
  });
});
