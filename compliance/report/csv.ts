/**
 * The report as CSV (--format csv), in the manner of Prowler's compliance CSV: one row per
 * specification and evidence item, the specification's columns repeated on each, so a
 * spreadsheet filter on any column keeps its context. RFC 4180 (CRLF line ends, fields with a
 * comma, quote or line break quoted, quotes doubled), and safe to open in a spreadsheet: a field
 * that starts with = + - @, a tab or a carriage return gets a leading apostrophe, so it is read as
 * text and never as a formula (OWASP, CSV injection).
 */
import type { CheckResult } from "../../handlers/results/result";
import type { ComplianceReport, EvidenceKind, SpecResult } from "./model";

export const CSV_COLUMNS = [
  "citation",
  "title",
  "kind",
  "required",
  "status",
  "reason",
  "evidence_kind",
  "evidence_id",
  "rule",
  "rule_title",
  "result_status",
  "resource",
  "stack",
  "severity",
  "message",
  "remediation",
  "attestation_decision",
  "attested_by",
  "attestation_date",
  "document",
  // After the columns Prowler-like tools expect, so that their positions stay put.
  "standard",
  "attestation_rationale",
  "attestation_alternative",
  "attestation_outside_period",
] as const;

export type CsvColumn = (typeof CSV_COLUMNS)[number];
type Row = Partial<Record<CsvColumn, string>>;

/** A spreadsheet would run a cell starting with one of these as a formula (OWASP). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One field, neutralized against formula injection, then quoted as RFC 4180 requires. */
export function csvField(value: string): string {
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The rows of one specification: one per evidence item that bears on it, at least one. */
function specRows(
  spec: SpecResult,
  kindOf: Map<string, EvidenceKind>,
  attestationsId: string,
): Row[] {
  const rows: Row[] = [];
  const result = (r: CheckResult): Row => ({
    result_status: r.status,
    resource: r.resource,
    stack: r.stack ?? "",
    severity: r.severity,
    message: r.message,
    remediation: r.remediation,
  });
  for (const rule of spec.rules) {
    const base: Row = {
      evidence_kind: kindOf.get(rule.evidence) ?? "",
      evidence_id: rule.evidence,
      rule: rule.rule,
      rule_title: rule.title,
    };
    for (const finding of rule.findings) rows.push({ ...base, ...result(finding) });
    if (rule.findingsOmitted)
      rows.push({
        ...base,
        message: `${rule.findingsOmitted} more findings (counted, not listed)`,
      });
    // PASS results are counted, not listed (the model keeps no PASS result): one row says how many.
    if (rule.counts.PASS > 0)
      rows.push({ ...base, result_status: "PASS", message: `${rule.counts.PASS} passed` });
    if (rule.findings.length === 0 && rule.counts.PASS === 0)
      rows.push({ ...base, message: "no results" });
  }
  for (const rule of spec.untestedRules)
    rows.push({ rule, message: "not evaluated: no evidence given for this rule" });
  for (const runtime of spec.runtime) {
    rows.push({
      // The kind needed is known even when no item provided it (MISSING).
      evidence_kind: runtime.kind,
      evidence_id: runtime.evidence ?? "",
      result_status: runtime.status,
      message: runtime.summary,
    });
  }
  const a = spec.attestation;
  if (a) {
    rows.push({
      evidence_kind: "attestations",
      evidence_id: attestationsId,
      attestation_decision: a.decision,
      attested_by: a.attestedBy,
      attestation_date: a.date,
      document: a.document,
      attestation_rationale: a.rationale ?? "",
      attestation_alternative: a.alternative ?? "",
      attestation_outside_period: String(a.outsidePeriod === true),
    });
  }
  if (rows.length === 0) rows.push({});
  const common: Row = {
    citation: spec.citation,
    title: spec.title,
    kind: spec.kind,
    required: String(spec.required),
    status: spec.status,
    reason: spec.reason,
    standard: spec.standard ?? "",
  };
  return rows.map((row) => ({ ...common, ...row }));
}

/** The report as CSV text: a header, then every specification's rows in catalog order. */
export function toCsv(report: ComplianceReport): string {
  const kindOf = new Map(report.evidence.map((e) => [e.id, e.kind] as const));
  const attestationsId = report.evidence.find((e) => e.kind === "attestations")?.id ?? "";
  const lines = [CSV_COLUMNS.map(csvField).join(",")];
  for (const spec of report.specifications) {
    for (const row of specRows(spec, kindOf, attestationsId))
      lines.push(CSV_COLUMNS.map((c) => csvField(row[c] ?? "")).join(","));
  }
  return lines.join("\r\n") + "\r\n";
}
