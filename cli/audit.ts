import { Command, Option } from "commander";
import { auditLogPath, KMS_SIGNER_ENV } from "../handlers/audit/env";
import { keyFilePath } from "../handlers/keys/keyfile";
import type {
  AuditHeadCliOptions,
  AuditPublicKeyCliOptions,
  AuditVerifyCliOptions,
} from "./audit-run";
import { summarize } from "../handlers/results/result";
import { writeOutFile } from "./fs-atomic";

// The work lives in audit-run.ts, imported when a subcommand runs: defining the commands stays cheap.
const run = () => import("./audit-run");

/** `imgsec audit verify`: is the audit log intact? Exit 0 intact, 1 tampered, 2 unusable. */
export function auditCommand(setExit: (code: number) => void): Command {
  // exitOverride here too: an added command does not inherit it, and a usage error must reach
  // main's handler (exit 2) rather than exit the process with commander's 1.
  const audit = new Command("audit").description("the tamper-evident audit log").exitOverride();
  verifyOptions(
    audit
      .command("verify")
      .description(
        "verify an audit log: record HMACs, the hash chain, checkpoint signatures, completeness, and its anchors (a head kept elsewhere, the S3 Object Lock copy)",
      )
      .argument(
        "<log>",
        "the log file, or s3://bucket/prefix/: every log under it, from its Object Lock segments alone (function instances' logs, copies of local logs)",
      ),
  ).action(async (log: string, opts: AuditVerifyCliOptions) => {
    const { formatAuditText, runAuditVerify } = await run();
    const report = await runAuditVerify(log, opts);
    if (opts.format === "json") {
      process.stdout.write(
        JSON.stringify({ summary: summarize(report.results), ...report }, null, 2) + "\n",
      );
    } else process.stdout.write(formatAuditText(report));
    setExit(report.intact ? 0 : 1);
  });
  verifyOptions(
    audit
      .command("head")
      .description(
        "verify the audit log, then print its signed head (log id, seq, hash of the last checkpoint, its signature) to keep elsewhere: audit verify --expect-head detects a log cut back before it",
      )
      .argument(
        "[log]",
        "the log file, or s3://bucket/prefix/ (default: $IMGSEC_AUDIT_LOG, then audit.jsonl beside the key file)",
      ),
  )
    .option("--out <file>", "write the head to this file instead of stdout")
    .action(async (log: string | undefined, opts: AuditHeadCliOptions) => {
      const path = log ?? auditLogPath(undefined, keyFilePath(opts.keys));
      const { firstFail, formatHead, runAuditHead } = await run();
      const { report, head } = await runAuditHead(path, opts);
      if (!head) {
        // One line, like every refusal; the details are `audit verify`'s to show.
        process.stderr.write(
          `imgsec: audit log ${report.resource} is not intact (${report.firstBadMessage ?? firstFail(report)}): no head printed; imgsec audit verify shows why\n`,
        );
        setExit(1);
        return;
      }
      const text =
        opts.format === "json" ? JSON.stringify(head, null, 2) + "\n" : formatHead(head) + "\n";
      const after = report.counts.records - 1 - head.seq;
      if (after > 0)
        process.stderr.write(
          `imgsec: note: the ${after} record(s) after checkpoint seq ${head.seq} are not signed yet and not covered by this head (open log)\n`,
        );
      if (opts.out) {
        writeOutFile(opts.out, text);
        process.stdout.write(`wrote ${opts.out} (log ${head.log}, seq ${head.seq})\n`);
      } else process.stdout.write(text);
      setExit(0);
    });
  audit
    .command("public-key")
    .alias("pubkey")
    .description(
      "print (or write) the checkpoint public key, PEM, for auditors: a KMS key's, or the key file's",
    )
    .option(
      "--kms-key <arn>",
      `the KMS key that signs checkpoints (default: $${KMS_SIGNER_ENV}); without it, the key file's Ed25519 key`,
    )
    .option("--keys <file>", "key file path (default: $IMGSEC_KEYS, then .imgsec/keys.json)")
    .option("--out <file>", "write the PEM to this file instead of stdout")
    .action(async (opts: AuditPublicKeyCliOptions) => {
      const r = await (await run()).runAuditPublicKey(opts);
      if (opts.out) {
        writeOutFile(opts.out, r.pem);
        process.stdout.write(`wrote ${opts.out} (${r.alg}, signer ${r.fingerprint})\n`);
      } else process.stdout.write(r.pem);
      setExit(0);
    });
  return audit;
}

/** The options `audit verify` and `audit head` share: keys, open logs, anchors, format. */
function verifyOptions(cmd: Command): Command {
  return cmd
    .option(
      "--pubkey <file>",
      "checkpoint public key, PEM (`imgsec audit public-key`): all an auditor needs; HMACs then go unchecked",
    )
    .option(
      "--kms-key <arn>",
      `checkpoints signed with this AWS KMS key: its public key from KMS GetPublicKey (default: $${KMS_SIGNER_ENV}, unless --pubkey)`,
    )
    .option(
      "--keys <file>",
      "key file: also checks every record's HMAC (default: $IMGSEC_KEYS, then .imgsec/keys.json, unless --pubkey)",
    )
    .option(
      "--allow-open",
      "accept a log still being written: unsigned records after the last checkpoint are a warning",
    )
    .option(
      "--expect-head <head>",
      "a head kept elsewhere (`imgsec audit head`): the line itself, or @FILE / FILE holding it or its JSON; the log must reach it and hold it",
    )
    .option(
      "--s3 <url>",
      "hold a local log to its S3 Object Lock copy under s3://bucket/prefix/ (default: $IMGSEC_AUDIT_S3)",
    )
    .option("--no-s3", "do not read the S3 copy, even when IMGSEC_AUDIT_S3 is set")
    .addOption(
      new Option("--format <format>", "output format").choices(["text", "json"]).default("text"),
    );
}
