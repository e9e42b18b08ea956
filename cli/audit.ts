import { Command, Option } from "commander";
import { createPublicKey, KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { AuditLogError } from "../handlers/audit/errors";
import { parseS3Url, readS3Log, s3ClientFromEnv } from "../handlers/audit/s3";
import { AuditVerifyReport, verifyAuditLog } from "../handlers/audit/verify";
import { keyFilePath, loadKey, signingPublicKeyPem, zeroize } from "../handlers/keys/keyfile";
import { summarize } from "../policies/engine/result";

export interface AuditVerifyCliOptions {
  pubkey?: string;
  keys?: string;
  allowOpen?: boolean;
  format: string;
}

/** `imgsec audit verify`: is the audit log intact? Exit 0 intact, 1 tampered, 2 unusable. */
export function auditCommand(setExit: (code: number) => void): Command {
  // exitOverride here too: an added command does not inherit it, and a usage error must reach
  // main's handler (exit 2) rather than exit the process with commander's 1.
  const audit = new Command("audit").description("the tamper-evident audit log").exitOverride();
  audit
    .command("verify")
    .description(
      "verify an audit log: record HMACs, the hash chain, checkpoint signatures, completeness",
    )
    .argument("<log>", "the log file, or s3://bucket/prefix/ (its S3 Object Lock copy)")
    .option(
      "--pubkey <file>",
      "checkpoint public key, PEM (`imgsec keys public`): all an auditor needs; HMACs then go unchecked",
    )
    .option(
      "--keys <file>",
      "key file: also checks every record's HMAC (default: $IMGSEC_KEYS, then .imgsec/keys.json, unless --pubkey)",
    )
    .option(
      "--allow-open",
      "accept a log still being written: unsigned records after the last checkpoint are a warning",
    )
    .addOption(
      new Option("--format <format>", "output format").choices(["text", "json"]).default("text"),
    )
    .action(async (log: string, opts: AuditVerifyCliOptions) => {
      const report = await runAuditVerify(log, opts);
      if (opts.format === "json") {
        process.stdout.write(
          JSON.stringify({ summary: summarize(report.results), ...report }, null, 2) + "\n",
        );
      } else process.stdout.write(formatAuditText(report));
      setExit(report.intact ? 0 : 1);
    });
  return audit;
}

/** Loads the keys the options name and verifies the log; AuditLogError/KeyFileError if unusable. */
export async function runAuditVerify(
  log: string,
  opts: Omit<AuditVerifyCliOptions, "format">,
): Promise<AuditVerifyReport> {
  // An auditor with --pubkey needs no key file; the key file is used when named (flag or env),
  // or by default when there is no --pubkey.
  const keysPath = opts.pubkey ? (opts.keys ?? process.env.IMGSEC_KEYS) : keyFilePath(opts.keys);
  if (!opts.pubkey && !existsSync(keysPath as string))
    throw new AuditLogError(
      `no key to verify with: pass --pubkey FILE (the PEM from \`imgsec keys public\`) or --keys FILE (no key file at ${keysPath})`,
    );
  const publicKey = opts.pubkey
    ? readPublicKey(opts.pubkey)
    : createPublicKey(signingPublicKeyPem(keysPath as string));
  const auditKey = keysPath ? loadKey(keysPath, "audit").key : undefined;
  try {
    if (log.startsWith("s3://")) {
      const { bucket, prefix } = parseS3Url(log);
      const client = s3ClientFromEnv();
      try {
        const bytes = await readS3Log(client, bucket, prefix);
        return verifyAuditLog(bytes, {
          auditKey,
          publicKey,
          allowOpen: opts.allowOpen,
          resource: log,
        });
      } finally {
        client.destroy();
      }
    }
    return verifyAuditLog({ path: log }, { auditKey, publicKey, allowOpen: opts.allowOpen });
  } finally {
    zeroize(auditKey);
  }
}

function readPublicKey(file: string): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (e) {
    throw new AuditLogError(`cannot read --pubkey ${file}: ${(e as NodeJS.ErrnoException).code}`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new AuditLogError(`--pubkey ${file} is not a PEM public key`);
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw new AuditLogError(
      `--pubkey ${file} is a ${key.asymmetricKeyType} key, not the Ed25519 audit key`,
    );
  return key;
}

export function formatAuditText(r: AuditVerifyReport): string {
  const lines: string[] = [];
  const verdict = !r.intact
    ? `TAMPERED: ${r.firstBadMessage ?? "see the failures below"}`
    : r.results.some((x) => x.status === "WARN")
      ? "INTACT, with warnings"
      : "INTACT";
  lines.push(`audit log ${r.resource}${r.log ? ` (log ${r.log})` : ""}: ${verdict}`);
  if (r.firstBad)
    lines.push(
      `  first bad record: line ${r.firstBad.line}${r.firstBad.seq !== undefined ? `, seq ${r.firstBad.seq}` : ""}, ${r.firstBad.kind}`,
    );
  for (const x of r.results) {
    lines.push(`  ${x.status} ${x.rule} ${x.title}`);
    lines.push(`       ${x.message}`);
  }
  const c = r.counts;
  lines.push(
    `${c.records} records (${c.events} events, ${c.checkpoints} checkpoints) in ${c.lines} lines; ` +
      (r.lastCheckpoint
        ? `last ${r.lastCheckpoint.verified ? "verified " : ""}checkpoint seq ${r.lastCheckpoint.seq} (line ${r.lastCheckpoint.line}), head ${r.lastCheckpoint.head}`
        : "no verified checkpoint"),
  );
  if (!r.checked.hmac)
    lines.push("HMACs not checked (no audit key): chain and signatures were verified.");
  return lines.join("\n") + "\n";
}
