/**
 * The audit log verifier. One streaming pass checks every line (well-formed, canonical, HMAC,
 * seq and prev chain, checkpoint coverage and signature, checkpoint interval) in constant memory;
 * only when something is wrong does a second pass look around the first bad line to name what
 * happened (modified, inserted, deleted, reordered, replayed, ...).
 */
import { KeyObject } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { keyId } from "../keys/keyfile";
import { CheckResult } from "../../policies/engine/result";
import {
  canonical,
  canonicalLine,
  hmacHex,
  publicKeyFingerprint,
  sha256Hex,
  ZERO_HASH,
} from "./canonical";
import { AuditLogError } from "./errors";
import { AuditRuleKey, result } from "./rules";
import { AuditRecord, CheckpointAlg, isAuditRecord } from "./schema";
import { checkpointAlgOf, verifyCheckpointSignature } from "./signer";

export type AuditLogInput = Buffer | { path: string } | { text: string } | { bytes: Buffer };

export interface VerifyOptions {
  /** The audit HMAC key: without it HMACs are reported as not checked (WARN). */
  auditKey?: Buffer;
  /**
   * The checkpoint public key: Ed25519 (the key file's) or ECDSA P-256 (a KMS key's); without it
   * signatures are reported as not checked.
   */
  publicKey?: KeyObject;
  /** Accept a log that does not end with a close checkpoint (writers still running): WARN. */
  allowOpen?: boolean;
  /** `resource` of the results; default the path, else "audit log". */
  resource?: string;
}

export type TamperKind =
  | "modified"
  | "inserted"
  | "deleted"
  | "reordered"
  | "truncated"
  | "replayed"
  | "bad-signature"
  | "torn"
  | "malformed";

export interface FirstBad {
  /** 1-based line number in the input. */
  line: number;
  seq?: number;
  kind: TamperKind;
}

export interface AuditVerifyReport {
  resource: string;
  /** No FAIL result. */
  intact: boolean;
  log?: string;
  results: CheckResult[];
  firstBad?: FirstBad;
  /** One sentence naming the first bad record, when there is one. */
  firstBadMessage?: string;
  counts: { lines: number; records: number; events: number; checkpoints: number };
  /** The last checkpoint whose signature verified (or, without a public key, the last one seen). */
  lastCheckpoint?: { seq: number; head: string; line: number; verified: boolean };
  checked: { hmac: boolean; signatures: boolean };
}

/** What the first pass saw; the second pass turns it into a FirstBad. */
type Raw =
  | "torn"
  | "malformed"
  | "hmac"
  | "foreign"
  | "head-missing"
  | "prev-mismatch"
  | "seq-ahead"
  | "seq-behind"
  | "checkpoint-fields"
  | "bad-signature"
  | "interval"
  | "truncated";

interface Anomaly {
  rule: AuditRuleKey;
  raw: Raw;
  line: number;
  seq?: number;
  /** Expected seq and prev at this line, and the hash of line-2 (for "the previous line is extra"). */
  expSeq: number;
  expPrev: string;
  hashBefore: string;
  hash?: string;
  prev?: string;
  detail: string;
  /** Why, when known (e.g. the supplied key is not the log's): added to the message. */
  note?: string;
}

const NEWLINE = 0x0a;
const CHUNK = 4 * 1024 * 1024;

/** The newline-terminated lines of `buf`; returns where its unterminated rest begins. */
function* completeLines(buf: Buffer): Generator<{ bytes: Buffer; terminated: boolean }, number> {
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(NEWLINE, start);
    if (nl < 0) return start;
    yield { bytes: buf.subarray(start, nl), terminated: true };
    start = nl + 1;
  }
}

