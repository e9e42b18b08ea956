/**
 * The report as JSON (--format json), in our own documented format:
 * compliance/schema/report.schema.json, which describes every property. Keys are written in the
 * order model.ts declares them (the LAYOUT below, which tsc holds to the model and a test holds to
 * the schema), so the same report always gives the same bytes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import type { CheckResult } from "../../handlers/results/result";
import { projectRoot } from "../../policies/engine/paths";
import {
  Attestation,
  ComplianceReport,
  DeidRun,
  EvidenceInput,
  EvidenceItem,
  RuleEvidence,
  SPEC_STATUSES,
  SafeHarborRow,
  SpecResult,
} from "./model";

/**
 * How a value is written: as it is; a record (free keys, written sorted); an object with its keys
 * in order; or an array of those objects.
 */
export type Layout = "value" | "record" | ObjectLayout | readonly [ObjectLayout];
export interface FieldLayout {
  layout: Layout;
  optional: boolean;
}
export type ObjectLayout = { readonly [key: string]: FieldLayout };

/** Exactly T's keys (tsc refuses a missing or an extra one), each marked optional as T has it. */
type LayoutOf<T> = {
  [K in keyof Required<T>]: { layout: Layout; optional: object extends Pick<T, K> ? true : false };
};
type Item<A> = A extends readonly (infer E)[] ? E : never;

const req = (layout: Layout = "value") => ({ layout, optional: false as const });
const opt = (layout: Layout = "value") => ({ layout, optional: true as const });

const CHECK_RESULT: LayoutOf<CheckResult> = {
  rule: req(),
  title: req(),
  status: req(),
  resource: req(),
  stack: opt(),
  severity: req(),
  controls: req(),
  message: req(),
  remediation: req(),
  location: opt(),
};

const INPUT_FILE: LayoutOf<Item<NonNullable<EvidenceInput["files"]>>> = {
  name: req(),
  sha256: req(),
  bytes: req(),
};

const INPUT: LayoutOf<EvidenceInput> = {
  id: req(),
  kind: req(),
  name: req(),
  sha256: req(),
  bytes: req(),
  appendOnly: opt(),
  files: opt([INPUT_FILE]),
};

const EVIDENCE_ITEM: LayoutOf<EvidenceItem> = {
  id: req(),
  kind: req(),
  method: req(),
  title: req(),
  inputs: req(),
  status: req(),
  summary: req(),
  results: req([CHECK_RESULT]),
  facts: req("record"),
};

const DEID_METHOD: LayoutOf<Item<DeidRun["methods"]>> = { code: req(), meaning: req() };

const DEID_RUN: LayoutOf<DeidRun> = {
  policy: req(),
  profile: req(),
  options: req(),
  methods: req([DEID_METHOD]),
  counts: req("record"),
  datasets: req(),
  first: req(),
  last: req(),
  outsidePeriod: req(),
};

const ATTESTATION: LayoutOf<Attestation> = {
  citation: req(),
  decision: req(),
  attestedBy: req(),
  date: req(),
  document: req(),
  rationale: opt(),
  alternative: opt(),
  outsidePeriod: opt(),
};

const RULE_COUNTS: LayoutOf<RuleEvidence["counts"]> = {
  PASS: req(),
  FAIL: req(),
  WARN: req(),
  WAIVED: req(),
  UNKNOWN: req(),
};

const RULE_EVIDENCE: LayoutOf<RuleEvidence> = {
  rule: req(),
  title: req(),
  evidence: req(),
  counts: req(RULE_COUNTS),
  findings: req([CHECK_RESULT]),
  findingsOmitted: opt(),
};

const RUNTIME: LayoutOf<Item<SpecResult["runtime"]>> = {
  kind: req(),
  evidence: opt(),
  status: req(),
  summary: req(),
};

