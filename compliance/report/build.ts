/**
 * Builds the compliance report: gathers the evidence (evidence.ts), then judges every standard and
 * implementation specification of the Security Rule against it. Every judgement lives here; the
 * outputs only render. Nothing is satisfied without evidence: a rule no given evidence evaluated
 * is "not tested", an organizational duty without an answer is "not attested".
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Status } from "../../handlers/results/result";
import { projectRoot } from "../../policies/engine/paths";
import { CatalogSpec, ComplianceCatalog, loadComplianceCatalog } from "../catalog";
import { loadAttestations } from "./attestations";
import {
  AuditLogFlags,
  Counts,
  Gathered,
  gatherAuditLog,
  gatherIac,
  gatherPackages,
  inPeriod,
  KIND_ORDER,
  PackageFlags,
  Period,
  worst,
  zeroCounts,
} from "./evidence";
import {
  Attestation,
  ComplianceReport,
  EvidenceItem,
  MAX_FINDINGS_PER_RULE,
  REPORT_SCHEMA,
  RuleEvidence,
  SPEC_STATUSES,
  SpecResult,
  SpecStatus,
} from "./model";

export interface ReportOptions extends AuditLogFlags, PackageFlags {
  iac?: string[];
  auditLog?: string;
  packages?: string[];
  attestations?: string;
  period?: Period;
  /** The report's time (default now): the gate's evaluation date, the attestations' "future". */
  now?: Date;
}

export async function buildReport(opts: ReportOptions): Promise<ComplianceReport> {
  const now = opts.now ?? new Date();
  const catalog = loadComplianceCatalog();
  const gathered: Gathered[] = [];
  if (opts.iac?.length) gathered.push(...(await gatherIac(opts.iac, now)));
  let deidRuns: ComplianceReport["deidRuns"] = [];
  let modes: string[] = [];
  if (opts.auditLog) {
    const a = await gatherAuditLog(opts.auditLog, opts, opts.period);
    gathered.push(a.audit);
    if (a.runs) gathered.push(a.runs);
    deidRuns = a.deidRuns;
    modes = a.modes;
  }
  if (opts.packages?.length) gathered.push(...(await gatherPackages(opts.packages, opts)));

  const known = new Set(catalog.specs.map((s) => s.citation));
  const attestations = new Map<string, Attestation>();
  const problems: string[] = [];
  let organization: string | undefined;
  if (opts.attestations) {
    const file = loadAttestations(opts.attestations, now);
    organization = file.organization;
    const required = new Map(catalog.specs.map((s) => [s.citation, s.required]));
    for (const a of file.attestations) {
      if (!known.has(a.citation)) {
        problems.push(
          `attestation for ${a.citation} names no specification of the Security Rule catalog: not used`,
        );
        continue;
      }
      if (attestations.has(a.citation)) {
        problems.push(`${a.citation} is attested twice: only the first answer is used`);
        continue;
      }
      // HIPAA lets an Addressable specification be met by an alternative, or documented as not
      // reasonable; a Required one must be implemented (or not apply to the entity at all).
      if (
        required.get(a.citation) &&
        (a.decision === "alternative" || a.decision === "not-reasonable")
      ) {
        problems.push(
          `${a.citation} is Required: "${a.decision}" is not an answer HIPAA allows for it (implemented, or not-applicable with a rationale): not used`,
        );
        continue;
      }
      attestations.set(a.citation, {
        ...a,
        ...(opts.period && !inPeriod(a.date, opts.period) ? { outsidePeriod: true } : {}),
      });
    }
    const answered = [...attestations.keys()].length;
    // Standards with specifications are answered through them.
    const standards = standardsWithSpecifications(catalog);
    const wanted = catalog.specs.filter(
      (s) => s.needsAttestation && !standards.has(s.citation),
    ).length;
    gathered.push({
      inputs: [
        {
          id: "attestations",
          kind: "attestations",
          name: opts.attestations,
          sha256: createHash("sha256").update(file.bytes).digest("hex"),
          bytes: file.bytes.length,
        },
      ],
      counts: new Map(),
      item: {
        id: "attestations",
        kind: "attestations",
        method: "INTERVIEW",
        title: `Organizational attestations${organization ? ` of ${organization}` : ""}`,
        inputs: ["attestations"],
        status: problems.length ? "WARN" : "PASS",
        summary: `${answered} specification(s) answered of ${wanted} with an organizational part${problems.length ? `; ${problems.length} problem(s)` : ""}`,
        results: [],
        facts: {
          answered,
          organizational: wanted,
          problems: problems.length,
          ...(opts.period
            ? { outsidePeriod: [...attestations.values()].filter((a) => a.outsidePeriod).length }
            : {}),
        },
      },
    });
  }

  const evidence = gathered
    .map((g) => g.item)
    .sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  const specifications = judge(catalog, gathered, attestations);
  const byStatus = Object.fromEntries(
    SPEC_STATUSES.map((s) => [s, specifications.filter((x) => x.status === s).length]),
  ) as Record<SpecStatus, number>;
  const requiredLacking = specifications
    .filter((s) => s.required && (s.status === "not-tested" || s.status === "not-attested"))
    .map((s) => s.citation);
  const failed = specifications.filter((s) => s.status === "not-satisfied").map((s) => s.citation);
  return {
    schema: REPORT_SCHEMA,
    generated: now.toISOString(),
    tool: { name: "imgsec", version: version() },
    ...(opts.period ? { period: opts.period } : {}),
    inputs: gathered.flatMap((g) => g.inputs),
    evidence,
    deidRuns,
    specifications,
    safeHarbor: catalog.safeHarbor,
    reidentification: { citation: "164.514(c)", modes, statement: catalog.reidentification },
    summary: {
      byStatus,
      requiredLacking,
      failed,
      pass: requiredLacking.length === 0 && failed.length === 0,
    },
    attestationProblems: problems,
  };
}