/** The input's lines as bytes, and whether each ended with a newline. */
function* readLines(input: AuditLogInput): Generator<{ bytes: Buffer; terminated: boolean }> {
  if (Buffer.isBuffer(input) || "bytes" in input || "text" in input) {
    const buf = Buffer.isBuffer(input)
      ? input
      : "bytes" in input
        ? input.bytes
        : Buffer.from(input.text, "utf8");
    const start = yield* completeLines(buf);
    if (start < buf.length) yield { bytes: buf.subarray(start), terminated: false };
    return;
  }
  const fd = openLog(input.path);
  try {
    let carry: Buffer = Buffer.alloc(0);
    const chunk = Buffer.alloc(CHUNK);
    for (;;) {
      const n = readSync(fd, chunk, 0, CHUNK, null);
      if (n === 0) break;
      const buf = carry.length
        ? Buffer.concat([carry, chunk.subarray(0, n)])
        : chunk.subarray(0, n);
      const start = yield* completeLines(buf);
      // Copy: `chunk` is reused by the next read.
      carry = Buffer.from(buf.subarray(start));
    }
    if (carry.length) yield { bytes: carry, terminated: false };
  } finally {
    closeSync(fd);
  }
}

function openLog(path: string): number {
  try {
    return openSync(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AuditLogError(
      code === "ENOENT" ? `no audit log at ${path}` : `cannot read audit log ${path}: ${code}`,
    );
  }
}

/** Verifies an audit log; never throws for a tampered log, only for unusable input (AuditLogError). */
export function verifyAuditLog(input: AuditLogInput, opts: VerifyOptions = {}): AuditVerifyReport {
  const resource =
    opts.resource ?? (!Buffer.isBuffer(input) && "path" in input ? input.path : "audit log");
  if (!Buffer.isBuffer(input) && "path" in input) closeSync(openLog(input.path)); // fail early, exit 2
  if (opts.publicKey && !checkpointAlgOf(opts.publicKey))
    throw new AuditLogError(
      `the audit public key is a ${opts.publicKey.asymmetricKeyType} key, not Ed25519 or ECDSA P-256`,
    );
  const pass = new Pass(opts);
  for (const l of readLines(input)) pass.line(l.bytes, l.terminated);
  pass.finish();
  const first = pass.first();
  const firstBad = first ? classify(first, input) : undefined;
  return pass.report(resource, first, firstBad);
}

class Pass {
  lineNo = 0;
  expSeq = 0;
  expPrev = ZERO_HASH;
  hashBefore = ZERO_HASH; // hash of the line before the previous one
  lastHash = ZERO_HASH;
  resync = false;
  log?: string;
  every = Infinity;
  signer?: string;
  /** The open record's alg: every checkpoint must use it. */
  alg?: CheckpointAlg;
  logAuditKey?: string;
  run = 0;
  records = 0;
  events = 0;
  checkpoints = 0;
  last?: { type: string; reason?: string; seq: number; line: number };
  lastCheckpoint?: AuditVerifyReport["lastCheckpoint"];
  torn = false;
  anomalies: Anomaly[] = [];
  byRule = new Map<AuditRuleKey, { first: Anomaly; count: number }>();
  readonly keyName?: string;
  readonly pubName?: string;
  readonly pubAlg?: CheckpointAlg;

  constructor(private readonly opts: VerifyOptions) {
    if (opts.auditKey) this.keyName = keyId("audit", opts.auditKey);
    if (opts.publicKey) {
      this.pubName = publicKeyFingerprint(opts.publicKey);
      this.pubAlg = checkpointAlgOf(opts.publicKey);
    }
  }

  private flag(rule: AuditRuleKey, raw: Raw, detail: string, extra: Partial<Anomaly> = {}): void {
    const a: Anomaly = {
      rule,
      raw,
      line: this.lineNo,
      expSeq: this.expSeq,
      expPrev: this.expPrev,
      hashBefore: this.hashBefore,
      detail,
      ...extra,
    };
    if (this.anomalies.length === 0) this.anomalies.push(a);
    const r = this.byRule.get(rule);
    if (r) r.count++;
    else this.byRule.set(rule, { first: a, count: 1 });
  }

  /** Moves the chain's expectations past a line. */
  private advance(hash: string, seq: number | undefined): void {
    this.hashBefore = this.lastHash;
    this.lastHash = hash;
    this.expPrev = hash;
    if (seq !== undefined) this.expSeq = seq + 1;
  }

  line(bytes: Buffer, terminated: boolean): void {
    this.lineNo++;
    if (!terminated) {
      this.torn = true;
      // A live writer may be mid-write: for an open log that is a warning, else a failure.
      if (this.opts.allowOpen) return;
      this.flag(
        "wellformed",
        "torn",
        `line ${this.lineNo} is an incomplete last record (torn write)`,
      );
      return;
    }
    const hash = sha256Hex(bytes);
    const text = bytes.toString("utf8");
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(text);
      if (rec === null || typeof rec !== "object" || Array.isArray(rec)) throw new Error();
    } catch {
      return this.malformed(hash, undefined, "is not a JSON object");
    }
    const seq = typeof rec.seq === "number" && Number.isSafeInteger(rec.seq) ? rec.seq : undefined;
    const { line: canon, body } = canonicalLine(rec);
    const key = this.opts.auditKey;
    const macOk = key ? hmacHex(key, body) === rec.hmac : undefined;
    const valid = isAuditRecord(rec);
    if (!valid || canon !== text) {
      if (macOk === false) this.hmacFailed(rec, seq, hash);
      return this.malformed(
        hash,
        seq,
        valid ? "is not in canonical form" : "is not a valid audit record",
      );
    }
    const r = rec as unknown as AuditRecord;
    const L = this.lineNo;

    // Checkpoint signature first: a re-signed checkpoint also fails its HMAC, and "bad signature"
    // says more than "modified".
    let sigOk: boolean | undefined;
    if (r.type === "checkpoint" && this.alg !== undefined && r.alg !== this.alg) {
      // Checked with or without a public key: a log has one signer, named by its open record.
      sigOk = false;
      this.flag(
        "signatures",
        "bad-signature",
        `the signature of checkpoint seq ${r.seq} (line ${L}) does not verify`,
        { seq: r.seq, note: `: it is an ${r.alg} signature in a log opened for ${this.alg}` },
      );
    } else if (r.type === "checkpoint" && this.opts.publicKey) {
      const signed = canonical({
        alg: r.alg,
        covers: r.covers,
        head: r.head,
        key: r.key,
        log: r.log,
        reason: r.reason,
        seq: r.seq,
        ts: r.ts,
      });
      sigOk = verifyCheckpointSignature(
        r.alg,
        this.opts.publicKey,
        Buffer.from(signed),
        Buffer.from(r.sig, "base64"),
      );
      if (!sigOk) {
        const logAlg = this.alg ?? r.alg;
        const who =
          this.signer && this.pubName && logAlg !== this.pubAlg
            ? `: the log names signing key ${this.signer} (${logAlg}), the supplied public key is ${this.pubName} (${this.pubAlg}): wrong key (for a KMS-signed log, the KMS key's public key)`
            : this.signer && this.pubName && this.signer !== this.pubName
              ? `: the log names signing key ${this.signer}, the supplied public key is ${this.pubName} (wrong key, or re-signed)`
              : r.key !== this.pubName
                ? `: it names signing key ${r.key}, not the supplied ${this.pubName}`
                : "";
        this.flag(
          "signatures",
          "bad-signature",
          `the signature of checkpoint seq ${r.seq} (line ${L}) does not verify`,
          { seq: r.seq, note: who },
        );
      }
    }
    if (macOk === false) this.hmacFailed(rec, seq, hash);

    if (L === 1) {
      this.log = r.log;
      if (r.type === "open") {
        this.every = r.every;
        this.signer = r.signer;
        this.alg = r.alg;
        this.logAuditKey = r.auditKey;
      }
      if (r.seq !== 0) {
        this.flag(
          "chain",
          "head-missing",
          `the log starts at seq ${r.seq}: records 0-${r.seq - 1} are missing`,
          { seq: r.seq },
        );
      } else if (r.type !== "open") {
        this.flag("chain", "malformed", "the first record is not an open record", { seq: 0 });
      }
    } else if (this.log === undefined) {
      this.log = r.log; // line 1 was unreadable: the first valid record names the log
    } else if (r.log !== this.log) {
      this.flag("chain", "foreign", `line ${L} (seq ${r.seq}) belongs to another log`, {
        seq: r.seq,
      });
    }

    if (this.resync) {
      this.resync = false;
    } else if (L > 1 || r.seq === 0) {
      const extra = { seq: r.seq, hash, prev: r.prev };
      if (r.seq === this.expSeq) {
        if (r.prev !== this.expPrev)
          this.flag(
            "chain",
            "prev-mismatch",
            `line ${L} (seq ${r.seq}) does not name the hash of line ${L - 1}`,
            extra,
          );
      } else if (r.seq > this.expSeq) {
        this.flag(
          "chain",
          "seq-ahead",
          `line ${L} has seq ${r.seq}, expected ${this.expSeq}`,
          extra,
        );
      } else {
        this.flag(
          "chain",
          "seq-behind",
          `line ${L} has seq ${r.seq}, expected ${this.expSeq}`,
          extra,
        );
      }
    }

    this.records++;
    if (r.type === "checkpoint") {
      this.checkpoints++;
      if (r.covers !== r.seq - 1 || r.head !== r.prev || (this.signer && r.key !== this.signer)) {
        this.flag(
          "signatures",
          "checkpoint-fields",
          `checkpoint seq ${r.seq} (line ${L}) does not cover the record before it`,
          { seq: r.seq },
        );
      }
      if (sigOk !== false)
        this.lastCheckpoint = { seq: r.seq, head: r.head, line: L, verified: sigOk === true };
      this.run = 0;
    } else {
      if (r.type === "event") this.events++;
      if (++this.run > this.every) {
        this.flag(
          "signatures",
          "interval",
          `no checkpoint within ${this.every} records before line ${L} (seq ${r.seq}): a checkpoint is missing`,
          { seq: r.seq },
        );
        this.run = 0;
      }
    }
    this.last = {
      type: r.type,
      reason: r.type === "checkpoint" ? r.reason : undefined,
      seq: r.seq,
      line: L,
    };
    this.advance(hash, r.seq);
  }

  private hmacFailed(rec: Record<string, unknown>, seq: number | undefined, hash: string): void {
    const named = this.logAuditKey ?? (this.lineNo === 1 ? rec.auditKey : undefined);
    const note =
      typeof named === "string" && named !== this.keyName
        ? `: the log names audit key ${named}, the supplied key is ${this.keyName} (wrong key file, or altered)`
        : undefined;
    this.flag(
      "hmac",
      "hmac",
      `the HMAC of line ${this.lineNo}${seq !== undefined ? ` (seq ${seq})` : ""} does not verify`,
      {
        note,
        seq,
        hash,
        prev: typeof rec.prev === "string" ? rec.prev : undefined,
      },
    );
  }

  private malformed(hash: string, seq: number | undefined, what: string): void {
    this.flag("wellformed", "malformed", `line ${this.lineNo} ${what}`, { seq });
    // The next record is checked against its own predecessor claim, not this unreadable line.
    this.resync = true;
    this.advance(hash, seq);
    if (this.lineNo === 1) this.expSeq = 1;
  }

  finish(): void {
    if (this.lineNo === 0) {
      this.lineNo = 1;
      this.flag("complete", "truncated", "the log is empty", { seq: 0 });
      return;
    }
    const last = this.last;
    const complete = last?.type === "checkpoint" && last.reason === "close" && !this.torn;
    if (complete || this.opts.allowOpen) return;
    const lastSeq = last?.seq ?? -1;
    const at = (last?.line ?? 0) + 1;
    const saved = this.lineNo;
    this.lineNo = at;
    this.flag(
      "complete",
      "truncated",
      last
        ? `the log ends at line ${last.line} (seq ${last.seq}) without a close checkpoint: its tail was cut off, or its last writer crashed`
        : "the log holds no complete record",
      { seq: lastSeq + 1 },
    );
    this.lineNo = saved;
  }

  /** Lines are checked in order, so the first anomaly flagged is on the earliest line. */
  first(): Anomaly | undefined {
    return this.anomalies[0];
  }

  report(
    resource: string,
    first: Anomaly | undefined,
    firstBad: FirstBad | undefined,
  ): AuditVerifyReport {
    const badMessage = firstBad && describe(firstBad);
    const msg = (rule: AuditRuleKey, ok: string): CheckResult => {
      const r = this.byRule.get(rule);
      if (!r) return result(rule, "PASS", resource, ok);
      const text =
        (r.first === first && badMessage ? badMessage : r.first.detail) + (r.first.note ?? "");
      return result(
        rule,
        "FAIL",
        resource,
        r.count > 1 ? `${text} (and ${r.count - 1} more)` : text,
      );
    };
    const results: CheckResult[] = [];
    const n = this.records;
    if (!this.opts.auditKey)
      results.push(
        result(
          "hmac",
          "WARN",
          resource,
          "HMACs not checked: no audit key (chain and checkpoint signatures still verified; records after the last checkpoint are then unauthenticated)",
        ),
      );
    else results.push(msg("hmac", `all ${n} records carry a valid HMAC`));
    results.push(
      msg("chain", `seq 0-${n - 1} are consecutive and each names its predecessor's hash`),
    );
    const sig = msg(
      "signatures",
      this.opts.publicKey
        ? `${this.checkpoints} checkpoint signatures verify; at most ${this.every === Infinity ? "-" : this.every} records between checkpoints`
        : "",
    );
    if (!this.opts.publicKey && sig.status === "PASS")
      results.push(
        result("signatures", "WARN", resource, "checkpoint signatures not checked: no public key"),
      );
    else results.push(sig);
    const complete = this.byRule.get("complete");
    if (complete) results.push(msg("complete", ""));
    else if (this.last?.type === "checkpoint" && this.last.reason === "close" && !this.torn)
      results.push(
        result(
          "complete",
          "PASS",
          resource,
          `the log ends with a close checkpoint covering all ${n} records`,
        ),
      );
    else if (this.run > 0 || this.torn)
      results.push(
        result(
          "complete",
          "WARN",
          resource,
          `open log: ${this.run} record(s) after the last checkpoint${this.lastCheckpoint ? ` (seq ${this.lastCheckpoint.seq})` : ""} are not yet signed and could be cut or rewritten by a holder of the HMAC key`,
        ),
      );
    else
      results.push(
        result("complete", "PASS", resource, "open log: it ends at a signed checkpoint"),
      );
    const wf = msg("wellformed", `all ${this.lineNo} lines are complete, canonical records`);
    if (wf.status === "PASS" && this.torn)
      results.push(
        result(
          "wellformed",
          "WARN",
          resource,
          `the last line (${this.lineNo}) is incomplete: a writer is mid-write, or crashed`,
        ),
      );
    else results.push(wf);
    return {
      resource,
      intact: !results.some((r) => r.status === "FAIL"),
      log: this.log,
      results,
      firstBad,
      firstBadMessage: badMessage,
      counts: {
        lines: this.lineNo,
        records: this.records,
        events: this.events,
        checkpoints: this.checkpoints,
      },
      lastCheckpoint: this.lastCheckpoint,
      checked: { hmac: !!this.opts.auditKey, signatures: !!this.opts.publicKey },
    };
  }
}

