/**
 * What `imgsec audit` does, loaded only when an audit command runs: the S3 client, the verifier and
 * zod would otherwise cost every imgsec command about 0.1 s of start-up.
 */
import { createPublicKey, KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { AuditHead, formatHead, logIdOf, readHeadArg } from "../handlers/audit/anchor";

export { formatHead };
import { publicKeyFingerprint } from "../handlers/audit/canonical";
import { AuditLogError } from "../handlers/audit/errors";
import { parseS3Url, readS3Copy, s3ClientFromEnv } from "../handlers/audit/s3";
import { AuditPrefixReport, verifyS3Prefix } from "../handlers/audit/prefix";
import { checkpointAlgOf, KMS_SIGNER_ENV, kmsSigningPublicKey } from "../handlers/audit/signer";
import { CheckpointAlg } from "../handlers/audit/schema";
import { AuditVerifyReport, VerifyOptions, verifyAuditLog } from "../handlers/audit/verify";
import { keyFilePath, loadKey, signingPublicKeyPem, zeroize } from "../handlers/keys/keyfile";

export interface AuditVerifyCliOptions {
  pubkey?: string;
  kmsKey?: string;
  keys?: string;
  allowOpen?: boolean;
  /** A head kept elsewhere: the line, or @FILE / FILE holding the line or its JSON. */
  expectHead?: string;
  /** The S3 Object Lock copy a local log is held to; false: none (--no-s3); default $IMGSEC_AUDIT_S3. */
  s3?: string | false;
  format: string;
}

export interface AuditHeadCliOptions extends AuditVerifyCliOptions {
  out?: string;
}

export interface AuditPublicKeyCliOptions {
  kmsKey?: string;
  keys?: string;
  out?: string;
}

export const firstFail = (r: AuditVerifyReport) =>
  r.results.find((x) => x.status === "FAIL")?.message ?? "see imgsec audit verify";

/**
 * Verifies the log as `audit verify` does, and returns its head: the last checkpoint's, if the
 * log is intact (a head of a tampered log would anchor the tampering). AuditLogError when the
 * log has no signed checkpoint yet.
 */
export async function runAuditHead(
  log: string,
  opts: Omit<AuditVerifyCliOptions, "format">,
): Promise<{ report: AuditVerifyReport; head?: AuditHead }> {
  const report = await runAuditVerify(log, opts);
  if (isPrefixReport(report) && report.logs.length > 1)
    throw new AuditLogError(
      `${report.resource} holds ${report.logs.length} audit logs: a head is one log's, name one (e.g. ${report.logs[0].resource})`,
    );
  if (!report.intact) return { report };
  if (!report.head || !report.lastCheckpoint?.verified)
    throw new AuditLogError(`audit log ${report.resource} has no signed checkpoint yet: no head`);
  return { report, head: report.head };
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
  onEvent?: VerifyOptions["onEvent"],
): Promise<AuditVerifyReport> {
  // A malformed head is a usage error: reported before any key or S3 work.
  const expectHead = opts.expectHead !== undefined ? readHeadArg(opts.expectHead) : undefined;
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
  const verifyOpts = { auditKey, publicKey, allowOpen: opts.allowOpen, expectHead, onEvent };
  try {
    if (log.startsWith("s3://")) {
      if (typeof opts.s3 === "string")
        throw new AuditLogError(
          `--s3 holds a local log to its S3 copy, and ${log} is the copy itself: drop --s3`,
        );
      const { bucket, prefix } = parseS3Url(log);
      const client = s3ClientFromEnv();
      try {
        return await verifyS3Prefix(client, bucket, prefix, verifyOpts);
      } finally {
        client.destroy();
      }
    }
    const copy = await readCopyOf(log, opts.s3);
    return verifyAuditLog({ path: log }, { ...verifyOpts, copy });
  } finally {
    zeroize(auditKey);
  }
}

/**
 * The S3 Object Lock copy of a local log, when --s3 or IMGSEC_AUDIT_S3 names where copies go.
 * An unreachable copy is an error, never a silent pass. A log whose first line names no log id
 * has no copy to find; the verifier reports that line itself.
 */
async function readCopyOf(
  log: string,
  flag: string | false | undefined,
): Promise<{ bytes: Buffer; location: string } | undefined> {
  const url = flag === false ? undefined : flag || process.env.IMGSEC_AUDIT_S3 || undefined;
  if (!url) return undefined;
  const source = flag ? "--s3" : "IMGSEC_AUDIT_S3";
  const { bucket, prefix } = parseS3Url(url);
  const id = logIdOf(log);
  if (!id) return undefined;
  const client = s3ClientFromEnv();
  try {
    return await readS3Copy(client, bucket, prefix, id);
  } catch (e) {
    if (!(e instanceof AuditLogError)) throw e;
    throw new AuditLogError(
      `${e.message} (the S3 Object Lock copy ${source} names; --no-s3 verifies the local log alone)`,
    );
  } finally {
    client.destroy();
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

export function isPrefixReport(r: AuditVerifyReport): r is AuditPrefixReport {
  return Array.isArray((r as AuditPrefixReport).logs);
}

const STATUS_TEXT = { closed: "INTACT, closed", "not-closed": "NOT CLOSED", tampered: "TAMPERED" };

/**
 * Every log under an S3 prefix: one line per log (its status, segments, records, last
 * checkpoint), then its results (all of them for a single log; the failures otherwise). Ids,
 * seqs, times and digests only: never a record's content.
 */
export function formatPrefixText(r: AuditPrefixReport): string {
  const n = (s: string) => r.logs.filter((l) => l.status === s).length;
  const lines: string[] = [];
  const verdict = !r.intact
    ? "TAMPERED"
    : r.results.some((x) => x.status === "WARN")
      ? "INTACT, with warnings"
      : "INTACT";
  lines.push(
    `audit logs under ${r.resource}: ${verdict}: ${r.logs.length} log(s), ${n("closed")} closed, ${n("not-closed")} not closed, ${n("tampered")} tampered; ${r.segments} segment(s)${r.ignored ? `, ${r.ignored} other object(s) ignored` : ""}`,
  );
  for (const l of r.logs) {
    const last = l.last
      ? `, last ${l.last.reason} checkpoint seq ${l.last.seq} at ${l.last.ts}`
      : "";
    const why = l.status === "tampered" && l.firstBadMessage ? `: ${l.firstBadMessage}` : "";
    lines.push(
      `log ${l.log}: ${STATUS_TEXT[l.status]}${why} (${l.segments} segment(s), ${l.counts.records} records${last})`,
    );
    if (l.firstBad)
      lines.push(
        `  first bad record: seq ${l.firstBad.seq ?? "?"}, ${l.firstBad.kind}${l.firstBadSegment ? `, in ${l.firstBadSegment}` : ""}`,
      );
    // One log: every result, as for a file; many: what is wrong with each (JSON has them all).
    const shown = r.results.filter(
      (x) =>
        x.resource === l.resource &&
        (r.logs.length === 1 ||
          x.status === "FAIL" ||
          (l.status === "tampered" && x.status !== "PASS")),
    );
    for (const x of shown) {
      lines.push(`  ${x.status} ${x.rule} ${x.title}`);
      lines.push(`       ${x.message}`);
    }
  }
  for (const x of r.results.filter((x) => x.resource === r.resource)) {
    lines.push(`  ${x.status} ${x.rule} ${x.title}`);
    lines.push(`       ${x.message}`);
  }
  const warned = new Set(r.results.filter((x) => x.status === "WARN").map((x) => x.rule));
  if (warned.size > 0)
    lines.push(`warnings: ${[...warned].sort().join(", ")} (--format json lists every result)`);
  if (!r.checked.hmac)
    lines.push("HMACs not checked (no audit key): chain and signatures were verified.");
  return lines.join("\n") + "\n";
}

export function formatAuditText(r: AuditVerifyReport): string {
  if (isPrefixReport(r)) return formatPrefixText(r);
  const lines: string[] = [];
  const verdict = !r.intact
    ? `TAMPERED: ${r.firstBadMessage ?? firstFail(r)}`
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
        ? // The checkpoint's own line hash: what a head kept elsewhere (`audit head`) names.
          `last ${r.lastCheckpoint.verified ? "verified " : ""}checkpoint seq ${r.lastCheckpoint.seq} (line ${r.lastCheckpoint.line})${r.head ? `, ${r.head.hash}` : ""}`
        : "no verified checkpoint"),
  );
  if (!r.checked.hmac)
    lines.push("HMACs not checked (no audit key): chain and signatures were verified.");
  return lines.join("\n") + "\n";
}
