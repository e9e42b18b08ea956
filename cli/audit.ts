import { Command, Option } from "commander";
import { createPublicKey, KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { publicKeyFingerprint } from "../handlers/audit/canonical";
import { AuditLogError } from "../handlers/audit/errors";
import { parseS3Url, readS3Log, s3ClientFromEnv } from "../handlers/audit/s3";
import { checkpointAlgOf, KMS_SIGNER_ENV, kmsSigningPublicKey } from "../handlers/audit/signer";
import { CheckpointAlg } from "../handlers/audit/schema";
import { AuditVerifyReport, verifyAuditLog } from "../handlers/audit/verify";
import { keyFilePath, loadKey, signingPublicKeyPem, zeroize } from "../handlers/keys/keyfile";
import { summarize } from "../policies/engine/result";
import { writeFileAtomically } from "./fs-atomic";

export interface AuditVerifyCliOptions {
  pubkey?: string;
  kmsKey?: string;
  keys?: string;
  allowOpen?: boolean;
  format: string;
}

export interface AuditPublicKeyCliOptions {
  kmsKey?: string;
  keys?: string;
  out?: string;
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
      const r = await runAuditPublicKey(opts);
      if (opts.out) {
        writeFileAtomically(opts.out, r.pem);
        process.stdout.write(`wrote ${opts.out} (${r.alg}, signer ${r.fingerprint})\n`);
      } else process.stdout.write(r.pem);
      setExit(0);
    });
  return audit;
}

/** The KMS key the options (or IMGSEC_AUDIT_SIGNING_KMS_KEY) name, if any. */
function kmsKeyOf(opts: { kmsKey?: string }): string | undefined {
  return opts.kmsKey || process.env[KMS_SIGNER_ENV] || undefined;
}

/**
 * The checkpoint public key as PEM (SPKI), with its alg and the fingerprint the log's open record
 * names as `signer`: from KMS GetPublicKey when a KMS key is named, else from the key file.
 */
export async function runAuditPublicKey(
  opts: Omit<AuditPublicKeyCliOptions, "out">,
): Promise<{ pem: string; alg: CheckpointAlg; fingerprint: string }> {
  const kmsKey = kmsKeyOf(opts);
  const key = kmsKey
    ? await kmsSigningPublicKey(kmsKey)
    : createPublicKey(signingPublicKeyPem(keyFilePath(opts.keys)));
  return {
    pem: key.export({ format: "pem", type: "spki" }).toString(),
    alg: checkpointAlgOf(key) as CheckpointAlg,
    fingerprint: publicKeyFingerprint(key),
  };
}

/** Loads the keys the options name and verifies the log; AuditLogError/KeyFileError if unusable. */
export async function runAuditVerify(
  log: string,
  opts: Omit<AuditVerifyCliOptions, "format">,
): Promise<AuditVerifyReport> {
  // An auditor with --pubkey (or a KMS key) needs no key file; the key file is used when named
  // (flag or env), or by default when there is neither.
  const kmsKey = opts.pubkey ? undefined : kmsKeyOf(opts);
  const publicSource = opts.pubkey ?? kmsKey;
  const keysPath = publicSource ? (opts.keys ?? process.env.IMGSEC_KEYS) : keyFilePath(opts.keys);
  if (!publicSource && !existsSync(keysPath as string))
    throw new AuditLogError(
      `no key to verify with: pass --pubkey FILE (the PEM from \`imgsec audit public-key\`), --kms-key ARN or --keys FILE (no key file at ${keysPath})`,
    );
  const publicKey = opts.pubkey
    ? readPublicKey(opts.pubkey)
    : kmsKey
      ? await kmsSigningPublicKey(kmsKey)
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
  if (!checkpointAlgOf(key))
    throw new AuditLogError(
      `--pubkey ${file} is a ${key.asymmetricKeyType} key, not an audit checkpoint key (Ed25519, or ECDSA P-256 from KMS)`,
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
