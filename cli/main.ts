import { Command, CommanderError, Option } from "commander";
import { writeOutFile } from "./fs-atomic";
import { auditCommand } from "./audit";
import { keysCommand } from "./keys";
import { reportCommand } from "./report";
import { EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE, UsageError, isExpected, oneLine } from "./errors";

// Shared by every command that records in the audit log.
const auditLogOption = () =>
  new Option(
    "--audit-log <file>",
    "audit log (default: $IMGSEC_AUDIT_LOG, then audit.jsonl beside the key file)",
  );
/** `reported`: commands that touch images say in their output that nothing was recorded. */
const noAuditOption = (reported: boolean) =>
  new Option("--no-audit", `do not record in the audit log${reported ? " (reported)" : ""}`);

// Paths are never printed unless asked for: folder names are often patient names.
const showPathsOption = () =>
  new Option(
    "--show-paths",
    "name inputs by path in the summary and errors (paths may hold PHI; default: by position)",
  );

// The de-identification options, shared by deid and run.
const deidOptionOption = () =>
  new Option(
    "--option <name>",
    "a PS3.15 option, repeatable (e.g. retain-longitudinal-modified-dates)",
  )
    .argParser(collect)
    .default([]);
const profileOption = () =>
  new Option("--profile <name>", "a named option set: strict (default), research");