/** The standards that have implementation specifications of their own (met through them). */
const standardsWithSpecifications = (catalog: ComplianceCatalog) =>
  new Set(catalog.specs.map((s) => s.standard));

function version(): string {
  return JSON.parse(readFileSync(join(projectRoot(), "package.json"), "utf8")).version as string;
}

/** What the evidence says of one runtime kind for one specification. */
type Runtime = SpecResult["runtime"][number];

function judge(
  catalog: ComplianceCatalog,
  gathered: Gathered[],
  attestations: Map<string, Attestation>,
): SpecResult[] {
  const items = gathered.map((g) => g.item);
  const byKind = (k: string) => gathered.filter((g) => g.item.kind === k);
  const standards = standardsWithSpecifications(catalog);
  const own = catalog.specs.map((spec) =>
    judgeOne(
      // A standard with specifications needs no answer of its own: they carry its duties.
      standards.has(spec.citation) && !attestations.has(spec.citation)
        ? { ...spec, needsAttestation: false }
        : spec,
      items,
      byKind,
      attestations,
    ),
  );
  // A standard with implementation specifications is met through them (and its own evidence).
  const result: SpecResult[] = [];
  for (const s of own) {
    const children = own.filter((c) => c.standard === s.citation && c.kind !== "standard");
    result.push(children.length ? aggregate(s, children) : s);
  }
  return result;
}

