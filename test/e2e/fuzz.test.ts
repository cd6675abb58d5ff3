import { readFile } from "node:fs/promises";
import { toBinary, toJsonString } from "@bufbuild/protobuf";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ApprovalService } from "../../gen/vigil/v1/approval_pb.js";
import { AuditService } from "../../gen/vigil/v1/audit_pb.js";
import { PolicyAdminService } from "../../gen/vigil/v1/policy_admin_pb.js";
import { AuthorizeRequestSchema, PolicyService } from "../../gen/vigil/v1/policy_service_pb.js";
import {
  createRawRpc,
  envelope,
  methodPaths,
  type RawAnswer,
  type RawProtocol,
} from "../support/raw-rpc.js";
import { destructiveAgentCommand, offboardedCiJob, ordinaryRead } from "../support/requests.js";
import { removeDir, startVigil, type VigilProcess } from "../support/vigil-process.js";

// 10,000 inputs in `npm test` (about 40 s); `VIGIL_FUZZ_RUNS=200000 npm run fuzz` for a long
// run, VIGIL_FUZZ_SEED to replay a failure, VIGIL_FUZZ_EXAMPLES=1 to print suspicious inputs.
const runs = Number(process.env.VIGIL_FUZZ_RUNS ?? 10_000);
// Memory is compared with what it was after this many inputs (caches and pools filled).
const warmUp = Math.min(1_000, Math.max(1, Math.floor(runs / 10)));
const seed = process.env.VIGIL_FUZZ_SEED ? Number(process.env.VIGIL_FUZZ_SEED) : undefined;

// Answers that mean the server failed rather than refused: an unhandled error, a 5xx, a stream
// reset or ended without a status (gRPC without grpc-status, Connect without end-of-stream).
const failures = new Set([
  "internal",
  "unknown",
  "data_loss",
  "http_500",
  "http_502",
  "http_200",
  "no_end_of_stream",
]);
const isFailure = (code: string) => failures.has(code) || code.startsWith("reset_");

const contentTypes: Record<RawProtocol, string> = {
  "connect-json": "application/json",
  "connect-proto": "application/proto",
  "connect-stream-json": "application/connect+json",
  "grpc-web": "application/grpc-web+proto",
  grpc: "application/grpc",
};
const enveloped = new Set<RawProtocol>(["connect-stream-json", "grpc-web", "grpc"]);
const services = [PolicyService, AuditService, ApprovalService, PolicyAdminService, Health];
// Health/Watch streams for as long as the client listens: not a call that ends.
const paths = [
  ...methodPaths(services).filter((p) => p !== "/grpc.health.v1.Health/Watch"),
  "/vigil.v1.PolicyService/Nope",
  "/nope",
];

const utf8 = (text: string) => new TextEncoder().encode(text);
const join = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

const validRequests = [offboardedCiJob(), ordinaryRead(), destructiveAgentCommand()];
const fieldNames = [
  "principal",
  "action",
  "resource",
  "contents",
  "content",
  "secrets",
  "filter",
  "pageSize",
  "pageToken",
  "id",
  "verdict",
  "state",
  "event",
  "registeredSecrets",
  "approvalId",
];

