/**
 * A hand-made compliance report for the output tests (HTML, JSON, CSV, OSCAL): every
 * specification of the shipped Security Rule catalog, every status at least once, failing
 * findings, an attestation of each decision, and characters that need escaping in every output.
 * The judgement itself (build.ts) is tested on real evidence elsewhere; this only feeds renderers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CheckResult } from "../../handlers/results/result";
import {
  ComplianceReport,
  REPORT_SCHEMA,
  SPEC_STATUSES,
  SpecResult,
  SpecStatus,
} from "../../compliance/report/model";

interface RuleRow {
  citation: string;
  title: string;
  kind: "standard" | "required" | "addressable";
}

const ROOT = join(__dirname, "..", "..");
const catalog = JSON.parse(
  readFileSync(join(ROOT, "compliance", "hipaa-security-rule.json"), "utf8"),
) as {
  security_rule: RuleRow[];
  safe_harbor_164_514_b_2_i: { item: string; identifier: string }[];
};

const result = (over: Partial<CheckResult>): CheckResult => ({
  rule: "IMGSEC-S3-001",
  title: "PHI buckets are encrypted with a customer managed KMS key",
  status: "PASS",
  resource: "aws_s3_bucket.raw",
  stack: "imgsec-prod",
  severity: "high",
  controls: ["164.312(a)(2)(iv)"],
  message: "encrypted with aws_kms_key.phi",
  remediation: "Set server_side_encryption_configuration to aws:kms with the PHI key.",
  ...over,
});

export function sampleReport(): ComplianceReport {
  const failing = result({
    rule: "IMGSEC-CT-002",
    title: "CloudTrail log file validation is on",
    status: "FAIL",
    resource: "aws_cloudtrail.audit",
    controls: ["164.312(b)", "164.312(c)(1)"],
    message: 'enable_log_file_validation is false <script>alert("x")</script> & "quoted", =cmd',
    remediation: "Set enable_log_file_validation = true.",
  });
  const unknown = result({
    rule: "IMGSEC-S3-004",
    title: "PHI buckets block public access",
    status: "UNKNOWN",
    resource: "aws_s3_bucket_public_access_block.raw",
    controls: ["164.312(a)(1)"],
    message: "block_public_acls depends on var.block (unknown)",
  });
  let standard: string | undefined;
  const specs: SpecResult[] = catalog.security_rule.map((row, i) => {
    if (row.kind === "standard") standard = row.citation;
    const status: SpecStatus = SPEC_STATUSES[i % SPEC_STATUSES.length];
    const spec: SpecResult = {
      citation: row.citation,
      title: row.title,
      kind: row.kind,
      standard: row.kind === "standard" ? undefined : standard,
      required: row.kind !== "addressable",
      status,
      reason: `reason for ${status}`,
      rules: [],
      untestedRules: status === "not-tested" ? ["IMGSEC-KMS-001"] : [],
      runtime: [],
      inquiries: [
        "Obtain and review the policies and procedures for this specification.",
        "Inquire of management whether they are reviewed at least yearly.",
      ],
      needsAttestation: status === "attested" || status === "not-attested",
    };
    if (status === "not-satisfied") {
      spec.rules.push({
        rule: failing.rule,
        title: failing.title,
        evidence: "iac-1",
        counts: { PASS: 2, FAIL: 1, WARN: 0, WAIVED: 0, UNKNOWN: 0 },
        findings: [failing],
      });
    }
    if (status === "satisfied") {
      spec.rules.push({
        rule: "IMGSEC-S3-001",
        title: "PHI buckets are encrypted with a customer managed KMS key",
        evidence: "iac-1",
        counts: { PASS: 3, FAIL: 0, WARN: 0, WAIVED: 0, UNKNOWN: 0 },
        findings: [],
      });
      spec.runtime.push({
        kind: "audit-log",
        evidence: "audit-log",
        status: "PASS",
        summary: "1,204 records, chain and 13 signed checkpoints verified",
      });
    }
    if (status === "partially-satisfied") {
      spec.rules.push({
        rule: unknown.rule,
        title: unknown.title,
        evidence: "iac-1",
        counts: { PASS: 1, FAIL: 0, WARN: 0, WAIVED: 0, UNKNOWN: 1 },
        findings: [unknown],
      });
      spec.runtime.push({
        kind: "packages",
        status: "MISSING",
        summary: "no --packages given",
      });
    }
    if (status === "attested" || status === "not-applicable") {
      spec.attestation = {
        citation: row.citation,
        decision:
          status === "not-applicable"
            ? "not-applicable"
            : row.kind === "addressable"
              ? "alternative"
              : "implemented",
        attestedBy: "Privacy Officer <Sample> & Co",
        date: "2026-06-30",
        document: "POL-SEC-014 rev 3",
        rationale:
          status === "not-applicable" || row.kind === "addressable"
            ? "We are not a clearinghouse; see POL-SEC-014 §2"
            : undefined,
        alternative: row.kind === "addressable" ? "Quarterly manual review" : undefined,
      };
    }
    return spec;
  });
  const byStatus = Object.fromEntries(
    SPEC_STATUSES.map((s) => [s, specs.filter((x) => x.status === s).length]),
  ) as Record<SpecStatus, number>;
  return {
    schema: REPORT_SCHEMA,
    generated: "2026-12-02T10:00:00.000Z",
    tool: { name: "imgsec", version: "0.1.0" },
    period: { from: "2026-01-01", to: "2026-12-31" },
    inputs: [
      {
        id: "iac-1",
        kind: "iac",
        name: "cdktf.out",
        sha256: "a".repeat(64),
        bytes: 123456,
        files: [{ name: "stacks/imgsec-prod/cdk.tf.json", sha256: "b".repeat(64), bytes: 100000 }],
      },
      {
        id: "audit-log",
        kind: "audit-log",
        name: "audit.jsonl",
        sha256: "c".repeat(64),
        bytes: 9999,
      },
      {
        id: "attestations",
        kind: "attestations",
        name: "attestations.yaml",
        sha256: "d".repeat(64),
        bytes: 2048,
      },
    ],
    evidence: [
      {
        id: "iac-1",
        kind: "iac",
        method: "TEST",
        title: "Deployment gate over cdktf.out",
        inputs: ["iac-1"],
        status: "FAIL",
        summary: "2 stacks: 263 passed, 1 failed, 1 unknown",
        results: [result({}), failing, unknown],
        facts: { stacks: 2, passed: 263, failed: 1, unknown: 1 },
      },
      {
        id: "audit-log",
        kind: "audit-log",
        method: "TEST",
        title: "Audit log verification",
        inputs: ["audit-log"],
        status: "PASS",
        summary: "1,204 records, chain and 13 signed checkpoints verified",
        results: [],
        facts: { records: 1204, checkpoints: 13, hmacChecked: false },
      },
      {
        id: "attestations",
        kind: "attestations",
        method: "INTERVIEW",
        title: "Organizational attestations",
        inputs: ["attestations"],
        status: "WARN",
        summary: "20 answered, 12 missing",
        results: [],
        facts: { answered: 20, missing: 12 },
      },
    ],
    deidRuns: [
      {
        policy: "e".repeat(64),
        profile: "strict",
        options: [],
        methods: [
          { code: "113100", meaning: "Basic Application Confidentiality Profile" },
          { code: "113108", meaning: "Retain Patient Characteristics Option" },
        ],
        counts: { deidentified: 12, quarantined: 1, rejected: 1 },
        datasets: ["demo"],
        first: "2026-12-01T09:00:00.000Z",
        last: "2026-12-01T09:05:00.000Z",
        outsidePeriod: 0,
      },
    ],
    specifications: specs,
    safeHarbor: catalog.safe_harbor_164_514_b_2_i.map((h) => ({
      letter: h.item,
      identifier: h.identifier,
      handling: "Removed or replaced by the Basic Profile",
      attributes: [{ tag: "(0010,0010)", name: "Patient's Name", action: "Z" }],
      caveat:
        h.item === "R" ? "Burned-in text is masked only where the modality is known" : undefined,
    })),
    reidentification: {
      citation: "164.514(c)",
      modes: ["keyed-hmac"],
      statement:
        "Pseudonyms are HMAC-SHA-256 of the identifier under a key kept apart from the data; the code is not derived from PHI in a way anyone without the key can reverse.",
    },
    summary: {
      byStatus,
      requiredLacking: specs
        .filter((s) => s.required && (s.status === "not-tested" || s.status === "not-attested"))
        .map((s) => s.citation),
      failed: specs.filter((s) => s.status === "not-satisfied").map((s) => s.citation),
      pass: false,
    },
    attestationProblems: ["attestation for 164.999(z) names no specification of the catalog"],
  };
}