function judgeOne(
  spec: CatalogSpec,
  items: EvidenceItem[],
  byKind: (k: string) => Gathered[],
  attestations: Map<string, Attestation>,
): SpecResult {
  const rules: RuleEvidence[] = [];
  const untestedRules: string[] = [];
  const kindOf = { deployment: "iac", package: "packages", audit: "audit-log" } as const;
  for (const r of spec.rules) {
    let seen = false;
    for (const g of byKind(kindOf[r.source])) {
      const c = g.counts.get(r.rule);
      if (!c) continue;
      seen = true;
      const all = g.item.results.filter(
        (x) => x.rule === r.rule && x.controls.includes(spec.citation),
      );
      rules.push({
        rule: r.rule,
        title: r.title,
        evidence: g.item.id,
        counts: c,
        findings: all.slice(0, MAX_FINDINGS_PER_RULE),
        ...(all.length > MAX_FINDINGS_PER_RULE
          ? { findingsOmitted: all.length - MAX_FINDINGS_PER_RULE }
          : {}),
      });
    }
    if (!seen) untestedRules.push(r.rule);
  }
  const runtime: Runtime[] = spec.runtime.map((kind) => runtimeOf(kind, spec, rules, items));
  const attestation = attestations.get(spec.citation);
  const base = {
    citation: spec.citation,
    title: spec.title,
    kind: spec.kind,
    ...(spec.standard ? { standard: spec.standard } : {}),
    required: spec.required,
    rules,
    untestedRules,
    runtime,
    inquiries: spec.inquiries,
    ...(spec.organizationalDuty ? { organizationalDuty: spec.organizationalDuty } : {}),
    ...(attestation ? { attestation } : {}),
    needsAttestation: spec.needsAttestation,
  };
  return { ...base, ...statusOf(spec, runtime, rules, attestation) };
}

function runtimeOf(
  kind: Runtime["kind"],
  spec: CatalogSpec,
  rules: RuleEvidence[],
  items: EvidenceItem[],
): Runtime {
  const given = items.filter((i) => i.kind === kind);
  if (given.length === 0) return { kind, status: "MISSING", summary: `no ${FLAG[kind]} given` };
  if (kind === "iac" || kind === "packages") {
    const mine = rules.filter((r) => given.some((g) => g.id === r.evidence));
    const c = sum(mine.map((r) => r.counts));
    const itemFail = given.some((g) => g.status === "FAIL" && kind === "packages");
    if (mine.length === 0 && !itemFail)
      return {
        kind,
        evidence: given[0].id,
        status: "MISSING",
        summary: `the given ${kind === "iac" ? "stacks declare no resource" : "packages give no result"} that this specification's rules judge`,
      };
    const status: Status = itemFail ? "FAIL" : worst(c);
    return {
      kind,
      evidence: given.map((g) => g.id).join(","),
      status,
      summary: `${c.PASS} passed, ${c.FAIL} failed, ${c.UNKNOWN} unknown, ${c.WAIVED} waived${itemFail ? "; some packages failed or were unusable" : ""} (${spec.rules.filter((r) => (kind === "iac" ? r.source === "deployment" : r.source === "package")).length} rules)`,
    };
  }
  const g = given[0];
  return { kind, evidence: g.id, status: g.status, summary: g.summary };
}

const FLAG: Record<Runtime["kind"], string> = {
  iac: "--iac",
  "audit-log": "--audit-log",
  packages: "--packages",
  "deid-runs": "de-identification run in the audit log (--audit-log)",
  attestations: "--attestations",
};

function sum(list: Counts[]): Counts {
  const t = zeroCounts();
  for (const c of list) for (const k of Object.keys(t) as Status[]) t[k] += c[k];
  return t;
}

