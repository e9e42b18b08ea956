/**
 * The report's JSON (our own schema) and CSV outputs, rendered from the hand-made sample report
 * (every status, findings, attestations, hostile characters) and read back.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SEVERITY_ORDER, Severity, Status } from "../../handlers/results/result";
import { CSV_COLUMNS, csvField, toCsv } from "../../compliance/report/csv";
import {
  FieldLayout,
  Layout,
  ObjectLayout,
  REPORT_LAYOUT,
  toReportJson,
  validateReportJson,
} from "../../compliance/report/json";
import {
  Attestation,
  ComplianceReport,
  EvidenceKind,
  EvidenceMethod,
  REPORT_SCHEMA,
  SPEC_STATUSES,
  SpecKind,
  SpecResult,
} from "../../compliance/report/model";
import { ROOT } from "../helpers/cli";
import { sampleReport } from "./fixture";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const schema: Json = JSON.parse(
  readFileSync(join(ROOT, "compliance", "schema", "report.schema.json"), "utf8"),
);

/** The report as JSON.parse gives it back (undefined members gone). */
const plain = (r: ComplianceReport): Json => JSON.parse(JSON.stringify(r));

/** A copy of the sample's JSON document, changed by `change`. */
function mutated(change: (doc: Json) => void): Json {
  const doc = JSON.parse(toReportJson(sampleReport()));
  change(doc);
  return doc;
}