const formatOption = () =>
  new Option("--format <format>", "output format").choices(["text", "json"]).default("text");

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command("imgsec")
    .description(
      "HIPAA-grade medical imaging on AWS: infrastructure, policy checks, de-identification, encryption, audit",
    )
    .exitOverride()
    // Options after a subcommand are the subcommand's (`report verify --keys` is verify's).
    .enablePositionalOptions()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command("synth")
    .description("synthesize the CDKTF app (every environment) to Terraform JSON, offline")
    .option("--out <dir>", "output directory", "cdktf.out")
    .option(
      "--config <file>",
      "JSON config file (default: $IMGSEC_CONFIG, then ./imgsec.config.json)",
    )
    .addOption(formatOption())
    .action(async (opts: { out: string; config?: string; format: string }) => {
      // Loaded on demand: cdktf and the provider classes are the slowest part of start-up.
      const { synth } = await import("./synth");
      const { formatSummary } = await import("../stacks/summary");
      const summaries = synth(opts);
      if (opts.format === "json")
        process.stdout.write(JSON.stringify({ stacks: summaries }, null, 2) + "\n");
      else {
        process.stderr.write(
          `Terraform JSON written to ${opts.out}/ (one cdk.tf.json per stack)\n\n`,
        );
        process.stdout.write(summaries.map(formatSummary).join("\n\n") + "\n");
      }
      setExit(EXIT_OK);
    });

  program
    .command("check")
    .description(
      "check synthesized stacks, Terraform plans (Terraform or OpenTofu) or Terraform JSON against the HIPAA rules",
    )
    .argument(
      "<path>",
      "cdktf.out, a stack's cdk.tf.json, a plan (terraform show -json) or a *.tf.json file/folder",
    )
    .addOption(
      new Option("--format <format>", "output format")
        .choices(["text", "json", "sarif", "junit", "gitlab"])
        .default("text"),
    )
    .option("--out <file>", "write the report to a file instead of stdout")
    .option("--waivers <file>", "JSON or YAML list of {rule, resource, justification, expires}")
    .option(
      "--no-inline-waivers",
      "ignore `# imgsec:waive` comments in the configuration (reported, with how many)",
    )
    .option("--params <file>", "JSON object overriding thresholds in policies/params.json")
    .option("--var <name=value>", "set a Terraform variable (repeatable)", collect, [])
    .option(
      "--var-file <file>",
      "read Terraform variables from a .tfvars file (repeatable)",
      collect,
      [],
    )
    .addOption(
      new Option(
        "--unknown <mode>",
        "UNKNOWN results (values the gate cannot see) fail the gate, or only warn (a reported relaxation)",
      )
        .choices(["fail", "warn"])
        .default("fail"),
    )
    .option("--show-passed", "list PASS results in text output too")
    .option("--keys <file>", "key file for the audit record (default: $IMGSEC_KEYS)")
    .addOption(auditLogOption())
    .addOption(noAuditOption(false))
    .action(
      async (
        path: string,
        opts: {
          format: string;
          out?: string;
          waivers?: string;
          inlineWaivers: boolean;
          params?: string;
          var: string[];
          varFile: string[];
          unknown: "fail" | "warn";
          showPassed?: boolean;
        } & import("./audit-trail").AuditFlags,
      ) => {
        const { FORMATTERS, recordCheck, runCheck } = await import("./check");
        const { report, failed, notes } = await runCheck(path, {
          waivers: opts.waivers,
          params: opts.params,
          unknown: opts.unknown,
          noInlineWaivers: !opts.inlineWaivers,
          vars: opts.var,
          varFiles: opts.varFile,
        });
        for (const n of notes) process.stderr.write(`imgsec: note: ${n}\n`);
        process.stderr.write(`${await recordCheck(report, opts)}\n`);
        const text = FORMATTERS[opts.format](report, { showPassed: opts.showPassed });
        if (opts.out) {
          writeOutFile(opts.out, text);
          const { verdictLine } = await import("../policies/engine/formats");
          const { summarize } = await import("../handlers/results/result");
          process.stderr.write(
            `${verdictLine(summarize(report.results), report.unknownMode)} (report: ${opts.out})\n`,
          );
        } else process.stdout.write(text);
        if (opts.format !== "text") {
          for (const w of report.unusedWaivers)
            process.stderr.write(`imgsec: unused waiver ${w.rule} ${w.resource}\n`);
          const inline = report.inlineWaivers;
          if (inline && !inline.applied)
            process.stderr.write(
              `imgsec: --no-inline-waivers: ${inline.waivers.length} inline waiver(s) ignored\n`,
            );
          for (const { waiver: w, state } of inline?.waivers ?? [])
            if (state === "unused")
              process.stderr.write(
                `imgsec: unused inline waiver ${w.rule} ${w.address} at ${w.file}:${w.line}\n`,
              );
        }
        setExit(failed ? EXIT_FINDINGS : EXIT_OK);
      },
    );

  program
    .command("normalize")
    .description(
      "print the document the rules read for each stack (JSON Lines: one object per stack), for opa eval or conftest",
    )
    .argument(
      "<path>",
      "cdktf.out, a stack's cdk.tf.json, a plan (terraform show -json) or a *.tf.json file/folder",
    )
    .option("--params <file>", "JSON object overriding thresholds in policies/params.json")
    .option("--var <name=value>", "set a Terraform variable (repeatable)", collect, [])
    .option(
      "--var-file <file>",
      "read Terraform variables from a .tfvars file (repeatable)",
      collect,
      [],
    )
    .action(async (path: string, opts: { params?: string; var: string[]; varFile: string[] }) => {
      const { runNormalize } = await import("./normalize");
      const { lines, notes } = runNormalize(path, {
        params: opts.params,
        vars: opts.var,
        varFiles: opts.varFile,
      });
      for (const n of notes) process.stderr.write(`imgsec: note: ${n}\n`);
      process.stdout.write(lines.map((l) => `${l}\n`).join(""));
      setExit(EXIT_OK);
    });

  program.addCommand(keysCommand(setExit));
  program.addCommand(auditCommand(setExit));
  program.addCommand(reportCommand(setExit));

  program
    .command("deid")
    .description("de-identify DICOM files (PS3.15 Basic Profile and options) into a folder")
    .argument("<input>", "a DICOM file or a folder (walked recursively)")
    .argument("<output>", "output folder; files are named by their new SOP Instance UID")
    .addOption(deidOptionOption())
    .addOption(profileOption())
    .option("--keys <file>", "key file (default: $IMGSEC_KEYS, then .imgsec/keys.json)")
    .option(
      "--map-out <file>",
      "pseudonymize with random codes kept in this mapping file (164.514(c)); created or extended",
    )
    .option(
      "--jobs <n>",
      "threads, this one included (default: CPU count, at most 8); workers start only when the inputs hold enough work",
    )
    .addOption(showPathsOption())
    .addOption(auditLogOption())
    .addOption(noAuditOption(true))
    .addOption(formatOption())
    .action(async (input: string, output: string, opts: DeidCommandOptions) => {
      const { deidHasFindings, formatDeidText, runDeid } = await import("./deid");
      const report = await runDeid(input, output, opts);
      if (opts.format === "json") process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else process.stdout.write(formatDeidText(report, output));
      process.stderr.write(`${report.audit}\n`);
      setExit(deidHasFindings(report.summary) ? EXIT_FINDINGS : EXIT_OK);
    });

  program
    .command("run")
    .description(
      "the whole per-object job over a folder: de-identify, encrypt into packages, audit (as the pipeline does in AWS; no plaintext written)",
    )
    .argument("<input>", "a folder of identified DICOM files (walked recursively; never changed)")
    .argument("<output>", "output folder: packages named <SOP Instance UID>.imgsec")
    .requiredOption("--dataset <id>", "dataset id recorded in the encryption context (no PHI)")
    .addOption(deidOptionOption())
    .addOption(profileOption())
    .option("--keys <file>", "key file (default: $IMGSEC_KEYS, then .imgsec/keys.json)")
    .option(
      "--kms-key <arn>",
      "encrypt under this AWS KMS key (repeatable) instead of the key file's encryption key",
      collect,
      [],
    )
    .addOption(
      new Option(
        "--suite <suite>",
        "algorithm suite: signed (default) or unsigned (reported)",
      ).choices(["signed", "unsigned"]),
    )
    .addOption(showPathsOption())
    .addOption(auditLogOption())
    .addOption(noAuditOption(true))
    .addOption(formatOption())
    .action(async (input: string, output: string, opts: RunCommandOptions) => {
      const { formatRunText, runHasFindings, runRun } = await import("./run");
      const report = await runRun(input, output, opts);
      if (opts.format === "json") process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else process.stdout.write(formatRunText(report, output));
      process.stderr.write(`${report.audit}\n`);
      setExit(runHasFindings(report) ? EXIT_FINDINGS : EXIT_OK);
    });

  program
    .command("encrypt")
    .description("encrypt de-identified DICOM into packages (AWS Encryption SDK messages)")
    .argument("<input>", "a de-identified DICOM file or a folder of them (from imgsec deid)")
    .argument(
      "<output>",
      "package file, or a folder (packages are named <SOP Instance UID>.imgsec)",
    )
    .requiredOption("--dataset <id>", "dataset id recorded in the encryption context (no PHI)")
    .option("--modality <code>", "expected Modality; a file with another one is refused")
    .option("--keys <file>", "key file (default: $IMGSEC_KEYS, then .imgsec/keys.json)")
    .option(
      "--kms-key <arn>",
      "wrap with this AWS KMS key instead (repeatable: multi-region)",
      collect,
      [],
    )
    .option("--suite <suite>", "signed (default: anyone can verify without a key) or unsigned")
    .option("--frame-length <bytes>", "frame length in bytes (default 4 MiB)")
    .addOption(showPathsOption())
    .addOption(auditLogOption())
    .addOption(noAuditOption(true))
    .addOption(formatOption())
    .action(async (input: string, output: string, opts: EncryptOptions) => {
      const { formatPackagesText, runEncrypt } = await import("./packages");
      const report = await runEncrypt(input, output, opts);
      if (opts.format === "json") process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else process.stdout.write(formatPackagesText(report, "encrypt"));
      process.stderr.write(`${report.audit}\n`);
      const s = report.summary;
      setExit((s.refused as number) + (s.failed as number) > 0 ? EXIT_FINDINGS : EXIT_OK);
    });

  program
    .command("decrypt")
    .description("decrypt packages, refusing any that fail authentication or expectations")
    .argument("<input>", "a package or a folder of packages")
    .argument("<output>", "output file, or a folder (files are named <SOP Instance UID>.dcm)")
    .option("--dataset <id>", "refuse packages of any other dataset")
    .option(
      "--accept-policy <hash|profile>",
      "accepted de-identification policy (repeatable; default: the strict profile)",
      collect,
      [],
    )
    .option("--keys <file>", "key file (default: $IMGSEC_KEYS, then .imgsec/keys.json)")
    .option("--kms-key <arn>", "unwrap with this AWS KMS key ARN instead (repeatable)", collect, [])
    .addOption(showPathsOption())
    .addOption(auditLogOption())
    .addOption(noAuditOption(true))
    .addOption(formatOption())
    .action(async (input: string, output: string, opts: DecryptOptions) => {
      const { formatPackagesText, runDecrypt } = await import("./packages");
      const report = await runDecrypt(input, output, opts);
      if (opts.format === "json") process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else process.stdout.write(formatPackagesText(report, "decrypt"));
      process.stderr.write(`${report.audit}\n`);
      const s = report.summary;
      setExit((s.refused as number) + (s.failed as number) > 0 ? EXIT_FINDINGS : EXIT_OK);
    });

  program
    .command("verify-package")
    .description("check packages against the package rules without decrypting (no key needed)")
    .argument("<paths...>", "package files or folders")
    .option(
      "--accept-policy <hash|profile>",
      "accepted de-identification policy (repeatable; default: the strict profile)",
      collect,
      [],
    )
    .option("--kms-key-arn <arn>", "allowed KMS key ARN (repeatable; default: any)", collect, [])
    .option("--params <file>", "JSON object overriding policies/package/params.json")
    .addOption(showPathsOption())
    .option("--keys <file>", "key file for the audit record (default: $IMGSEC_KEYS)")
    .addOption(auditLogOption())
    .addOption(noAuditOption(false))
    .addOption(formatOption())
    .action(async (paths: string[], opts: VerifyPackageOptions) => {
      const { formatVerifyText, runVerifyPackage } = await import("./packages");
      const report = await runVerifyPackage(paths, opts);
      if (opts.format === "json") process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else process.stdout.write(formatVerifyText(report));
      for (const p of report.packages)
        if (p.verdict === "UNUSABLE") process.stderr.write(`imgsec: ${p.name}: ${p.reason}\n`);
      process.stderr.write(`${report.audit}\n`);
      const s = report.summary;
      setExit(s.unusable > 0 ? EXIT_UNUSABLE : s.failed > 0 ? EXIT_FINDINGS : EXIT_OK);
    });

  program
    .command("demo")
    .description(
      "the quick start: run the whole job on the embedded default (local keys and files)",
    )
    .option("--out <dir>", "synth output directory", "cdktf.out")
    .action(async (opts: { out: string }) => {
      setExit(await runDemo(opts.out));
    });
  return program;
}

