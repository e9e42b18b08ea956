/**
 * The compliance catalog: every standard and implementation specification of the HIPAA Security
 * Rule with the automated rules that cite it, the runtime evidence that supports it and what only
 * the organization can answer; and how the strict de-identification profile meets the Safe Harbor
 * list of 164.514(b)(2)(i). The content is data (compliance/*.json, see compliance/README.md);
 * this module only joins it with the rules' own metadata, the one source of citations.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import * as auditRuleModule from "../handlers/audit/rules";
import dictionaryJson from "../handlers/dicom/data/dictionary.json";
import profileJson from "../handlers/dicom/data/profile.json";
import { projectRoot } from "../policies/engine/paths";
import type { EvidenceKind, SafeHarborRow, SpecKind } from "./report/model";

export interface CatalogRule {
  rule: string;
  title: string;
  source: "deployment" | "package" | "audit";
}

export interface CatalogSpec {
  citation: string;
  title: string;
  kind: SpecKind;
  /** The standard it belongs to (implementation specifications). */
  standard?: string;
  /** Required spec, or a standard with no implementation specification of its own. */
  required: boolean;
  /** Every rule whose METADATA controls cite exactly this citation. */
  rules: CatalogRule[];
  /** Evidence kinds the rules imply, plus controls.json's extra kinds; sorted, unique. */
  runtime: EvidenceKind[];
  /** controls.json "organizational". */
  needsAttestation: boolean;
  inquiries: string[];
  organizationalDuty?: string;
  applicability?: string;
}

export interface ComplianceCatalog {
  specs: CatalogSpec[];
  safeHarbor: SafeHarborRow[];
  reidentification: string;
  source: string;
}

/** Where rule metadata is extracted to at build time (scripts/build-policies.js). */
const RULE_FILES = [
  { source: "deployment", file: "policies/dist/catalog.json" },
  { source: "package", file: "policies/dist/package-catalog.json" },
] as const;

/** The evidence whose verifier evaluates each kind of rule. */
const EVIDENCE_OF: Record<CatalogRule["source"], EvidenceKind> = {
  deployment: "iac",
  package: "packages",
  audit: "audit-log",
};

const CITATIONS_FILE = "compliance/hipaa-security-rule.json";
const CONTROLS_FILE = "compliance/controls.json";
const SAFE_HARBOR_FILE = "compliance/safe-harbor.json";

const text = z.string().trim().min(1);

const securityRuleSchema = z.object({
  source: text,
  security_rule: z.array(
    z.object({
      citation: text,
      title: text,
      kind: z.enum(["standard", "required", "addressable"]),
    }),
  ),
  safe_harbor_164_514_b_2_i: z.array(z.object({ item: text, identifier: text })),
});

const ruleCatalogSchema = z.array(
  z.object({ id: text, title: text, controls: z.array(z.string()) }),
);

/** Extra runtime evidence a specification needs beyond what its rules imply. */
const EXTRA_EVIDENCE = ["audit-log", "packages", "deid-runs"] as const;

const controlsSchema = z.record(
  z.string(),
  z.strictObject({
    organizational: z.boolean(),
    evidence: z.array(z.enum(EXTRA_EVIDENCE)).optional(),
    inquiries: z.array(text).min(2).max(4),
    duty: text,
    applicability: text.optional(),
  }),
);

const safeHarborSchema = z.strictObject({
  note: text,
  identifiers: z.record(
    z.string(),
    z.strictObject({ handling: text, tags: z.array(z.string()), caveat: text.optional() }),
  ),
  reidentification: text,
});

interface ProfileRow {
  tag: string;
  name: string;
  basic: string;
}
const PROFILE_ROWS = new Map(
  (profileJson.rows as ProfileRow[]).map((row) => [row.tag, row] as const),
);
const DICTIONARY: Record<string, string[]> = dictionaryJson;

function errnoCode(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? "error";
}