/** Bodies from plausible to hostile. */
const payload: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 2048 }) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((v) => utf8(JSON.stringify(v))) },
  {
    // Known field names holding values of the wrong type.
    weight: 4,
    arbitrary: fc
      .dictionary(fc.constantFrom(...fieldNames), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
      .map((v) => utf8(JSON.stringify(v))),
  },
  {
    // Enum values out of range, as numbers and as unknown names.
    weight: 3,
    arbitrary: fc
      .record({
        principal: fc.record({ id: fc.string(), kind: fc.oneof(fc.integer(), fc.string()) }),
        action: fc.string(),
        resource: fc.record({ kind: fc.string(), id: fc.string() }),
        contents: fc.array(
          fc.record({
            kind: fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.string()),
            text: fc.string(),
          }),
          { maxLength: 3 },
        ),
        state: fc.integer(),
        verdict: fc.integer(),
        filter: fc.record({ kind: fc.integer(), decision: fc.integer(), pageSize: fc.integer() }),
      })
      .map((v) => utf8(JSON.stringify(v))),
  },
  {
    // Deeply nested JSON.
    weight: 1,
    arbitrary: fc
      .integer({ min: 50, max: 50_000 })
      .map((n) => utf8(`${'{"a":'.repeat(n)}1${"}".repeat(n)}`)),
  },
  {
    // Invalid UTF-8 inside JSON strings.
    weight: 2,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 8 })
      .map((bad) => join(utf8('{"action":"secret.read","principal":{"id":"'), bad, utf8('"}}'))),
  },
  {
    // Valid requests, whole, truncated or with a byte flipped.
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...validRequests),
        fc.boolean(),
        fc.nat(),
        fc.oneof(fc.constant(undefined), fc.nat()),
      )
      .map(([request, json, cut, flip]) => {
        const bytes = json
          ? utf8(toJsonString(AuthorizeRequestSchema, request))
          : toBinary(AuthorizeRequestSchema, request);
        const out = bytes.slice(0, bytes.length - (cut % (bytes.length + 1)));
        if (flip !== undefined && out.length > 0) {
          const at = flip % out.length;
          out[at] = (out[at] ?? 0) ^ 0xff;
        }
        return out;
      }),
  },
  {
    // Large bodies, around and over the 4 MiB message limit.
    weight: 1,
    arbitrary: fc
      .constantFrom(64 * 1024, 1024 * 1024, 5 * 1024 * 1024)
      .map((n) => utf8(`{"content":{"text":"${"A".repeat(n)}"}}`)),
  },
);

/** Framing for enveloped protocols: right, lying about its length, odd flags, or missing. */
const framing = fc.oneof(
  { weight: 5, arbitrary: fc.constant((b: Uint8Array) => envelope(b)) },
  { weight: 1, arbitrary: fc.nat(1 << 20).map((n) => (b: Uint8Array) => envelope(b, 0, n)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(1, 2, 0x80, 0xff).map((f) => (b: Uint8Array) => envelope(b, f)),
  },
  { weight: 1, arbitrary: fc.constant((b: Uint8Array) => b) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 4 })
      .map((n) => (b: Uint8Array) => envelope(b).slice(0, n)),
  },
);

const input = fc.record({
  protocol: fc.constantFrom<RawProtocol>(...(Object.keys(contentTypes) as RawProtocol[])),
  path: fc.constantFrom(...paths),
  body: payload,
  frame: framing,
  contentType: fc.oneof(
    { weight: 9, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "text/plain",
        "application/json",
        "application/grpc",
        "",
        "application/x-www-form-urlencoded",
      ),
    },
  ),
});

let vigil: VigilProcess;

beforeAll(async () => {
  vigil = await startVigil({ policy: inject("defaultBundlePath") });
});

afterAll(async () => {
  await vigil?.stop();
  if (vigil) await removeDir(vigil.dataDir);
});

/**
 * `internal` is the gRPC code for a malformed frame or message ("parse binary: …", a compressed
 * flag without an encoding): gRPC servers (grpc-go among them) answer these with INTERNAL, and
 * connect-es raises them before Vigil's handlers run. They are refusals of the input, told apart
 * by connect-es's messages; any other `internal` (an unhandled error in Vigil) fails the run.
 */
function isProtocolError(answer: RawAnswer): boolean {
  return (
    answer.code === "internal" &&
    /^(parse binary: |received compressed envelope, but do not know how to decompress)/.test(
      answer.message ?? "",
    )
  );
}