const SPEC: LayoutOf<SpecResult> = {
  citation: req(),
  title: req(),
  kind: req(),
  standard: opt(),
  required: req(),
  status: req(),
  reason: req(),
  rules: req([RULE_EVIDENCE]),
  untestedRules: req(),
  runtime: req([RUNTIME]),
  inquiries: req(),
  organizationalDuty: opt(),
  attestation: opt(ATTESTATION),
  needsAttestation: req(),
};

const SAFE_HARBOR_ATTRIBUTE: LayoutOf<Item<SafeHarborRow["attributes"]>> = {
  tag: req(),
  name: req(),
  action: req(),
};

const SAFE_HARBOR: LayoutOf<SafeHarborRow> = {
  letter: req(),
  identifier: req(),
  handling: req(),
  attributes: req([SAFE_HARBOR_ATTRIBUTE]),
  caveat: opt(),
};

type Summary = ComplianceReport["summary"];

const BY_STATUS: LayoutOf<Summary["byStatus"]> = Object.fromEntries(
  SPEC_STATUSES.map((s) => [s, req()]),
) as LayoutOf<Summary["byStatus"]>;

const SUMMARY: LayoutOf<Summary> = {
  byStatus: req(BY_STATUS),
  requiredLacking: req(),
  failed: req(),
  pass: req(),
};

/** The whole report's layout: exported for the test that holds it to the schema. */
export const REPORT_LAYOUT: LayoutOf<ComplianceReport> = {
  schema: req(),
  generated: req(),
  tool: req({ name: req(), version: req() } satisfies LayoutOf<ComplianceReport["tool"]>),
  period: opt({ from: req(), to: req() } satisfies LayoutOf<
    NonNullable<ComplianceReport["period"]>
  >),
  inputs: req([INPUT]),
  evidence: req([EVIDENCE_ITEM]),
  deidRuns: req([DEID_RUN]),
  specifications: req([SPEC]),
  safeHarbor: req([SAFE_HARBOR]),
  reidentification: req({ citation: req(), modes: req(), statement: req() } satisfies LayoutOf<
    ComplianceReport["reidentification"]
  >),
  summary: req(SUMMARY),
  attestationProblems: req(),
};

/**
 * `value` rebuilt with its keys in the layout's order; undefined members left out. Keys the layout
 * does not know are kept, after the known ones, so that validation reports them rather than this
 * silently dropping them.
 */
function ordered(value: unknown, layout: Layout): unknown {
  if (layout === "value" || value === null || typeof value !== "object") return value;
  if (layout === "record") {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(keys.map((k) => [k, (value as Record<string, unknown>)[k]]));
  }
  if (Array.isArray(layout)) {
    return Array.isArray(value) ? value.map((v) => ordered(v, layout[0])) : value;
  }
  const fields = layout as ObjectLayout;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fields)) {
    if (source[key] !== undefined) out[key] = ordered(source[key], field.layout);
  }
  for (const [key, v] of Object.entries(source)) {
    if (!(key in fields) && v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * The report as JSON: 2-space indented, keys in the model's order (a record's sorted), ending in
 * a newline. The same report gives the same bytes, however its objects were built.
 */
export function toReportJson(report: ComplianceReport): string {
  return JSON.stringify(ordered(report, REPORT_LAYOUT), null, 2) + "\n";
}

export const REPORT_SCHEMA_FILE = join("compliance", "schema", "report.schema.json");

let validator: ValidateFunction | undefined;

function reportValidator(): ValidateFunction {
  if (validator) return validator;
  // Loaded on first use: report runs that write no JSON need not pay for ajv.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const Ajv2020 = require("ajv/dist/2020").default as typeof import("ajv/dist/2020").default;
  const addFormats = require("ajv-formats").default as typeof import("ajv-formats").default;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv, ["date", "date-time"]);
  const schema = JSON.parse(readFileSync(join(projectRoot(), REPORT_SCHEMA_FILE), "utf8"));
  validator = ajv.compile(schema);
  return validator;
}

