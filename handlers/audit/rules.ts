import { CheckResult, Severity } from "../results/result";

/** Rule metadata for `imgsec audit verify` results (same shape as every imgsec check). */
export interface AuditRule {
  rule: string;
  title: string;
  severity: Severity;
  controls: string[];
  remediation: string;
}

const INTEGRITY = ["164.312(b)", "164.312(c)(1)", "164.312(c)(2)"];
const EVIDENCE =
  "Keep the file unchanged as evidence, compare it with the S3 Object Lock copy (imgsec audit verify s3://bucket/prefix/), and investigate who had write access to it.";

export const AUDIT_RULES = {
  hmac: {
    rule: "IMGSEC-AUDIT-001",
    title: "Every audit record carries a valid HMAC under the audit key",
    severity: "critical",
    controls: INTEGRITY,
    remediation: `A record whose HMAC fails was written or changed by someone without the audit key. ${EVIDENCE}`,
  },
  chain: {
    rule: "IMGSEC-AUDIT-002",
    title:
      "The audit log's hash chain is unbroken (consecutive seq, each record names its predecessor's hash)",
    severity: "critical",
    controls: INTEGRITY,
    remediation: `A broken chain means records were deleted, inserted, reordered, replayed or changed. ${EVIDENCE}`,
  },
  signatures: {
    rule: "IMGSEC-AUDIT-003",
    title: "Audit checkpoints carry valid Ed25519 signatures, at least every N records",
    severity: "critical",
    controls: INTEGRITY,
    remediation: `A checkpoint whose signature fails means the records it covers, or the checkpoint, were rewritten (possibly by a holder of the HMAC key). ${EVIDENCE}`,
  },
  complete: {
    rule: "IMGSEC-AUDIT-004",
    title: "The audit log ends at a signed close checkpoint covering every record",
    severity: "high",
    controls: ["164.312(b)", "164.312(c)(1)"],
    remediation: `A log that ends without a close checkpoint was cut short or its last writer crashed; if writers are still running, verify with --allow-open. Ending at a close does not prove that no later run was cut off: every run ends the log at a close, so a log cut back to an earlier run's close ends at one too, and only an anchor detects that (IMGSEC-AUDIT-006). ${EVIDENCE}`,
  },
  wellformed: {
    rule: "IMGSEC-AUDIT-005",
    title: "Every line of the audit log is a complete, well-formed record",
    severity: "high",
    controls: ["164.312(b)", "164.312(c)(1)"],
    remediation: `A torn last line is left by a crash mid-write: writers refuse to extend such a log, so start a new one and keep this one. A malformed line elsewhere was written by something other than imgsec. ${EVIDENCE}`,
  },
  anchor: {
    rule: "IMGSEC-AUDIT-006",
    title: "The audit log reaches its last anchored head",
    severity: "high",
    controls: ["164.312(b)", "164.312(c)(1)"],
    remediation: `Keep the log's head outside it after every run (imgsec audit head --out FILE, into a ticket, a CI artifact or a WORM store) and verify with --expect-head, or keep the S3 Object Lock copy (IMGSEC_AUDIT_S3) and verify against it (--s3). A log that ends before its anchor was cut back (truncated); one that holds another record at the anchor's seq was rewritten from there (forked); one with another log id replaced the anchored log. ${EVIDENCE}`,
  },
  retention: {
    rule: "IMGSEC-AUDIT-007",
    title: "Every audit segment in S3 is under Object Lock retention",
    severity: "high",
    controls: ["164.312(b)", "164.312(c)(1)"],
    remediation:
      "Write audit segments to a bucket with Object Lock (COMPLIANCE mode, a default retention of at least six years: the stack's audit bucket), or give the sink retainDays. A segment without retention can be deleted or overwritten without trace; GOVERNANCE retention can be bypassed by anyone allowed s3:BypassGovernanceRetention. The verifier needs s3:GetObjectRetention and s3:GetObjectLegalHold to see it.",
  },
  segments: {
    rule: "IMGSEC-AUDIT-008",
    title:
      "The audit bucket holds every segment of each log once, in order: no gap, overlap, delete marker or overwrite",
    severity: "critical",
    controls: INTEGRITY,
    remediation: `A missing segment, a segment hidden by a delete marker, an overwritten one, or one whose records are not those its name says was deleted or tampered with in the bucket: writers put each segment once, never over an existing one, and a failed write is retried with the same bytes. Examine the key's versions (aws s3api list-object-versions): Object Lock keeps the locked version. ${EVIDENCE}`,
  },
} satisfies Record<string, AuditRule>;
export type AuditRuleKey = keyof typeof AUDIT_RULES;

export function result(
  key: AuditRuleKey,
  status: CheckResult["status"],
  resource: string,
  message: string,
): CheckResult {
  const r = AUDIT_RULES[key];
  return {
    rule: r.rule,
    title: r.title,
    status,
    resource,
    severity: r.severity,
    controls: [...r.controls],
    message,
    remediation: r.remediation,
  };
}