/** keys → synth → check → run (deid + encrypt + audit) → verify-package → audit verify → report. */
async function runDemo(out: string): Promise<number> {
  const { synth } = await import("./synth");
  const { formatSummary } = await import("../stacks/summary");
  const { FORMATTERS, recordCheck, runCheck } = await import("./check");
  const { join } = await import("node:path");
  const { keyFilePath, initKeyFile } = await import("../handlers/keys/keyfile");
  const packages = await import("./packages");
  const { formatAuditText, runAuditVerify } = await import("./audit-run");
  const { trailPath } = await import("./audit-trail");
  const step = (s: string) => process.stderr.write(`\n== ${s}\n`);

  const keys = keyFilePath();
  step(`0. keys init: ${keys} (mode 0600; adds any missing purpose, keeps existing keys)`);
  const created = initKeyFile(keys).created;
  process.stderr.write(
    created.length ? `created keys: ${created.map((c) => c.purpose).join(", ")}\n` : "complete\n",
  );

  step("1. synth: CDKTF app → Terraform JSON (offline)");
  const summaries = synth({ out });
  process.stderr.write(`Terraform JSON written to ${out}/\n`);
  process.stdout.write(summaries.map(formatSummary).join("\n\n") + "\n");

  step(`2. check: the HIPAA deployment gate on ${out}`);
  const { report, failed } = await runCheck(out);
  process.stdout.write("\n" + FORMATTERS.text(report));
  process.stderr.write(`${await recordCheck(report, {})}\n`);

  const sample = join(__dirname, "..", "..", "samples", "synthetic-study");
  step(
    "3. run: the bundled synthetic study (planted fake PHI) → packages/ (de-identify, encrypt with the local key and the signed committing suite, audit; the same job the pipeline runs in Lambda, no plaintext written)",
  );
  const { formatRunText, runHasFindings, runRun } = await import("./run");
  const run = await runRun(sample, "packages", { dataset: "demo", option: [], format: "text" });
  process.stdout.write("\n" + formatRunText(run, "packages"));
  process.stderr.write(`${run.audit}\n`);

  step("4. verify-package: every package checked without a key (header, frames, signature, rules)");
  const ver = await packages.runVerifyPackage(["packages"], { format: "text" });
  process.stdout.write("\n" + packages.formatVerifyText(ver));
  process.stderr.write(`${ver.audit}\n`);

  step("5. audit verify: the hash chain, HMACs and signed checkpoints of the audit log");
  const audit = await runAuditVerify(trailPath({}), {});
  process.stdout.write("\n" + formatAuditText(audit));
  if (audit.intact && audit.head) {
    // The file alone cannot show it was not cut back to an earlier close: keep the head elsewhere.
    const { formatHead } = await import("../handlers/audit/anchor");
    step("6. audit head: the signed head to keep elsewhere (audit verify --expect-head)");
    process.stdout.write(`\n${formatHead(audit.head)}\n`);
  }

  step(
    "7. report: the auditors' compliance report over all of it (the stacks, the audit log, the packages, the SAMPLE attestations in samples/attestations.yaml)",
  );
  const { formatReportText, runReport } = await import("./report");
  const rep = await runReport({
    iac: [out],
    auditLog: trailPath({}),
    packages: ["packages"],
    acceptPolicy: [],
    attestations: join(__dirname, "..", "..", "samples", "attestations.yaml"),
    format: ["html", "json", "csv", "oscal"],
    out: "report",
  });
  process.stdout.write("\n" + formatReportText(rep.report, rep.out, rep.files, rep.signed));
  process.stderr.write(`${rep.audit}\n`);
  process.stderr.write(`\nOpen the report: ${join(process.cwd(), "report", "report.html")}\n`);

  const bad =
    failed ||
    runHasFindings(run) ||
    ver.summary.failed + ver.summary.unusable > 0 ||
    !audit.intact ||
    !rep.report.summary.pass;
  return bad ? EXIT_FINDINGS : EXIT_OK;
}

type DeidCommandOptions = import("./deid").DeidCliOptions;
type RunCommandOptions = import("./run").RunCliOptions;
type EncryptOptions = import("./packages").EncryptCliOptions & { format: string };
type DecryptOptions = import("./packages").DecryptCliOptions & { format: string };
type VerifyPackageOptions = import("./packages").VerifyPackageCliOptions;

const collect = (value: string, previous: string[]) => [...previous, value];

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version print and exit 0; everything else commander refuses is a usage error.
      return e.exitCode === 0 ? EXIT_OK : EXIT_UNUSABLE;
    }
    if (isExpected(e)) {
      process.stderr.write(`imgsec: ${oneLine(e)}\n`);
      return EXIT_UNUSABLE;
    }
    if (e instanceof UsageError) return EXIT_UNUSABLE;
    process.stderr.write(`imgsec: internal error: ${oneLine(e)}\n`);
    if (process.env.IMGSEC_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return EXIT_UNUSABLE;
  }
}