/** One line per ajv error: where (a JSON pointer), what, and the detail ajv gives. */
export function formatAjvError(e: ErrorObject): string {
  const where = e.instancePath || "/";
  const p = e.params as Record<string, unknown>;
  const detail =
    e.keyword === "additionalProperties"
      ? ` (${JSON.stringify(String(p.additionalProperty).slice(0, 60))})`
      : e.keyword === "enum"
        ? ` (${(p.allowedValues as unknown[]).join(", ")})`
        : e.keyword === "const"
          ? ` (${JSON.stringify(p.allowedValue)})`
          : "";
  return `${where} ${e.message ?? e.keyword}${detail}`;
}

/**
 * What the schema cannot say: ids are unique, every reference names something in the report, and
 * the summary agrees with the specifications. Run only on a document the schema accepted.
 */
function consistencyErrors(report: ComplianceReport): string[] {
  const errors: string[] = [];
  const unique = (path: string, values: string[]) => {
    const seen = new Set<string>();
    values.forEach((v, i) => {
      if (seen.has(v)) errors.push(`${path}/${i} repeats ${JSON.stringify(v)}`);
      seen.add(v);
    });
  };
  unique(
    "/inputs",
    report.inputs.map((i) => i.id),
  );
  unique(
    "/evidence",
    report.evidence.map((e) => e.id),
  );
  unique(
    "/specifications",
    report.specifications.map((s) => s.citation),
  );
  const inputs = new Set(report.inputs.map((i) => i.id));
  const evidence = new Set(report.evidence.map((e) => e.id));
  report.evidence.forEach((e, i) =>
    e.inputs.forEach((id, j) => {
      if (!inputs.has(id)) errors.push(`/evidence/${i}/inputs/${j} names no input`);
    }),
  );
  report.specifications.forEach((s, i) => {
    s.rules.forEach((r, j) => {
      if (!evidence.has(r.evidence))
        errors.push(`/specifications/${i}/rules/${j}/evidence names no evidence item`);
    });
    s.runtime.forEach((r, j) => {
      if (r.evidence !== undefined && !evidence.has(r.evidence))
        errors.push(`/specifications/${i}/runtime/${j}/evidence names no evidence item`);
    });
    if (s.attestation && s.attestation.citation !== s.citation)
      errors.push(`/specifications/${i}/attestation/citation is not the specification's`);
  });
  for (const status of SPEC_STATUSES) {
    const n = report.specifications.filter((s) => s.status === status).length;
    if (report.summary.byStatus[status] !== n)
      errors.push(
        `/summary/byStatus/${status} is ${report.summary.byStatus[status]}, but ${n} specifications are ${status}`,
      );
  }
  const same = (path: string, listed: string[], expected: string[]) => {
    if ([...listed].sort().join("\n") !== [...expected].sort().join("\n"))
      errors.push(`${path} does not list exactly the ${expected.length} specifications it should`);
  };
  same(
    "/summary/failed",
    report.summary.failed,
    report.specifications.filter((s) => s.status === "not-satisfied").map((s) => s.citation),
  );
  same(
    "/summary/requiredLacking",
    report.summary.requiredLacking,
    report.specifications
      .filter((s) => s.required && (s.status === "not-tested" || s.status === "not-attested"))
      .map((s) => s.citation),
  );
  const pass = report.summary.failed.length === 0 && report.summary.requiredLacking.length === 0;
  if (report.summary.pass !== pass)
    errors.push(`/summary/pass is ${report.summary.pass}, but the lists say ${pass}`);
  return errors;
}

/**
 * The problems of a parsed report document, one line each (a JSON pointer and what is wrong);
 * empty when it follows compliance/schema/report.schema.json and is consistent in itself.
 */
export function validateReportJson(doc: unknown): string[] {
  const validate = reportValidator();
  if (!validate(doc)) return (validate.errors ?? []).map(formatAjvError);
  return consistencyErrors(doc as ComplianceReport);
}
