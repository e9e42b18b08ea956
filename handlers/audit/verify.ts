/**
 * The audit log verifier. One streaming pass checks every line (well-formed, canonical, HMAC,
 * seq and prev chain, checkpoint coverage and signature, checkpoint interval, and against any
 * anchor kept outside the log) in constant memory; only when something is wrong does a second
 * pass look around the first bad line to name what happened (modified, inserted, deleted,
 * reordered, replayed, ...).
 */
import { KeyObject } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { keyId } from "../keys/keyfile";
import { CheckResult } from "../results/result";
import {
  canonical,
  canonicalLine,
  hmacHex,
  publicKeyFingerprint,
  sha256Hex,
  ZERO_HASH,
} from "./canonical";
import { AuditAnchor, AuditHead, headAnchor, headOf } from "./anchor";
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
  /**
   * A head kept outside the log (`imgsec audit head`): the log must reach its seq and hold that
   * very checkpoint there (IMGSEC-AUDIT-006). Its signature is checked first with `publicKey`.
   */
  expectHead?: AuditHead;
  /**
   * A copy kept outside the log (the S3 Object Lock segments, `location` names it): the log must
   * hold every record of it, byte for byte (IMGSEC-AUDIT-006). The copy is verified first.
   */
  copy?: { bytes: Buffer; location: string };
  /** Called with every well-formed event record, in order, in the same pass (the report reads them). */
  onEvent?: (record: Readonly<AuditRecord>) => void;
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
  | "malformed"
  | "forked"
  | "replaced";

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
  /** That checkpoint as a head to keep elsewhere (`imgsec audit head` prints it). */
  head?: AuditHead;
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
  | "truncated"
  | "anchor-log"
  | "anchor-differs"
  | "anchor-missing"
  | "anchor-truncated";

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

interface AnchorState {
  a: AuditAnchor;
  /** The next seq of the anchor's to find in the log. */
  next: number;
  logChecked: boolean;
  /** The first finding against it. */
  failed?: string;
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
  const anchors: AuditAnchor[] = [];
  if (opts.expectHead) anchors.push(headAnchor(opts.expectHead, opts.publicKey));
  if (opts.copy) anchors.push(copyAnchor(opts.copy, opts));
  const pass = new Pass(opts, anchors);
  for (const l of readLines(input)) pass.line(l.bytes, l.terminated);
  pass.finish();
  pass.finishAnchors();
  const first = pass.first();
  const firstBad = first ? classify(first, input) : undefined;
  return pass.report(resource, first, firstBad);
}

/**
 * A copy as an anchor: verified on its own first (with the same keys; it may end at an interval
 * checkpoint, its last segment), so a forged or gapped copy cannot vouch for or against the log.
 * It anchors only up to its last checkpoint: records after one are not signed.
 */
