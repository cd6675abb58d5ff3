import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A certificate and its key, as files (for server flags) and PEM bytes (for client options). */
export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

/** A test certificate authority. */
export interface TestCa extends IssuedCertificate {
  dir: string;
  /** Issues a leaf certificate signed by this CA. */
  issue(name: string, options: IssueOptions): Promise<IssuedCertificate>;
}

/** What a leaf certificate says. */
export interface IssueOptions {
  /** Subject CN. */
  commonName: string;
  /** `subjectAltName` in openssl syntax, e.g. `URI:spiffe://x,DNS:y`. Default none. */
  subjectAltName?: string;
  /** `serverAuth` for the server's certificate. Default `clientAuth`. */
  usage?: "serverAuth" | "clientAuth";
  /** Make it expired: valid until a day before it was issued. Default false. */
  expired?: boolean;
}

const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/**
 * Creates a CA with the real `openssl` CLI in `dir` (files prefixed by `name`), to issue server
 * and client certificates for mTLS tests.
 */
export async function createTestCa(dir: string, name: string): Promise<TestCa> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  await run("openssl", [
    "req",
    "-x509",
    ...ecKey,
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "2",
    "-subj",
    `/CN=Vigil test CA ${name}`,
  ]);
  const ca: TestCa = {
    dir,
    certFile,
    keyFile,
    cert: await readFile(certFile),
    key: await readFile(keyFile),
    issue: (leaf, options) => issue(ca, leaf, options),
  };
  return ca;
}

async function issue(ca: TestCa, name: string, options: IssueOptions): Promise<IssuedCertificate> {
  const base = join(ca.dir, name);
  const [certFile, keyFile, csrFile, extFile] = [".pem", ".key", ".csr", ".ext"].map(
    (suffix) => `${base}${suffix}`,
  ) as [string, string, string, string];
  const extensions = [
    "basicConstraints=CA:FALSE",
    `extendedKeyUsage=${options.usage ?? "clientAuth"}`,
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid",
  ];
  if (options.subjectAltName) extensions.push(`subjectAltName=${options.subjectAltName}`);
  await writeFile(extFile, `${extensions.join("\n")}\n`);
  await run("openssl", [
    "req",
    "-new",
    ...ecKey,
    "-keyout",
    keyFile,
    "-out",
    csrFile,
    "-subj",
    `/CN=${options.commonName}`,
  ]);
  // OpenSSL 3.0 has no -not_after; a negative -days ends the validity before it starts.
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    csrFile,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    // A random serial, so certificates can be issued in parallel without a serial file.
    "-set_serial",
    `0x${randomBytes(16).toString("hex")}`,
    "-days",
    options.expired ? "-1" : "1",
    "-extfile",
    extFile,
    "-out",
    certFile,
  ]);
  return { certFile, keyFile, cert: await readFile(certFile), key: await readFile(keyFile) };
}