function statusOf(
  spec: CatalogSpec,
  runtime: Runtime[],
  rules: RuleEvidence[],
  attestation?: Attestation,
): { status: SpecStatus; reason: string } {
  const failing = runtime.filter((r) => r.status === "FAIL");
  if (failing.length) {
    const n = sum(rules.map((r) => r.counts)).FAIL;
    return {
      status: "not-satisfied",
      reason: `failing evidence: ${failing.map((r) => r.kind).join(", ")}${n ? ` (${n} failed result(s))` : ""}`,
    };
  }
  if (attestation?.decision === "not-applicable")
    return {
      status: "not-applicable",
      reason: `attested not applicable: ${attestation.rationale}`,
    };
  const attested = attestation !== undefined;
  const org = spec.needsAttestation ? (attested ? "attested" : "missing") : "none";
  if (runtime.length === 0) {
    return attested
      ? { status: "attested", reason: `organizational: ${decisionText(attestation)}` }
      : {
          status: "not-attested",
          reason: "organizational: no attestation given (no tool can check this)",
        };
  }
  const present = runtime.filter((r) => r.status !== "MISSING");
  const missing = runtime.filter((r) => r.status === "MISSING");
  const doubtful = present.filter((r) => r.status === "UNKNOWN" || r.status === "WAIVED");
  if (present.length === 0) {
    if (attested)
      return {
        status: "partially-satisfied",
        reason: `attested (${decisionText(attestation)}), but no automated evidence: ${missing.map((m) => m.summary).join("; ")}`,
      };
    return {
      status: "not-tested",
      reason: `no evidence: ${missing.map((m) => m.summary).join("; ")}`,
    };
  }
  const gaps = [
    ...missing.map((m) => `missing ${m.kind} (${m.summary})`),
    ...doubtful.map(
      (d) => `${d.kind} ${d.status === "UNKNOWN" ? "has UNKNOWN results" : "has waived failures"}`,
    ),
    ...(org === "missing" ? ["the organization's part is not attested"] : []),
  ];
  if (gaps.length === 0)
    return {
      status: "satisfied",
      reason: `evidence passed: ${present.map((p) => (p.status === "WARN" ? `${p.kind} (with warnings)` : p.kind)).join(", ")}${attested ? `; ${decisionText(attestation)}` : ""}`,
    };
  return { status: "partially-satisfied", reason: gaps.join("; ") };
}

function decisionText(a?: Attestation): string {
  if (!a) return "";
  const by = `attested by ${a.attestedBy} on ${a.date}`;
  if (a.decision === "alternative") return `alternative measure (${by})`;
  if (a.decision === "not-reasonable")
    return `documented as not reasonable and appropriate (${by})`;
  return `implemented (${by})`;
}

const RANK: Record<SpecStatus, number> = {
  "not-satisfied": 0,
  "partially-satisfied": 1,
  "not-tested": 2,
  "not-attested": 3,
  attested: 4,
  satisfied: 5,
  "not-applicable": 6,
};

/** A standard judged with its implementation specifications. */
function aggregate(standard: SpecResult, children: SpecResult[]): SpecResult {
  const hasOwn = standard.rules.length > 0 || standard.attestation !== undefined;
  const parts = hasOwn ? [standard, ...children] : children;
  const statuses = parts.map((p) => p.status);
  const all = (ok: SpecStatus[]) => statuses.every((s) => ok.includes(s));
  let status: SpecStatus;
  if (standard.attestation?.decision === "not-applicable" && !statuses.includes("not-satisfied"))
    status = "not-applicable";
  else if (statuses.includes("not-satisfied")) status = "not-satisfied";
  else if (all(["not-applicable"])) status = "not-applicable";
  else if (all(["satisfied", "attested", "not-applicable"]))
    status = statuses.includes("satisfied") ? "satisfied" : "attested";
  else if (all(["not-tested", "not-attested"]))
    status = statuses.includes("not-tested") ? "not-tested" : "not-attested";
  else status = "partially-satisfied";
  const worstChild = [...children].sort((a, b) => RANK[a.status] - RANK[b.status])[0];
  const counts = SPEC_STATUSES.filter((s) => children.some((c) => c.status === s))
    .map((s) => `${children.filter((c) => c.status === s).length} ${s}`)
    .join(", ");
  return {
    ...standard,
    // The standard's own duty is met through its specifications: it blocks nothing by itself.
    required: false,
    status,
    reason: `through its ${children.length} implementation specification(s): ${counts}${
      status !== "satisfied" && worstChild
        ? ` (e.g. ${worstChild.citation}: ${worstChild.status})`
        : ""
    }`,
  };
}