function copyAnchor(copy: { bytes: Buffer; location: string }, opts: VerifyOptions): AuditAnchor {
  const name = `the S3 Object Lock copy ${copy.location}`;
  const r = verifyAuditLog(copy.bytes, {
    auditKey: opts.auditKey,
    publicKey: opts.publicKey,
    allowOpen: true,
    resource: copy.location,
  });
  const last = r.lastCheckpoint?.seq ?? -1;
  const hashes: string[] = [];
  if (r.intact)
    for (const l of readLines(copy.bytes)) {
      if (hashes.length > last) break;
      hashes.push(sha256Hex(l.bytes));
    }
  const why = r.intact
    ? last < 0
      ? "it holds no signed checkpoint"
      : undefined
    : `it does not verify itself: ${r.firstBadMessage ?? r.results.find((x) => x.status === "FAIL")?.message}`;
  return {
    kind: "copy",
    name,
    log: r.log ?? "",
    first: 0,
    last,
    hashAt: (seq) => hashes[seq],
    broken: why
      ? `${name} cannot anchor the log: ${why}; examine it with imgsec audit verify ${copy.location}`
      : undefined,
  };
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
  head?: AuditHead;
  /** The highest seq on any line, readable or not: where the log ends, for the anchors. */
  maxSeq = -1;
  torn = false;
  anomalies: Anomaly[] = [];
  byRule = new Map<AuditRuleKey, { first: Anomaly; count: number }>();
  readonly keyName?: string;
  readonly pubName?: string;
  readonly pubAlg?: CheckpointAlg;

  readonly anchors: AnchorState[];

  constructor(
    private readonly opts: VerifyOptions,
    anchors: AuditAnchor[],
  ) {
    this.anchors = anchors.map((a) => ({ a, next: a.first, logChecked: false }));
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
    const seen = this.record(bytes, hash);
    // After the line's own checks: a record that is bad in itself is named as such first.
    if (seen.seq !== undefined && seen.seq > this.maxSeq) this.maxSeq = seen.seq;
    if (this.anchors.length) this.anchorLine(seen.seq, seen.log, hash);
  }

  /** Checks one complete line; returns its seq and log id as far as they are readable. */
  private record(bytes: Buffer, hash: string): { seq?: number; log?: unknown } {
    const text = bytes.toString("utf8");
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(text);
      if (rec === null || typeof rec !== "object" || Array.isArray(rec)) throw new Error();
    } catch {
      this.malformed(hash, undefined, "is not a JSON object");
      return {};
    }
    const seq = typeof rec.seq === "number" && Number.isSafeInteger(rec.seq) ? rec.seq : undefined;
    const { line: canon, body } = canonicalLine(rec);
    const key = this.opts.auditKey;
    const macOk = key ? hmacHex(key, body) === rec.hmac : undefined;
    const valid = isAuditRecord(rec);
    if (!valid || canon !== text) {
      if (macOk === false) this.hmacFailed(rec, seq, hash);
      this.malformed(hash, seq, valid ? "is not in canonical form" : "is not a valid audit record");
      return { seq, log: rec.log };
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
      if (sigOk !== false) {
        this.lastCheckpoint = { seq: r.seq, head: r.head, line: L, verified: sigOk === true };
        this.head = headOf(r, hash);
      }
      this.run = 0;
    } else {
      if (r.type === "event") {
        this.events++;
        this.opts.onEvent?.(r);
      }
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
    return { seq: r.seq, log: r.log };
  }

  /** Holds the line against every anchor: the same log, and the very record each holds at its seq. */
  private anchorLine(seq: number | undefined, log: unknown, hash: string): void {
    const L = this.lineNo;
    for (const s of this.anchors) {
      if (s.failed || s.a.broken) continue;
      if (!s.logChecked && typeof log === "string") {
        s.logChecked = true;
        if (log !== s.a.log) {
          this.anchorFail(
            s,
            "anchor-log",
            `this is log ${log}, ${s.a.name} names log ${s.a.log}: the anchored log was replaced by another`,
            { seq },
          );
          continue;
        }
      }
      if (seq === undefined || seq < s.next || s.next > s.a.last) continue;
      if (seq > s.next)
        this.anchorFail(
          s,
          "anchor-missing",
          `line ${L} has seq ${seq}: the log holds no record at seq ${s.next}, which ${s.a.name} holds`,
          { seq: s.next },
        );
      else if (hash !== s.a.hashAt(seq))
        this.anchorFail(
          s,
          "anchor-differs",
          `line ${L} (seq ${seq}) is not the record ${s.a.name} holds at seq ${seq}: modified, or the log was cut back and written on from there (forked)`,
          { seq },
        );
      else s.next++;
    }
  }

  private anchorFail(s: AnchorState, raw: Raw, detail: string, extra: Partial<Anomaly>): void {
    s.failed = detail;
    this.flag("anchor", raw, detail, extra);
  }

  /** An anchor the log never reached: it was cut back (or, if later seqs exist, a record is unreadable). */
  finishAnchors(): void {
    const end = this.maxSeq;
    const lines = this.lineNo;
    for (const s of this.anchors) {
      if (s.failed || s.a.broken || s.next > s.a.last) continue;
      const at = { line: lines + 1, seq: end + 1 };
      const ends =
        end < 0 ? "the log holds no record" : `the log ends at seq ${end} (line ${lines})`;
      if (end >= s.next)
        this.anchorFail(
          s,
          "anchor-missing",
          `the log holds no readable record at seq ${s.next}, which ${s.a.name} holds`,
          { seq: s.next },
        );
      else if (s.a.kind === "head")
        this.anchorFail(
          s,
          "anchor-truncated",
          `${ends}, before ${s.a.name}: it was cut back (truncated), ${s.a.last - end} record(s) missing`,
          at,
        );
      else
        this.anchorFail(
          s,
          "anchor-truncated",
          `${ends}, ${s.a.name} holds ${s.a.last - end} record(s) more (seq ${end + 1}-${s.a.last}): the log was cut back (truncated)`,
          at,
        );
    }
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

  /** IMGSEC-AUDIT-006: one result per anchor; without one, a WARN saying what cannot be seen. */
  private anchorResults(resource: string): CheckResult[] {
    if (this.anchors.length === 0)
      return [
        result(
          "anchor",
          "WARN",
          resource,
          "no anchor: a log cut back to an earlier run's close checkpoint is a valid, shorter log, which cannot be detected without one; keep each head elsewhere (imgsec audit head) and verify with --expect-head, or against the S3 Object Lock copy (--s3, IMGSEC_AUDIT_S3)",
        ),
      ];
    return this.anchors.map((s) => {
      if (s.a.broken) return result("anchor", "FAIL", resource, s.a.broken);
      if (s.failed) return result("anchor", "FAIL", resource, s.failed);
      const beyond = this.maxSeq - s.a.last;
      if (s.a.kind === "head")
        return result(
          "anchor",
          "PASS",
          resource,
          `the log holds ${s.a.name} of log ${s.a.log}, checkpoint hash sha256:${s.a.hashAt(s.a.last)}${beyond > 0 ? `, and ${beyond} record(s) after it` : ""}${s.a.note ?? ""}`,
        );
      return result(
        "anchor",
        "PASS",
        resource,
        `the log holds every record of ${s.a.name}, byte for byte (seq 0-${s.a.last})${beyond > 0 ? `; the ${beyond} record(s) after it are not in the copy (yet)` : ""}`,
      );
    });
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
    // An anchor's finding reads better in its own words (e.g. truncated *at* a close checkpoint).
    const badMessage = firstBad && (first?.rule === "anchor" ? first.detail : describe(firstBad));
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
          `the log ends at a signed close checkpoint covering all ${n} records (a cut back to an earlier close would too: that takes an anchor, IMGSEC-AUDIT-006)`,
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
    results.push(...this.anchorResults(resource));
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
      head: this.head,
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
    case "forked":
      return `${at} is not the record the anchor holds there: modified, or the log was cut back and written on from there (forked)`;
    case "replaced":
      return "the log is not the anchored one: another log replaced it";
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
    case "anchor-truncated":
      return { line: a.line, seq: a.seq, kind: "truncated" };
    case "anchor-log":
      return { line: a.line, seq: a.seq, kind: "replaced" };
    case "anchor-differs":
      return { line: a.line, seq: a.seq, kind: "forked" };
    case "anchor-missing":
      return { line: a.line, seq: a.seq, kind: "deleted" };
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
