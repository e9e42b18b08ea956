/**
 * The compliance report's data model: what `imgsec report` builds from the evidence, and what
 * every output (HTML, JSON, CSV, OSCAL) renders. Outputs only render it; every judgement (a
 * specification's status, what counts as evidence) is made once, in build.ts.
 *
 * No PHI: objects appear only by new UID, pseudonym, digest or dataset id, as in the audit log;
 * evidence files are named as the user named them on the command line (a stack, a log, a folder),
 * never by the DICOM files inside them.
 */
import type { CheckResult, Status } from "../../handlers/results/result";

export const REPORT_SCHEMA = "imgsec-compliance-report/1";

/**
 * A specification lists at most this many findings per rule (the evidence item lists them all):
 * 10,000 failing packages would otherwise be listed again under every specification their rule
 * supports, and the report's memory and size would grow with the failures times the citations.
 */
export const MAX_FINDINGS_PER_RULE = 100;

/**
 * A specification's status. Nothing is `satisfied` without evidence:
 * - satisfied: every automated check that bears on it passed, every runtime evidence it needs was
 *   given and verified, and the organization's part (if any) is attested;
 * - not-satisfied: some evidence failed;
 * - partially-satisfied: some evidence passed, but part is missing, UNKNOWN, WAIVED, or the
 *   organization's part is not attested;
 * - not-tested: it has automated evidence, and none of it was given;
 * - attested / not-attested: organizational only (no tool can check it): the organization's answer
 *   is there, or is not;
 * - not-applicable: the organization attested that it does not apply, with a rationale.
 */
export type SpecStatus =
  | "satisfied"
  | "not-satisfied"
  | "partially-satisfied"
  | "not-tested"
  | "attested"
  | "not-attested"
  | "not-applicable";

export const SPEC_STATUSES: SpecStatus[] = [
  "satisfied",
  "not-satisfied",
  "partially-satisfied",
  "not-tested",
  "attested",
  "not-attested",
  "not-applicable",
];

/** 45 CFR: a standard, or an implementation specification that is Required or Addressable. */
export type SpecKind = "standard" | "required" | "addressable";

/** How an auditor obtains evidence (OSCAL observation methods). */
export type EvidenceMethod = "EXAMINE" | "TEST" | "INTERVIEW";

/** The kinds of evidence the report gathers, each by running a verifier. */
export type EvidenceKind =
  | "iac" // the deployment gate over synthesized stacks, Terraform JSON or a plan (--iac)
  | "audit-log" // audit verify: chain, HMACs (with the key), checkpoint signatures (--audit-log)
  | "packages" // verify-package over a folder of packages, all or a stated sample (--packages)
  | "deid-runs" // the de-identification runs recorded in the audit log
  | "attestations"; // the organization's answers (--attestations)

/** One input file or folder, by the name the user gave and its digest. */
export interface EvidenceInput {
  /** Stable within a report: "iac-1", "audit-log", "packages-1", "attestations". */
  id: string;
  kind: EvidenceKind;
  /** As given on the command line (a path or s3:// URL); a folder's files are listed in `files`. */
  name: string;
  /** sha256 of the file, or of a folder's sorted (relative name, sha256) list. */
  sha256: string;
  bytes: number;
  /**
   * An append-only audit log: `sha256` covers its first `bytes` bytes (the log as it was read),
   * so records appended later (this report's own) leave the evidence verifiable.
   */
  appendOnly?: boolean;
  /** For folders: every file read, relative to `name`, with its digest (packages by digest name). */
  files?: { name: string; sha256: string; bytes: number }[];
}

/** What one verifier found, for the report's evidence section. */
export interface EvidenceItem {
  id: string;
  kind: EvidenceKind;
  method: EvidenceMethod;
  title: string;
  /** The ids of the EvidenceInputs it was made from. */
  inputs: string[];
  /** PASS: verified; FAIL: something failed; UNKNOWN: could not be judged; WARN: passed with warnings. */
  status: Status;
  /** One line: what was checked and what it found, e.g. "200 of 10,000 packages (random sample, seed …): 200 passed". */
  summary: string;
  /**
   * The results that are not PASS (FAIL, UNKNOWN, WAIVED, WARN), in the one result shape; PASS
   * results are counted per rule in each specification's RuleEvidence, not listed (10,000
   * packages give 150,000 of them).
   */
  results: CheckResult[];
  /** Facts by name, for the outputs to show (counts, log id, sample size...). Numbers or short strings. */
  facts: Record<string, number | string | boolean>;
}

