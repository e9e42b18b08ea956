/**
 * `imgsec report` and `imgsec report verify`: arguments and printing only; the report is built in
 * compliance/report (build.ts judges, the renderers render, integrity.ts writes and verifies).
 */
import { existsSync, statSync } from "node:fs";
import { Command, Option } from "commander";
import { ReportUsageError } from "../compliance/report/errors";
import { isCalendarDate } from "../handlers/results/calendar";
import type { ComplianceReport, SpecStatus } from "../compliance/report/model";
import type { Period } from "../compliance/report/evidence";
import type { AuditFlags } from "./audit-trail";

export const REPORT_FORMATS = ["html", "json", "csv", "oscal"] as const;
type Format = (typeof REPORT_FORMATS)[number];
const FILE_OF: Record<Format, string> = {
  html: "report.html",
  json: "report.json",
  csv: "report.csv",
  oscal: "report.oscal.json",
};

export interface ReportCliOptions extends AuditFlags {
  iac: string[];
  auditLog?: string;
  pubkey?: string;
  kmsKey?: string;
  allowOpen?: boolean;
  packages: string[];
  sample?: string;
  seed?: string;
  acceptPolicy: string[];
  attestations?: string;
  period?: string;
  format: string[];
  out: string;
  /** Where the report is recorded (default: $IMGSEC_AUDIT_LOG, then audit.jsonl beside the key file). */
  recordIn?: string;
  sign?: boolean;
  now?: Date;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function reportCommand(setExit: (code: number) => void): Command {
  const report = new Command("report")
    .description(
      "the auditors' compliance report: every HIPAA Security Rule specification with its evidence (gate, audit log, packages, attestations), as HTML, JSON, CSV and OSCAL",
    )
    .exitOverride()
    // `report verify` has options of the same names (--keys, --pubkey): each command reads its own.
    .enablePositionalOptions()
    .option(
      "--iac <path>",
      "stacks or plans for the deployment gate (cdktf.out, cdk.tf.json, plan JSON, *.tf.json; repeatable)",
      collect,
      [],
    )
    .option(
      "--audit-log <log>",
      "audit log to verify and read for de-identification runs: a file or s3://bucket/prefix/",
    )
    .option(
      "--pubkey <file>",
      "checkpoint public key (PEM) for the audit log: all an auditor needs",
    )
    .option("--kms-key <arn>", "the KMS key that signs the audit log's checkpoints")
    .option(
      "--keys <file>",
      "key file: audit HMACs checked, and the report signed (default: $IMGSEC_KEYS, then .imgsec/keys.json)",
    )
    .option("--allow-open", "accept an audit log still being written (reported)")
    .option(
      "--packages <dir>",
      "folder of packages to verify without a key (repeatable)",
      collect,
      [],
    )
    .option(
      "--sample <n>",
      "verify a random sample of n packages per folder (seeded; default: all)",
    )
    .option(
      "--seed <hex>",
      "the sample's seed, to redraw the same sample (default: random, stated in the report)",
    )
    .option(
      "--accept-policy <hash|profile>",
      "accepted de-identification policy for packages (repeatable; default: the strict profile)",
      collect,
      [],
    )
    .option(
      "--attestations <file>",
      "the organization's answers, YAML or JSON (see samples/attestations.yaml)",
    )
    .option(
      "--period <from..to>",
      "the audit period, YYYY-MM-DD..YYYY-MM-DD; evidence outside it is shown apart",
    )
    .addOption(
      new Option(
        "--format <format>",
        `outputs to write: ${REPORT_FORMATS.join(", ")} (repeatable; default: html and json)`,
      ).argParser((v: string, prev: string[] | undefined) => {
        if (!(REPORT_FORMATS as readonly string[]).includes(v))
          throw new ReportUsageError(`--format ${v}: one of ${REPORT_FORMATS.join(", ")}`);
        return [...(prev ?? []), v];
      }),
    )
    .option(
      "--out <dir>",
      "folder to write the report into (absent, empty, or an earlier report)",
      "report",
    )
    .option(
      "--record-in <file>",
      "audit log that records the report (default: $IMGSEC_AUDIT_LOG, then audit.jsonl beside the key file)",
    )
    .option(
      "--no-sign",
      "do not sign the manifest even when the key file has the audit-signing key (reported)",
    )
    .option("--no-audit", "do not record the report in the audit log")
    .action(async (opts: ReportCliOptions) => {
      const r = await runReport(opts);
      process.stdout.write(formatReportText(r.report, r.out, r.files, r.signed));
      process.stderr.write(`${r.audit}\n`);
      setExit(r.report.summary.pass ? 0 : 1);
    });
  report
    .command("verify")
    .description(
      "verify a report folder: its signature, its outputs, and that the evidence it lists is unchanged",
    )
    .argument("<dir>", "the report folder")
    .option("--pubkey <file>", "the signer's public key, PEM (imgsec audit public-key)")
    .option(
      "--keys <file>",
      "key file holding the signer's key (default: $IMGSEC_KEYS, then .imgsec/keys.json, unless --pubkey)",
    )
    .option(
      "--base <dir>",
      "folder the report's evidence paths are relative to (default: the current one)",
    )
    .addOption(
      new Option("--format <format>", "output format").choices(["text", "json"]).default("text"),
    )
    .action(
      async (
        dir: string,
        opts: { pubkey?: string; keys?: string; base?: string; format: string },
      ) => {
        const { runReportVerify, formatVerifyText } = await import("./report-verify");
        const r = await runReportVerify(dir, opts);
        process.stdout.write(
          opts.format === "json" ? JSON.stringify(r, null, 2) + "\n" : formatVerifyText(r),
        );
        setExit(r.results.some((x) => x.status === "FAIL") ? 1 : 0);
      },
    );
  return report;
}

export function parsePeriod(text: string): Period {
  const m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(text);
  if (!m || !isCalendarDate(m[1]) || !isCalendarDate(m[2]))
    throw new ReportUsageError(`--period ${text}: write it YYYY-MM-DD..YYYY-MM-DD`);
  if (m[1] > m[2]) throw new ReportUsageError(`--period ${text}: it ends before it begins`);
  return { from: m[1], to: m[2] };
}

function mustExist(flag: string, path: string, folder?: boolean): void {
  if (!existsSync(path)) throw new ReportUsageError(`${flag} ${path}: no such file or folder`);
  if (folder && !statSync(path).isDirectory())
    throw new ReportUsageError(`${flag} ${path}: not a folder`);
}

export interface ReportRun {
  report: ComplianceReport;
  out: string;
  files: string[];
  signed: boolean;
  digest: string;
  audit: string;
}

export async function runReport(opts: ReportCliOptions): Promise<ReportRun> {
  for (const p of opts.iac ?? []) mustExist("--iac", p);
  for (const p of opts.packages ?? []) mustExist("--packages", p, true);
  if (opts.auditLog && !opts.auditLog.startsWith("s3://")) mustExist("--audit-log", opts.auditLog);
  let sample: number | undefined;
  if (opts.sample !== undefined) {
    if (!/^[1-9][0-9]{0,8}$/.test(opts.sample))
      throw new ReportUsageError(`--sample ${opts.sample}: a whole number of packages, 1 or more`);
    sample = Number(opts.sample);
  }
  if (opts.seed !== undefined && !/^[0-9a-f]{32}$/.test(opts.seed))
    throw new ReportUsageError(`--seed must be 32 hex digits (the seed a report states)`);
  const period = opts.period ? parsePeriod(opts.period) : undefined;
  const formats: Format[] = opts.format?.length
    ? ([...new Set(opts.format)] as Format[])
    : ["html", "json"];

  const { buildReport } = await import("../compliance/report/build");
  const report = await buildReport({
    iac: opts.iac,
    auditLog: opts.auditLog,
    pubkey: opts.pubkey,
    keys: opts.keys,
    kmsKey: opts.kmsKey,
    allowOpen: opts.allowOpen,
    packages: opts.packages,
    sample,
    seed: opts.seed,
    acceptPolicy: opts.acceptPolicy,
    attestations: opts.attestations,
    period,
    now: opts.now,
  });
  const outputs: { name: string; data: string }[] = [];
  for (const f of formats) outputs.push({ name: FILE_OF[f], data: await render(f, report) });

  const { writeReportDir } = await import("../compliance/report/integrity");
  const key = opts.sign === false ? undefined : await signingKey(opts.keys);
  // The log that records the report is opened before the report is written: a log that cannot
  // take the record (another key's, torn) stops the run with nothing written, so no report
  // exists unrecorded.
  const { openTrail } = await import("./audit-trail");
  const trail = await openTrail(
    { auditLog: opts.recordIn, keys: opts.keys, audit: opts.audit },
    false,
  );
  try {
    const { digest, signed } = writeReportDir(opts.out, report, outputs, key);
    await record(trail, report, digest, signed);
    return {
      report,
      out: opts.out,
      files: outputs.map((o) => o.name),
      signed,
      digest,
      audit: trail.note,
    };
  } finally {
    await trail.close();
  }
}

/**
 * Renders one output. The JSON and OSCAL documents are validated against their schemas before
 * anything is written: an auditor's tool that reads them must never be the first to find them
 * wrong (a failure here is a defect of ours: an internal error, exit 2, nothing written).
 */
async function render(f: Format, report: ComplianceReport): Promise<string> {
  switch (f) {
    case "html":
      return (await import("../compliance/report/html")).renderHtml(report);
    case "json": {
      const { toReportJson, validateReportJson } = await import("../compliance/report/json");
      const text = toReportJson(report);
      refuseInvalid("report.json", validateReportJson(JSON.parse(text)));
      return text;
    }
    case "csv":
      return (await import("../compliance/report/csv")).toCsv(report);
    case "oscal": {
      const { toOscal, validateOscal } = await import("../compliance/report/oscal");
      const doc = toOscal(report);
      refuseInvalid("report.oscal.json", validateOscal(doc));
      return JSON.stringify(doc, null, 2) + "\n";
    }
  }
}

function refuseInvalid(name: string, errors: string[]): void {
  if (errors.length)
    throw new Error(`${name} does not validate against its schema: ${errors[0]} (a defect)`);
}

/** The key file's audit-signing key, when there is one; the report is then signed. */
async function signingKey(keys?: string) {
  const { keyFilePath, loadSigningKey } = await import("../handlers/keys/keyfile");
  const path = keyFilePath(keys);
  if (!existsSync(path)) return undefined;
  try {
    return loadSigningKey(path).privateKey;
  } catch {
    return undefined;
  }
}

async function record(
  trail: import("./audit-trail").Trail,
  report: ComplianceReport,
  digest: string,
  signed: boolean,
): Promise<void> {
  const s = report.summary.byStatus;
  await trail.append({
    op: "report",
    outcome: report.summary.pass ? "ok" : "failed",
    objects: [{ kind: "report", digest: `sha256:${digest}` }],
    details: {
      specifications: report.specifications.length,
      satisfied: s.satisfied,
      notSatisfied: s["not-satisfied"],
      partiallySatisfied: s["partially-satisfied"],
      notTested: s["not-tested"],
      attested: s.attested,
      notAttested: s["not-attested"],
      notApplicable: s["not-applicable"],
      requiredLacking: report.summary.requiredLacking.length,
      inputs: report.inputs.length,
      signed,
    },
  });
}

const ORDER: SpecStatus[] = [
  "satisfied",
  "partially-satisfied",
  "not-satisfied",
  "not-tested",
  "attested",
  "not-attested",
  "not-applicable",
];

export function formatReportText(
  report: ComplianceReport,
  out: string,
  files: string[],
  signed: boolean,
): string {
  const lines: string[] = [];
  const s = report.summary;
  lines.push(
    `compliance report: ${report.specifications.length} Security Rule standards and specifications${report.period ? `, period ${report.period.from}..${report.period.to}` : ""}`,
  );
  for (const e of report.evidence)
    lines.push(`  evidence ${e.status.padEnd(7)} ${e.title}: ${e.summary}`);
  lines.push(`  ${ORDER.map((k) => `${s.byStatus[k]} ${k}`).join(", ")}`);
  if (s.failed.length) lines.push(`  not satisfied: ${s.failed.join(", ")}`);
  if (s.requiredLacking.length)
    lines.push(`  required, without evidence: ${s.requiredLacking.join(", ")}`);
  for (const p of report.attestationProblems) lines.push(`  attestations: ${p}`);
  lines.push(
    `report: ${s.pass ? "PASS (nothing failed; every required specification has evidence)" : "FAIL"}`,
  );
  lines.push(
    `written to ${out}/: ${[...files, "manifest.json", ...(signed ? ["manifest.sig"] : [])].join(", ")}${signed ? "" : " (NOT signed: no audit-signing key, or --no-sign)"}`,
  );
  return lines.join("\n") + "\n";
}