describe("JSON", () => {
  test("the sample report validates, and reads back as the same report", () => {
    const report = sampleReport();
    const text = toReportJson(report);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.split("\n")[1]).toBe(`  "schema": "${REPORT_SCHEMA}",`); // 2-space indentation
    const doc = JSON.parse(text);
    expect(validateReportJson(doc)).toEqual([]);
    expect(doc).toEqual(plain(report));
  });

  test("keys come in the model's order, whatever order the report was built in", () => {
    const report = sampleReport();
    // The same report with every object's keys reversed.
    const reversed = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reversed)
        : v && typeof v === "object"
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reversed(x)]),
            )
          : v;
    const text = toReportJson(report);
    expect(toReportJson(reversed(report) as ComplianceReport)).toBe(text);
    const doc = JSON.parse(text);
    expect(Object.keys(doc)).toEqual(Object.keys(REPORT_LAYOUT));
    expect(Object.keys(doc.specifications[0])).toEqual(
      Object.keys(schema.$defs.specResult.properties).filter(
        (k) => doc.specifications[0][k] !== undefined,
      ),
    );
    expect(Object.keys(doc.summary.byStatus)).toEqual(SPEC_STATUSES);
  });

  test("a key the model does not have is written, and refused, not dropped", () => {
    const report = sampleReport() as ComplianceReport & { extra?: number };
    report.extra = 1;
    const doc = JSON.parse(toReportJson(report));
    expect(doc.extra).toBe(1);
    expect(validateReportJson(doc)).toEqual(['/ must NOT have additional properties ("extra")']);
  });

  const refused: [string, (doc: Json) => void, RegExp][] = [
    [
      "an unknown specification status",
      (d) => (d.specifications[3].status = "mostly-fine"),
      /^\/specifications\/3\/status must be equal to one of the allowed values \(satisfied, not-satisfied,/,
    ],
    [
      "an unknown result status",
      (d) => (d.evidence[0].results[0].status = "OK"),
      /^\/evidence\/0\/results\/0\/status must be equal to one of the allowed values \(PASS, FAIL/,
    ],
    [
      "an unknown evidence method",
      (d) => (d.evidence[1].method = "OBSERVE"),
      /^\/evidence\/1\/method must be equal to one of the allowed values \(EXAMINE, TEST, INTERVIEW\)/,
    ],
    [
      "an unknown evidence kind",
      (d) => (d.inputs[0].kind = "screenshot"),
      /^\/inputs\/0\/kind must be equal to one of the allowed values/,
    ],
    [
      "a missing field",
      (d) => delete d.specifications[0].reason,
      /^\/specifications\/0 must have required property 'reason'/,
    ],
    [
      "a missing top-level field",
      (d) => delete d.summary,
      /^\/ must have required property 'summary'/,
    ],
    [
      "an extra field in a nested object",
      (d) => (d.specifications[1].rules[0].findings[0].patient = "x"),
      /^\/specifications\/1\/rules\/0\/findings\/0 must NOT have additional properties \("patient"\)/,
    ],
    [
      "a digest in upper case",
      (d) => (d.inputs[0].sha256 = "A".repeat(64)),
      /^\/inputs\/0\/sha256 must match pattern/,
    ],
    [
      "a digest one digit short",
      (d) => (d.inputs[1].files = [{ name: "x", sha256: "b".repeat(63), bytes: 1 }]),
      /^\/inputs\/1\/files\/0\/sha256 must match pattern/,
    ],
    [
      "a citation not spelled as 45 CFR spells it",
      (d) => (d.specifications[0].citation = "45 CFR 164.308(a)(1)(i)"),
      /^\/specifications\/0\/citation must match pattern/,
    ],
    [
      "a citation in a result's controls with a trailing space",
      (d) => (d.evidence[0].results[0].controls = ["164.312(b) "]),
      /^\/evidence\/0\/results\/0\/controls\/0 must match pattern/,
    ],
    [
      "a date that does not exist",
      (d) => (d.period.to = "2026-02-30"),
      /^\/period\/to must match format "date"/,
    ],
    [
      "a generation time that is not UTC",
      (d) => (d.generated = "2026-12-02T11:00:00+01:00"),
      /^\/generated must match pattern/,
    ],
    [
      "a not-applicable attestation without a rationale",
      (d) =>
        delete d.specifications.find((s: Json) => s.status === "not-applicable").attestation
          .rationale,
      /^\/specifications\/\d+\/attestation must have required property 'rationale'/,
    ],
    [
      "a reason on two lines",
      (d) => (d.specifications[0].reason = "one\ntwo"),
      /^\/specifications\/0\/reason must match pattern/,
    ],
    [
      "a rule evidence that names no evidence item",
      (d) => (d.specifications[1].rules[0].evidence = "iac-9"),
      /^\/specifications\/1\/rules\/0\/evidence names no evidence item$/,
    ],
    [
      "counts by status that disagree with the specifications",
      (d) => (d.summary.byStatus.satisfied += 1),
      /^\/summary\/byStatus\/satisfied is \d+, but \d+ specifications are satisfied$/,
    ],
    [
      "a pass with failures listed",
      (d) => (d.summary.pass = true),
      /^\/summary\/pass is true, but the lists say false$/,
    ],
    [
      "an input listed twice",
      (d) => d.inputs.push({ ...d.inputs[0] }),
      /^\/inputs\/3 repeats "iac-1"$/,
    ],
  ];
  test.each(refused)("refused: %s", (_name, change, error) => {
    const errors = validateReportJson(mutated(change));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((e) => error.test(e))).toBe(true);
    // One line each, no value from the document echoed.
    for (const e of errors) expect(e).not.toMatch(/\n|aws_|Privacy Officer/);
  });

  test("validation errors are one line each, with a JSON pointer", () => {
    const errors = validateReportJson({ schema: "imgsec-compliance-report/2" });
    expect(errors).toContain('/schema must be equal to constant ("imgsec-compliance-report/1")');
    expect(errors).toContain("/ must have required property 'specifications'");
    expect(validateReportJson("not an object")).toEqual(["/ must be object"]);
  });
});

