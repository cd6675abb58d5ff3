import { create } from "@bufbuild/protobuf";
import {
  type Finding,
  FindingCategory,
  FindingSchema,
  RedactAction,
} from "../../../gen/vigil/v1/common_pb.js";
import type { RedactOperatorType } from "../policy/redact-plan.js";
import type { DetectorCategory } from "../redact/detector.js";
import type { JsonFinding } from "../redact/mask-json.js";
import type { TextFinding } from "../redact/mask-text.js";

const categories: Record<DetectorCategory, FindingCategory> = {
  registered: FindingCategory.REGISTERED,
  secret: FindingCategory.SECRET,
  pii: FindingCategory.PII,
  custom: FindingCategory.CUSTOM,
};

const actions: Record<RedactOperatorType, RedactAction> = {
  replace: RedactAction.REPLACE,
  partial: RedactAction.PARTIAL_MASK,
  fingerprint: RedactAction.FINGERPRINT,
  drop: RedactAction.DROP,
};

/** A finding as the wire carries it: where and what, never the value. */
export function toFinding(finding: TextFinding | JsonFinding): Finding {
  return create(FindingSchema, {
    detectorId: finding.detector,
    detectorVersion: String(finding.version),
    category: categories[finding.category],
    action: actions[finding.action],
    fingerprint: finding.fingerprint,
    location: {
      byteStart: BigInt(finding.byteStart),
      byteEnd: BigInt(finding.byteEnd),
      utf16Start: BigInt(finding.utf16Start),
      utf16End: BigInt(finding.utf16End),
      line: finding.line,
      column: finding.column,
      jsonPointer: "jsonPointer" in finding ? finding.jsonPointer : "",
    },
  });
}