/** A sentence naming the first bad record and what happened to it. */
export function describe(b: FirstBad): string {
  const at = `line ${b.line}${b.seq !== undefined ? ` (seq ${b.seq})` : ""}`;
  switch (b.kind) {
    case "modified":
      return `${at} was modified`;
    case "inserted":
      return `${at} was inserted: it is not a record of this log at this place`;
    case "deleted":
      return `record seq ${b.seq} is missing at line ${b.line}: deleted`;
    case "reordered":
      return `${at} is out of order: records were reordered`;
    case "replayed":
      return `${at} repeats an earlier record: replayed`;
    case "truncated":
      return `the log ends before line ${b.line} (seq ${b.seq}) without a close checkpoint: truncated, or its last writer crashed`;
    case "bad-signature":
      return `the signature of checkpoint ${at} does not verify: the checkpoint or the records it covers were rewritten, or it was signed by another key`;
    case "torn":
      return `line ${b.line} is an incomplete last record: torn (a crash mid-write)`;
    case "malformed":
      return `${at} is not a well-formed audit record`;
  }
}

/** Names the first bad record; a second pass answers "does seq X appear later / this line earlier?". */
function classify(a: Anomaly, input: AuditLogInput): FirstBad {
  switch (a.raw) {
    case "torn":
      return { line: a.line, kind: "torn" };
    case "malformed":
      return { line: a.line, seq: a.seq, kind: "malformed" };
    case "foreign":
    case "checkpoint-fields":
      return { line: a.line, seq: a.seq, kind: a.raw === "foreign" ? "inserted" : "modified" };
    case "head-missing":
      return { line: 1, seq: 0, kind: "deleted" };
    case "prev-mismatch":
      return { line: a.line - 1, seq: (a.seq as number) - 1, kind: "modified" };
    case "bad-signature":
      return { line: a.line, seq: a.seq, kind: "bad-signature" };
    case "interval":
      return { line: a.line, seq: a.seq, kind: "deleted" };
    case "truncated":
      return { line: a.line, seq: a.seq, kind: "truncated" };
    default:
      break;
  }
  const s = a.seq as number;
  const ctx = lookAround(input, a, a.raw === "seq-behind");
  if (a.raw === "hmac") {
    // An extra record: the one after it continues the chain from the one before it.
    const next = ctx.next;
    const chainsOver = next
      ? next.seq === a.expSeq && next.prev === a.expPrev
      : s !== a.expSeq || a.prev !== a.expPrev;
    return { line: a.line, seq: a.seq, kind: chainsOver ? "inserted" : "modified" };
  }
  if (a.raw === "seq-ahead") {
    if (ctx.laterSeqs.has(s)) return { line: a.line, seq: s, kind: "inserted" };
    if (ctx.laterSeqs.has(a.expSeq)) return { line: a.line, seq: s, kind: "reordered" };
    return { line: a.line, seq: a.expSeq, kind: "deleted" };
  }
  // seq-behind
  if (ctx.identicalEarlier) return { line: a.line, seq: s, kind: "replayed" };
  if (s === a.expSeq - 1 && a.prev === a.hashBefore)
    return { line: a.line - 1, seq: s, kind: "inserted" };
  return { line: a.line, seq: s, kind: "inserted" };
}

function lookAround(
  input: AuditLogInput,
  a: Anomaly,
  wantEarlier: boolean,
): { next?: { seq?: number; prev?: unknown }; laterSeqs: Set<number>; identicalEarlier: boolean } {
  const want = new Set([a.seq as number, a.expSeq]);
  const laterSeqs = new Set<number>();
  let next: { seq?: number; prev?: unknown } | undefined;
  let identicalEarlier = false;
  let n = 0;
  for (const l of readLines(input)) {
    n++;
    if (n < a.line) {
      if (wantEarlier && !identicalEarlier && sha256Hex(l.bytes) === a.hash)
        identicalEarlier = true;
      continue;
    }
    if (n === a.line) continue;
    let rec: { seq?: unknown; prev?: unknown; log?: unknown } | undefined;
    try {
      rec = JSON.parse(l.bytes.toString("utf8"));
    } catch {
      rec = undefined;
    }
    const seq = typeof rec?.seq === "number" ? rec.seq : undefined;
    if (n === a.line + 1) next = { seq, prev: rec?.prev };
    if (seq !== undefined && want.has(seq)) laterSeqs.add(seq);
  }
  return { next, laterSeqs, identicalEarlier };
}