/** A de-identification run as the audit log records it (deid events grouped by policy). */
export interface DeidRun {
  /**
   * sha256 of the de-identification policy (profile data + options), hex; "unrecorded" for events
   * of logs written before deid records carried it (their profile is "unrecorded" too).
   */
  policy: string;
  profile: string;
  /** PS3.15 option names in force. */
  options: string[];
  /** CID 7050 codes recorded in (0012,0064), e.g. "113100". */
  methods: { code: string; meaning: string }[];
  /** Events by outcome (ok/duplicate/conflict/quarantined/rejected/...). */
  counts: Record<string, number>;
  datasets: string[];
  /** The time of the run's first and last events (outside the period too). */
  first: string;
  last: string;
  /** Events of this run outside --period (counted apart, not in `counts`). */
  outsidePeriod: number;
}

/** The organization's answer for one specification (from --attestations). */
export interface Attestation {
  citation: string;
  /** For Addressable specifications; Required ones are `implemented` or `not-applicable`. */
  decision: "implemented" | "alternative" | "not-reasonable" | "not-applicable";
  /** Who attested (a role and name as the organization writes it; never a patient). */
  attestedBy: string;
  /** YYYY-MM-DD. */
  date: string;
  /** Where the document is kept: a policy number, a file name, a URL. */
  document: string;
  /** Why: required for alternative, not-reasonable and not-applicable. */
  rationale?: string;
  /** The alternative measure, for `alternative`. */
  alternative?: string;
  /** The attestation's date is outside --period. */
  outsidePeriod?: boolean;
}

/** A rule's results for one specification. */
export interface RuleEvidence {
  rule: string;
  title: string;
  /** Which evidence produced the results. */
  evidence: string;
  counts: { PASS: number; FAIL: number; WARN: number; WAIVED: number; UNKNOWN: number };
  /**
   * The results that are not PASS (FAIL, UNKNOWN, WAIVED, WARN), with resource and remediation:
   * the first MAX_FINDINGS_PER_RULE of them; every one is in its evidence item's results.
   */
  findings: CheckResult[];
  /** Findings not listed here (beyond MAX_FINDINGS_PER_RULE); counted in `counts`. */
  findingsOmitted?: number;
}

/** One standard or implementation specification of the Security Rule, judged. */
export interface SpecResult {
  citation: string;
  title: string;
  kind: SpecKind;
  /** The standard it belongs to (for implementation specifications). */
  standard?: string;
  /** Required for exit 0: a Required specification, or a standard with no specifications of its own. */
  required: boolean;
  status: SpecStatus;
  /** One line: why this status. */
  reason: string;
  /** Automated rules that support it (from the rules' METADATA), with their results. */
  rules: RuleEvidence[];
  /** Rules that support it but that no given evidence evaluated (not tested). */
  untestedRules: string[];
  /** Runtime evidence that supports it: each kind, and the item that provided it (if any). */
  runtime: { kind: EvidenceKind; evidence?: string; status: Status | "MISSING"; summary: string }[];
  /** What an auditor asks of the organization (OCR audit protocol style). */
  inquiries: string[];
  /** What remains the organization's duty even when the tool's evidence passes. */
  organizationalDuty?: string;
  attestation?: Attestation;
  /** Has an organizational part (needs an attestation to be fully satisfied). */
  needsAttestation: boolean;
}

/** How the de-identification profile handles one Safe Harbor identifier (164.514(b)(2)(i)). */
export interface SafeHarborRow {
  /** "A" .. "R". */
  letter: string;
  identifier: string;
  /** How: in one or two sentences. */
  handling: string;
  /** Table E.1-1 rows (attribute keyword and tag) that do it, with the Basic Profile action. */
  attributes: { tag: string; name: string; action: string }[];
  /** What the profile does not cover (burned-in text, free text in private tags...) and what does. */
  caveat?: string;
}

export interface ComplianceReport {
  schema: typeof REPORT_SCHEMA;
  /** ISO 8601, UTC. */
  generated: string;
  tool: { name: "imgsec"; version: string };
  /** The audit period (inclusive dates), when given. */
  period?: { from: string; to: string };
  inputs: EvidenceInput[];
  evidence: EvidenceItem[];
  deidRuns: DeidRun[];
  specifications: SpecResult[];
  safeHarbor: SafeHarborRow[];
  /**
   * 164.514(c): the pseudonym modes the audit log shows in use ("keyed-hmac", "random-mapping";
   * empty when no de-identification is recorded) and what each means for 164.514(c).
   */
  reidentification: { citation: "164.514(c)"; modes: string[]; statement: string };
  summary: {
    byStatus: Record<SpecStatus, number>;
    /** Required specifications without evidence (not-tested or not-attested). */
    requiredLacking: string[];
    /** Specifications not-satisfied. */
    failed: string[];
    /** Exit 0 when neither list has an entry. */
    pass: boolean;
  };
  /** Attestations given for citations not in the catalog, or duplicated (reported, not used). */
  attestationProblems: string[];
}
