/**
 * Anchors: what an audit log must reach, kept outside it. Every run ends the log at a signed close
 * checkpoint, so a log cut back to an earlier run's close is a valid, shorter log: nothing in the
 * file shows the cut. A head kept elsewhere (`imgsec audit head`, into a ticket, a CI artifact, a
 * WORM store) or the S3 Object Lock copy does, and the verifier holds the log to them
 * (IMGSEC-AUDIT-006).
 */
import { KeyObject } from "node:crypto";
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { canonical, publicKeyFingerprint } from "./canonical";
import { AuditLogError } from "./errors";
import {
  CHECKPOINT_ALGS,
  CHECKPOINT_REASONS,
  CheckpointAlg,
  CheckpointReason,
  CheckpointRecord,
  LOG_ID_RE,
  SIG_RE,
  TS_RE,
} from "./schema";
import { verifyCheckpointSignature } from "./signer";

export const HEAD_FORMAT = "imgsec-audit-head/v1";

/**
 * The signed head of a log: its last checkpoint, named by log id, seq and the hash of its line,
 * with the fields the checkpoint's signature covers, so a head can itself be checked with the
 * public key. This is also its JSON form. It holds no PHI: the log has none.
 */
export interface AuditHead {
  format: typeof HEAD_FORMAT;
  log: string;
  seq: number;
  /** `sha256:<hex>` of the checkpoint's line: what the next record's `prev` names. */
  hash: string;
  /** `sha256:<hex>` of the line before it: the checkpoint's signed `head`. */
  prev: string;
  ts: string;
  reason: CheckpointReason;
  alg: CheckpointAlg;
  key: string;
  sig: string;
}

const HEAD_FIELDS = ["prev", "ts", "reason", "alg", "key", "sig"] as const;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const MAX_HEAD = 4096;

export function headOf(cp: CheckpointRecord, lineHash: string): AuditHead {
  return {
    format: HEAD_FORMAT,
    log: cp.log,
    seq: cp.seq,
    hash: `sha256:${lineHash}`,
    prev: `sha256:${cp.head}`,
    ts: cp.ts,
    reason: cp.reason,
    alg: cp.alg,
    key: cp.key,
    sig: cp.sig,
  };
}

/** The one-line form: what `--expect-head` takes verbatim. */
export function formatHead(h: AuditHead): string {
  return [
    HEAD_FORMAT,
    h.log,
    String(h.seq),
    h.hash,
    ...HEAD_FIELDS.map((f) => `${f}=${h[f]}`),
  ].join(" ");
}

/** Parses the one-line form or the JSON form; AuditLogError naming the first bad field. */
export function parseHead(input: string, what = "head"): AuditHead {
  const bad = (why: string) =>
    new AuditLogError(
      `${what} is not an audit head: ${why} (give the line or the JSON \`imgsec audit head\` prints)`,
    );
  const text = input.trim();
  if (text.length > MAX_HEAD) throw bad(`longer than ${MAX_HEAD} characters`);
  let fields: Record<string, unknown>;
  if (text.startsWith("{")) {
    try {
      fields = JSON.parse(text);
    } catch {
      throw bad("invalid JSON");
    }
    if (fields === null || typeof fields !== "object" || Array.isArray(fields))
      throw bad("not a JSON object");
    checkFormat(fields.format, bad);
    const extra = Object.keys(fields).find(
      (k) => !["format", "log", "seq", "hash", ...HEAD_FIELDS].includes(k),
    );
    if (extra !== undefined) throw bad(`unknown field ${JSON.stringify(extra.slice(0, 40))}`);
  } else {
    if (text.includes("\n")) throw bad("more than one line");
    const [format, log, seq, hash, ...rest] = text.split(" ");
    checkFormat(format, bad);
    fields = { log, seq: /^\d{1,15}$/.test(seq ?? "") ? Number(seq) : seq, hash };
    for (const kv of rest) {
      const eq = kv.indexOf("=");
      const k = kv.slice(0, eq);
      if (eq < 0 || !(HEAD_FIELDS as readonly string[]).includes(k))
        throw bad(`unexpected ${JSON.stringify(kv.slice(0, 40))}`);
      if (k in fields) throw bad(`${k} given twice`);
      fields[k] = kv.slice(eq + 1);
    }
  }
  const str = (k: string, re: RegExp) => typeof fields[k] === "string" && re.test(fields[k]);
  if (!str("log", LOG_ID_RE)) throw bad("log is not a log id (32 hex digits)");
  const seq = fields.seq;
  // A checkpoint is never seq 0 (the open record is).
  if (!(typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 1))
    throw bad("seq is not a checkpoint's seq (an integer from 1)");
  if (!str("hash", DIGEST_RE)) throw bad("hash is not sha256:<64 hex digits>");
  if (!str("prev", DIGEST_RE)) throw bad("prev is missing or not sha256:<64 hex digits>");
  if (!str("ts", TS_RE)) throw bad("ts is missing or not an ISO 8601 UTC time");
  if (!(CHECKPOINT_REASONS as readonly unknown[]).includes(fields.reason))
    throw bad(`reason is missing or not one of ${CHECKPOINT_REASONS.join(", ")}`);
  const alg = fields.alg as CheckpointAlg;
  if (!(CHECKPOINT_ALGS as readonly unknown[]).includes(alg))
    throw bad(`alg is missing or not one of ${CHECKPOINT_ALGS.join(", ")}`);
  if (!str("key", /^[0-9a-f]{32}$/)) throw bad("key is missing or not a key fingerprint");
  if (!str("sig", SIG_RE[alg])) throw bad(`sig is missing or not an ${alg} signature`);
  return {
    format: HEAD_FORMAT,
    log: fields.log as string,
    seq,
    hash: fields.hash as string,
    prev: fields.prev as string,
    ts: fields.ts as string,
    reason: fields.reason as CheckpointReason,
    alg,
    key: fields.key as string,
    sig: fields.sig as string,
  };
}

