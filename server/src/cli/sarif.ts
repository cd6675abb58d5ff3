import type { Finding } from "../../../gen/vigil/v1/common_pb.js";

/**
 * Findings as a SARIF 2.1.0 log, the format GitHub code scanning and most CI dashboards read.
 * Results carry the finding's keyed fingerprint, never the value.
 */
export function toSarif(results: { path: string; findings: Finding[] }[]) {
  const ruleIds = [...new Set(results.flatMap((r) => r.findings.map((f) => f.detectorId)))].sort();
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "vigil",
            rules: ruleIds.map((id) => ({
              id,
              shortDescription: { text: `Sensitive value: ${id}` },
            })),
          },
        },
        results: results.flatMap((r) =>
          r.findings.map((f) => ({
            ruleId: f.detectorId,
            level: "error",
            message: { text: `${f.detectorId} found; the value is withheld` },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: r.path },
                  region: {
                    startLine: f.location?.line ?? 1,
                    startColumn: f.location?.column ?? 1,
                  },
                },
              },
            ],
            partialFingerprints: { "vigilFingerprint/v1": f.fingerprint },
          })),
        ),
      },
    ],
  };
}