/** A failing input in a line: protocol, method, framing, size and the first bytes. */
function describeInput(
  input:
    | {
        protocol: string;
        path: string;
        body: Uint8Array;
        frame: (b: Uint8Array) => Uint8Array;
        contentType?: string | undefined;
      }
    | undefined,
): string {
  if (!input) return "no input";
  const bytes = enveloped.has(input.protocol as RawProtocol) ? input.frame(input.body) : input.body;
  const head = Buffer.from(bytes.subarray(0, 48)).toString("hex");
  return `${input.protocol} ${input.path} content-type=${input.contentType ?? contentTypes[input.protocol as RawProtocol]} ${bytes.length} bytes, starting ${head}`;
}

/** Anonymous memory of the server process (heap, buffers): file-backed LMDB pages excluded. */
async function anonymousRssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^RssAnon:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
}

describe("fuzzing every RPC over every protocol", () => {
  it(`answers ${runs} random and malformed inputs with proper codes, stays up and does not leak`, {
    timeout: 600_000,
  }, async () => {
    const rpc = createRawRpc(vigil.baseUrl);
    const pid = vigil.child.pid as number;
    const codes = new Map<string, number>();
    let sent = 0;
    let warm = Number.NaN;
    try {
      await fc.assert(
        fc.asyncProperty(input, async ({ protocol, path, body, frame, contentType }) => {
          const bytes = enveloped.has(protocol) ? frame(body) : body;
          // A content type that does not match the framing is answered in whatever protocol the
          // server reads it as: judged by its HTTP status alone, over HTTP/1.1.
          const answer =
            contentType === undefined
              ? await rpc.send(protocol, path, bytes, contentTypes[protocol])
              : await rpc.send("connect-json", path, bytes, contentType).then((a) => ({
                  ...a,
                  code: a.status >= 500 ? a.code : `content_type_${a.status}`,
                }));
          const key = isFailure(answer.code)
            ? `${answer.code}: ${(answer.message ?? "").slice(0, 60)}`
            : answer.code;
          codes.set(key, (codes.get(key) ?? 0) + 1);
          if (
            process.env.VIGIL_FUZZ_EXAMPLES &&
            /reset|no_end|http_200/.test(key) &&
            (codes.get(key) ?? 0) <= 3
          ) {
            console.info(
              `example ${key}: ${describeInput({ protocol, path, body, frame, contentType })}`,
            );
          }
          if (++sent === warmUp) warm = await anonymousRssKiB(pid);
          expect(
            isFailure(answer.code) && !isProtocolError(answer),
            `${protocol} ${path} answered ${answer.code} (HTTP ${answer.status}): ${answer.message ?? ""}`,
          ).toBe(false);
        }),
        {
          numRuns: runs,
          ...(seed === undefined ? {} : { seed }),
          endOnFailure: true,
          // The bodies can be megabytes: report the input in brief, with the seed to replay it.
          reporter: (details) => {
            if (!details.failed) return;
            const serverLog = vigil.output
              .filter((line) => /"level":(4|5)\d/.test(line))
              .slice(-5)
              .join("\n");
            throw new Error(
              `server warnings and errors:\n${serverLog}\nfuzz input ${details.numRuns} failed (VIGIL_FUZZ_SEED=${details.seed}): ${describeInput(details.counterexample?.[0])}: ${String(details.errorInstance)}`,
            );
          },
        },
      );
    } finally {
      rpc.close();
      console.info(
        `fuzz: ${sent} inputs, answers by code: ${JSON.stringify(Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])))}`,
      );
    }

    // Still serving, and answering a real request correctly.
    expect(vigil.child.exitCode).toBeNull();
    const check = await createRawRpc(vigil.baseUrl).send(
      "connect-json",
      "/vigil.v1.PolicyService/Authorize",
      utf8(toJsonString(AuthorizeRequestSchema, offboardedCiJob())),
      "application/json",
    );
    expect(check.code).toBe("ok");
    // Memory after the run stays near where it was after warm-up: no per-request leak.
    const grownKiB = (await anonymousRssKiB(pid)) - warm;
    console.info(`fuzz: anonymous RSS grew ${Math.round(grownKiB / 1024)} MiB after warm-up`);
    expect(grownKiB).toBeLessThan(96 * 1024);
  });
});
