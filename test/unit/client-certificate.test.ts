import { describe, expect, it } from "vitest";
import { parseSubjectAltNames } from "../../server/src/auth/client-certificate.js";

describe("parseSubjectAltNames", () => {
  it("splits Node's subjectaltname string into prefixed entries", () => {
    expect(
      parseSubjectAltNames(
        "DNS:worker.example.org, URI:spiffe://example.org/ci, IP Address:127.0.0.1, email:a@b.c",
      ),
    ).toEqual([
      "DNS:worker.example.org",
      "URI:spiffe://example.org/ci",
      "IP Address:127.0.0.1",
      "email:a@b.c",
    ]);
  });

  it("unquotes a value Node quoted, so a comma in it cannot forge a second entry", () => {
    expect(parseSubjectAltNames('URI:"spiffe://x/a, DNS:admin", DNS:b')).toEqual([
      "URI:spiffe://x/a, DNS:admin",
      "DNS:b",
    ]);
  });

  it("answers an empty list without alternative names", () => {
    expect(parseSubjectAltNames(undefined)).toEqual([]);
    expect(parseSubjectAltNames("")).toEqual([]);
  });
});