/** A shipped file, parsed and checked against its schema; errors name the file and the field. */
function readData<T>(root: string, file: string, schema: z.ZodType<T>): T {
  let raw: string;
  try {
    raw = readFileSync(join(root, file), "utf8");
  } catch (e) {
    throw new Error(`compliance catalog: cannot read ${file}: ${errnoCode(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`compliance catalog: ${file} is not valid JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
    throw new Error(`compliance catalog: ${file}${at}: ${issue.message}`);
  }
  return parsed.data;
}

interface AuditRuleLike {
  rule: string;
  title: string;
  controls: string[];
}

const isAuditRule = (v: unknown): v is AuditRuleLike => {
  const r = v as AuditRuleLike;
  return (
    typeof r === "object" &&
    r !== null &&
    typeof r.rule === "string" &&
    typeof r.title === "string" &&
    Array.isArray(r.controls)
  );
};

/**
 * Every audit rule the verifier can emit: each exported table of handlers/audit/rules.ts whose
 * entries are rules (AUDIT_RULES today), so a table added there is picked up without a change here.
 */
function auditRules(): AuditRuleLike[] {
  const rules: AuditRuleLike[] = [];
  for (const exported of Object.values(auditRuleModule)) {
    if (typeof exported !== "object" || exported === null) continue;
    const entries = Object.values(exported);
    if (entries.length > 0 && entries.every(isAuditRule)) rules.push(...entries);
  }
  return rules;
}

/** "00100010" -> "(0010,0010)"; patterns keep their X ("(60XX,3000)"); "private" stays. */
function displayTag(tag: string): string {
  return /^[0-9A-FX]{8}$/.test(tag) ? `(${tag.slice(0, 4)},${tag.slice(4)})` : tag;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function build(root: string): ComplianceCatalog {
  const rule = readData(root, CITATIONS_FILE, securityRuleSchema);
  const controls = readData(root, CONTROLS_FILE, controlsSchema);
  const safeHarborData = readData(root, SAFE_HARBOR_FILE, safeHarborSchema);

  const known = new Set<string>();
  for (const row of rule.security_rule) {
    if (known.has(row.citation)) {
      throw new Error(`compliance catalog: ${CITATIONS_FILE} lists ${row.citation} twice`);
    }
    known.add(row.citation);
  }

  // Rules by the citation they name, spelled exactly as the Security Rule file spells it.
  const byCitation = new Map<string, CatalogRule[]>();
  const seen = new Set<string>();
  const add = (r: CatalogRule, cites: string[], from: string) => {
    if (seen.has(r.rule)) throw new Error(`compliance catalog: rule ${r.rule} is defined twice`);
    seen.add(r.rule);
    for (const citation of new Set(cites)) {
      if (!known.has(citation)) {
        throw new Error(
          `compliance catalog: rule ${r.rule} (${from}) cites ${citation}, which is not a citation of ${CITATIONS_FILE}`,
        );
      }
      const list = byCitation.get(citation) ?? [];
      list.push(r);
      byCitation.set(citation, list);
    }
  };
  const byRule = (a: { rule: string }, b: { rule: string }) => a.rule.localeCompare(b.rule);
  for (const { source, file } of RULE_FILES) {
    const metas = readData(root, file, ruleCatalogSchema).map((m) => ({ ...m, rule: m.id }));
    for (const meta of metas.sort(byRule)) {
      add({ rule: meta.rule, title: meta.title, source }, meta.controls, file);
    }
  }
  for (const meta of auditRules().sort(byRule)) {
    add({ rule: meta.rule, title: meta.title, source: "audit" }, meta.controls, "audit rules");
  }

  for (const citation of Object.keys(controls)) {
    if (!known.has(citation)) {
      throw new Error(
        `compliance catalog: ${CONTROLS_FILE} has ${citation}, which is not a citation of ${CITATIONS_FILE}`,
      );
    }
  }

  // Implementation specifications belong to the standard above them.
  const withSpecs = new Set<string>();
  let current: string | undefined;
  for (const row of rule.security_rule) {
    if (row.kind === "standard") current = row.citation;
    else if (current === undefined) {
      throw new Error(`compliance catalog: ${row.citation} comes before any standard`);
    } else withSpecs.add(current);
  }

  current = undefined;
  const specs = rule.security_rule.map((row): CatalogSpec => {
    if (row.kind === "standard") current = row.citation;
    const entry = controls[row.citation];
    if (!entry) {
      throw new Error(`compliance catalog: ${CONTROLS_FILE} has no entry for ${row.citation}`);
    }
    const rules = byCitation.get(row.citation) ?? [];
    const runtime = new Set<EvidenceKind>(entry.evidence ?? []);
    for (const r of rules) runtime.add(EVIDENCE_OF[r.source]);
    const spec: CatalogSpec = {
      citation: row.citation,
      title: row.title,
      kind: row.kind,
      required:
        row.kind === "required" || (row.kind === "standard" && !withSpecs.has(row.citation)),
      rules,
      runtime: [...runtime].sort(),
      needsAttestation: entry.organizational,
      inquiries: entry.inquiries,
      organizationalDuty: entry.duty,
    };
    if (row.kind !== "standard") spec.standard = current;
    if (entry.applicability) spec.applicability = entry.applicability;
    return spec;
  });

  const letters = rule.safe_harbor_164_514_b_2_i.map((h) => h.item);
  for (const letter of Object.keys(safeHarborData.identifiers)) {
    if (!letters.includes(letter)) {
      throw new Error(
        `compliance catalog: ${SAFE_HARBOR_FILE} has identifier ${letter}, which 164.514(b)(2)(i) does not`,
      );
    }
  }
  const safeHarbor = rule.safe_harbor_164_514_b_2_i.map((h): SafeHarborRow => {
    const entry = safeHarborData.identifiers[h.item];
    if (!entry) {
      throw new Error(
        `compliance catalog: ${SAFE_HARBOR_FILE} has no entry for identifier ${h.item}`,
      );
    }
    if (new Set(entry.tags).size !== entry.tags.length) {
      throw new Error(
        `compliance catalog: ${SAFE_HARBOR_FILE} identifier ${h.item} lists a tag twice`,
      );
    }
    const attributes = entry.tags.map((tag) => {
      const row = PROFILE_ROWS.get(tag);
      if (!row) {
        throw new Error(
          `compliance catalog: ${SAFE_HARBOR_FILE} identifier ${h.item} names tag ${tag}, which is not a row of Table E.1-1 (handlers/dicom/data/profile.json)`,
        );
      }
      return { tag: displayTag(tag), name: DICTIONARY[tag]?.[0] ?? row.name, action: row.basic };
    });
    const out: SafeHarborRow = {
      letter: h.item,
      identifier: h.identifier,
      handling: entry.handling,
      attributes,
    };
    if (entry.caveat) out.caveat = entry.caveat;
    return out;
  });

  return {
    specs,
    safeHarbor,
    reidentification: safeHarborData.reidentification,
    source: rule.source,
  };
}

const cache = new Map<string, ComplianceCatalog>();

/**
 * The catalog, from compliance/*.json and policies/dist/*.json under `root` (default: the project
 * root) and the audit rules in code. Built once per root and frozen: callers share it, so a
 * mutation would leak into the next report; copy what you need to change. Throws an Error naming
 * the file and the offending citation, rule or tag when the shipped data is inconsistent.
 */
export function loadComplianceCatalog(opts: { root?: string } = {}): ComplianceCatalog {
  const root = resolve(opts.root ?? projectRoot());
  let catalog = cache.get(root);
  if (!catalog) {
    catalog = deepFreeze(build(root));
    cache.set(root, catalog);
  }
  return catalog;
}