function checkFormat(format: unknown, bad: (why: string) => AuditLogError): void {
  if (format === HEAD_FORMAT) return;
  if (typeof format === "string" && format.startsWith("imgsec-audit-head/"))
    throw bad(`${format.slice(0, 40)} is not a format this imgsec reads (${HEAD_FORMAT})`);
  throw bad(`it does not start with ${HEAD_FORMAT}`);
}

/** `--expect-head`: the line itself, or @FILE / FILE holding the line or the JSON. */
export function readHeadArg(arg: string, what = "--expect-head"): AuditHead {
  const t = arg.trim();
  if (t.startsWith("imgsec-audit-head/") || t.startsWith("{")) return parseHead(t, what);
  const file = arg.startsWith("@") ? arg.slice(1) : arg;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AuditLogError(
      code === "ENOENT"
        ? `${what} ${arg}: neither a head (${HEAD_FORMAT} ...) nor a file`
        : `cannot read ${what} ${file}: ${code}`,
    );
  }
  return parseHead(text, `${what} ${file}`);
}

/**
 * Throws unless `publicKey` signed the head: an altered head, or one of another signer's log,
 * anchors nothing, and must not turn a good log into a "tampered" one.
 */
export function checkHeadSignature(h: AuditHead, publicKey: KeyObject, what: string): void {
  const fp = publicKeyFingerprint(publicKey);
  if (h.key !== fp)
    throw new AuditLogError(
      `${what} is signed by key ${h.key}, not by the supplied public key ${fp}: a head of another signer's log`,
    );
  const signed = canonical({
    alg: h.alg,
    covers: h.seq - 1,
    head: h.prev.slice("sha256:".length),
    key: h.key,
    log: h.log,
    reason: h.reason,
    seq: h.seq,
    ts: h.ts,
  });
  if (
    !verifyCheckpointSignature(h.alg, publicKey, Buffer.from(signed), Buffer.from(h.sig, "base64"))
  )
    throw new AuditLogError(`${what}'s signature does not verify under key ${fp}: it was altered`);
}

/** Something outside the log that holds some of its records' line hashes. */
export interface AuditAnchor {
  kind: "head" | "copy";
  /** For messages: "the anchored head (seq 35)", "the S3 Object Lock copy s3://…". */
  name: string;
  log: string;
  /** The seqs it holds a line hash for, first to last. */
  first: number;
  last: number;
  hashAt(seq: number): string;
  /** Why it cannot serve as an anchor (a copy that does not verify itself): reported as a FAIL. */
  broken?: string;
  /** Appended to its PASS message (e.g. a head whose signature was not checked). */
  note?: string;
}

export function headAnchor(h: AuditHead, publicKey?: KeyObject): AuditAnchor {
  if (publicKey) checkHeadSignature(h, publicKey, "the expected head");
  const hash = h.hash.slice("sha256:".length);
  return {
    kind: "head",
    name: `the anchored head (seq ${h.seq})`,
    log: h.log,
    first: h.seq,
    last: h.seq,
    hashAt: () => hash,
    note: publicKey ? undefined : " (the head's own signature not checked: no public key)",
  };
}

/** The log id on a local log's first line, if it has a readable one (to find its S3 copy). */
export function logIdOf(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const nl = buf.subarray(0, n).indexOf(0x0a);
    const log = JSON.parse(buf.subarray(0, nl < 0 ? n : nl).toString("utf8"))?.log;
    return typeof log === "string" && LOG_ID_RE.test(log) ? log : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