describe("the JSON schema and model.ts agree", () => {
  // Exhaustive by type: tsc refuses a record that misses a member of the union.
  const STATUSES: Record<Status, true> = {
    PASS: true,
    FAIL: true,
    WARN: true,
    WAIVED: true,
    UNKNOWN: true,
  };
  const KINDS: Record<EvidenceKind, true> = {
    iac: true,
    "audit-log": true,
    packages: true,
    "deid-runs": true,
    attestations: true,
  };
  const METHODS: Record<EvidenceMethod, true> = { EXAMINE: true, TEST: true, INTERVIEW: true };
  const SPEC_KINDS: Record<SpecKind, true> = { standard: true, required: true, addressable: true };
  const DECISIONS: Record<Attestation["decision"], true> = {
    implemented: true,
    alternative: true,
    "not-reasonable": true,
    "not-applicable": true,
  };
  const SEVERITIES: Record<Severity, true> = {
    critical: true,
    high: true,
    medium: true,
    low: true,
  };
  const sorted = (values: Iterable<string>) => [...values].sort();

  test("every enumeration holds exactly the model's values", () => {
    const defs = schema.$defs;
    expect(defs.specStatus.enum).toEqual(SPEC_STATUSES); // in the model's order
    expect(sorted(defs.status.enum)).toEqual(sorted(Object.keys(STATUSES)));
    expect(sorted(defs.evidenceKind.enum)).toEqual(sorted(Object.keys(KINDS)));
    expect(sorted(defs.method.enum)).toEqual(sorted(Object.keys(METHODS)));
    expect(sorted(defs.specKind.enum)).toEqual(sorted(Object.keys(SPEC_KINDS)));
    expect(sorted(defs.attestation.properties.decision.enum)).toEqual(
      sorted(Object.keys(DECISIONS)),
    );
    expect(sorted(defs.checkResult.properties.severity.enum)).toEqual(sorted(SEVERITY_ORDER));
    expect(sorted(SEVERITY_ORDER)).toEqual(sorted(Object.keys(SEVERITIES)));
    expect(sorted(defs.runtimeEvidence.properties.status.enum)).toEqual(
      sorted([...Object.keys(STATUSES), "MISSING"]),
    );
    expect(schema.properties.schema.const).toBe(REPORT_SCHEMA);
    expect(schema.properties.summary.properties.byStatus.required).toEqual(SPEC_STATUSES);
  });

  test("every object has the model's keys, in its order, required where the model requires them", () => {
    const resolve = (node: Json): Json =>
      node.$ref ? resolve(schema.$defs[node.$ref.replace("#/$defs/", "")]) : node;
    const compared: string[] = [];
    const compare = (layout: Layout, node: Json, path: string): void => {
      node = resolve(node);
      if (layout === "value") return;
      if (layout === "record") {
        expect({ path, record: node.type, closed: node.properties }).toEqual({
          path,
          record: "object",
          closed: undefined,
        });
        return;
      }
      if (Array.isArray(layout)) {
        expect({ path, type: node.type }).toEqual({ path, type: "array" });
        compare(layout[0], node.items, `${path}[]`);
        return;
      }
      const fields = Object.entries(layout as ObjectLayout) as [string, FieldLayout][];
      compared.push(path);
      expect({ path, keys: Object.keys(node.properties) }).toEqual({
        path,
        keys: fields.map(([k]) => k),
      });
      expect({ path, required: node.required ?? [] }).toEqual({
        path,
        required: fields.filter(([, f]) => !f.optional).map(([k]) => k),
      });
      expect({ path, additionalProperties: node.additionalProperties }).toEqual({
        path,
        additionalProperties: false,
      });
      for (const [k, f] of fields) compare(f.layout, node.properties[k], `${path}.${k}`);
    };
    compare(REPORT_LAYOUT, schema, "report");
    // Every object of the model was compared, nested ones included.
    expect(compared).toEqual(
      expect.arrayContaining([
        "report",
        "report.tool",
        "report.period",
        "report.inputs[]",
        "report.inputs[].files[]",
        "report.evidence[]",
        "report.evidence[].results[]",
        "report.deidRuns[]",
        "report.deidRuns[].methods[]",
        "report.specifications[]",
        "report.specifications[].rules[]",
        "report.specifications[].rules[].counts",
        "report.specifications[].runtime[]",
        "report.specifications[].attestation",
        "report.safeHarbor[]",
        "report.safeHarbor[].attributes[]",
        "report.reidentification",
        "report.summary",
        "report.summary.byStatus",
      ]),
    );
  });

  test("every property is described, and every object is closed", () => {
    const undocumented: string[] = [];
    const open: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (!node || typeof node !== "object") return;
      const n = node as Json;
      if (n.properties && !path.includes("/if") && !path.includes("/then")) {
        for (const [k, p] of Object.entries(n.properties as Json))
          if (typeof p.description !== "string" || p.description.length < 3)
            undocumented.push(`${path}/properties/${k}`);
        if (n.additionalProperties !== false) open.push(path);
      }
      for (const [k, v] of Object.entries(n)) walk(v, `${path}/${k}`);
    };
    walk(schema, "#");
    expect(undocumented).toEqual([]);
    expect(open).toEqual([]);
  });
});

/**
 * A strict RFC 4180 reader: CRLF between records (a bare CR or LF outside quotes is an error),
 * quotes only around a whole field, doubled inside, and every record as wide as the header.
 */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  const fail = (why: string) => {
    throw new Error(`CSV offset ${i}: ${why}`);
  };
  if (!text.endsWith("\r\n")) fail("the last record does not end with CRLF");
  while (i < text.length) {
    let field = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) fail("unterminated quoted field");
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== "," && text[i] !== "\r") {
        if (text[i] === '"') fail("quote inside an unquoted field");
        if (text[i] === "\n") fail("bare LF");
        field += text[i++];
      }
    }
    record.push(field);
    if (text[i] === ",") i++;
    else if (text.startsWith("\r\n", i)) {
      i += 2;
      records.push(record);
      record = [];
    } else fail(`unexpected ${JSON.stringify(text[i])} after a field`);
  }
  const width = records[0].length;
  records.forEach((r, n) => {
    if (r.length !== width) throw new Error(`record ${n} has ${r.length} fields, not ${width}`);
  });
  return records;
}

describe("CSV", () => {
  const rowsOf = (text: string) => {
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual([...CSV_COLUMNS]);
    return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
  };

  test("the strict reader refuses what is not RFC 4180", () => {
    expect(() => parseCsv("a,b\nc,d\r\n")).toThrow(/bare LF/);
    expect(() => parseCsv('a,b"c\r\n')).toThrow(/quote inside/);
    expect(() => parseCsv('"a\r\n')).toThrow(/unterminated/);
    expect(() => parseCsv("a,b\r\nc\r\n")).toThrow(/1 fields, not 2/);
    expect(() => parseCsv("a,b")).toThrow(/CRLF/);
    expect(parseCsv('"a,""b""\r\nc",d\r\n')).toEqual([['a,"b"\r\nc', "d"]]);
  });

  test("one row per specification and evidence item, each specification at least once", () => {
    const report = sampleReport();
    const rows = rowsOf(toCsv(report));
    /** What the model says a specification's rows are, counted from the model. */
    const expected = (s: SpecResult) =>
      Math.max(
        1,
        s.rules.reduce(
          (n, r) =>
            n +
            r.findings.length +
            (r.counts.PASS > 0 ? 1 : 0) +
            (r.findings.length || r.counts.PASS ? 0 : 1),
          0,
        ) +
          s.untestedRules.length +
          s.runtime.length +
          (s.attestation ? 1 : 0),
      );
    expect(rows).toHaveLength(report.specifications.reduce((n, s) => n + expected(s), 0));
    // The catalog's order, every specification present, its columns on each of its rows.
    expect([...new Set(rows.map((r) => r.citation))]).toEqual(
      report.specifications.map((s) => s.citation),
    );
    for (const s of report.specifications) {
      const mine = rows.filter((r) => r.citation === s.citation);
      expect(mine).toHaveLength(expected(s));
      for (const r of mine) {
        expect([r.title, r.kind, r.required, r.status, r.reason, r.standard]).toEqual([
          s.title,
          s.kind,
          String(s.required),
          s.status,
          s.reason,
          s.standard ?? "",
        ]);
      }
      for (const rule of s.rules) {
        for (const f of rule.findings) {
          expect(mine).toContainEqual(
            expect.objectContaining({
              evidence_id: rule.evidence,
              evidence_kind: report.evidence.find((e) => e.id === rule.evidence)?.kind,
              rule: rule.rule,
              rule_title: rule.title,
              result_status: f.status,
              resource: f.resource,
              stack: f.stack ?? "",
              severity: f.severity,
              message: f.message,
              remediation: f.remediation,
            }),
          );
        }
        if (rule.counts.PASS > 0)
          expect(mine).toContainEqual(
            expect.objectContaining({
              rule: rule.rule,
              result_status: "PASS",
              message: `${rule.counts.PASS} passed`,
            }),
          );
      }
      for (const rt of s.runtime)
        expect(mine).toContainEqual(
          expect.objectContaining({
            evidence_kind: rt.kind,
            evidence_id: rt.evidence ?? "",
            result_status: rt.status,
            message: rt.summary,
          }),
        );
      for (const rule of s.untestedRules)
        expect(mine).toContainEqual(expect.objectContaining({ rule, result_status: "" }));
      const a = s.attestation;
      const attestationRows = mine.filter((r) => r.attestation_decision !== "");
      expect(attestationRows).toEqual(
        a
          ? [
              expect.objectContaining({
                evidence_kind: "attestations",
                evidence_id: "attestations",
                attestation_decision: a.decision,
                attested_by: a.attestedBy,
                attestation_date: a.date,
                document: a.document,
                attestation_rationale: a.rationale ?? "",
                attestation_alternative: a.alternative ?? "",
                attestation_outside_period: "false",
              }),
            ]
          : [],
      );
    }
    // A specification with no evidence at all: one row, its evidence columns empty.
    const bare = report.specifications.find(
      (s) => !s.rules.length && !s.untestedRules.length && !s.runtime.length && !s.attestation,
    )!;
    const [row] = rows.filter((r) => r.citation === bare.citation);
    for (const c of CSV_COLUMNS.slice(CSV_COLUMNS.indexOf("evidence_kind"), -4))
      expect({ [c]: row[c] }).toEqual({ [c]: "" });
  });

  test("quotes, commas and line breaks survive; formulas are neutralized", () => {
    const report = sampleReport();
    const spec = report.specifications.find((s) => s.status === "not-satisfied")!;
    const hostile = {
      ...spec.rules[0].findings[0],
      resource: "@SUM(1+1)*cmd|' /C calc'!A0",
      stack: "-2+3",
      message: 'line one, "quoted"\r\nline two\nline three',
      remediation: '=HYPERLINK("http://example.invalid","click")',
    };
    spec.rules[0].findings.push(hostile);
    spec.title = "+1 title";
    spec.reason = "\tstarts with a tab";
    report.specifications[0].reason = "\rstarts with a CR";
    const rows = rowsOf(toCsv(report));
    const row = rows.find((r) => r.resource.includes("SUM"))!;
    expect(row.resource).toBe(`'${hostile.resource}`);
    expect(row.stack).toBe("'-2+3");
    expect(row.message).toBe(hostile.message); // not at risk: kept exactly
    expect(row.remediation).toBe(`'${hostile.remediation}`);
    expect(row.title).toBe("'+1 title");
    expect(row.reason).toBe("'\tstarts with a tab");
    expect(rows[0].reason).toBe("'\rstarts with a CR");
    // The fixture's own hostile message, with <script>, & and quotes, comes back unchanged.
    expect(rows.map((r) => r.message)).toContain(spec.rules[0].findings[0].message);
    expect(rows.map((r) => r.attested_by)).toContain("Privacy Officer <Sample> & Co");
    // No field anywhere can start a formula.
    for (const r of rows) for (const v of Object.values(r)) expect(v).not.toMatch(/^[=+\-@\t\r]/);
  });

  test("csvField", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("=1+1")).toBe("'=1+1");
    expect(csvField('=A1,"x"')).toBe(`"'=A1,""x"""`);
    expect(csvField("\r")).toBe(`"'\r"`);
    expect(csvField("")).toBe("");
  });

  test("the same report gives the same bytes", () => {
    expect(toCsv(sampleReport())).toBe(toCsv(sampleReport()));
  });
});
