/**
 * The audit log writer: appends hash-chained, HMAC'd records to a local JSONL file, with a
 * signed checkpoint (the key file's Ed25519 key, or a KMS key) every N records and at close.
 * Many writers (threads, processes) may share one log: an in-process mutex and a cross-process
 * lock file serialize them, and each writer re-reads the log's tail under the lock, so records
 * never interleave, tear or get lost.
 */
import type { KMSClient } from "@aws-sdk/client-kms";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  realpathSync,
  Stats,
  statSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { type LockOptions, lock } from "proper-lockfile";
import { loadKey, loadSigningKey, zeroize } from "../keys/keyfile";
import { checkActor, resolveActor } from "./actor";
import { canonical, hmacHex, sha256Hex, ZERO_HASH } from "./canonical";
import { fsyncDir, fsyncOnPool } from "../fs/atomic";
import { auditLogPath } from "./env";

export { auditLogPath, DEFAULT_AUDIT_LOG } from "./env";
import { AuditLogError } from "./errors";
import { AuditSegment, AuditSink } from "./sink";
import type { S3SinkOptions } from "./s3";
import { AuditEvent, CheckpointReason, isAuditRecord, OpenRecord, validateEvent } from "./schema";
import { CheckpointSigner, ed25519Signer, KMS_SIGNER_ENV, kmsSigner } from "./signer";

export const DEFAULT_CHECKPOINT_EVERY = 100;
// Appends queued while a batch is being written go out together in the next one (group commit).
const MAX_BATCH = 1000;
type RetryOptions = Exclude<LockOptions["retries"], number | undefined>;
/** How a held lock is waited for (proper-lockfile's retries): long enough to outwait a stale one. */
const HELD_LOCK_RETRIES: RetryOptions = {
  retries: 1000,
  factor: 1.2,
  minTimeout: 1,
  maxTimeout: 50,
  randomize: true,
};
const NEWLINE = 0x0a;

export interface OpenAuditLogOptions {
  /** Default: auditLogPath(undefined, keysPath) (IMGSEC_AUDIT_LOG, then beside the key file). */
  path?: string;
  keysPath: string;
  /** Default: resolveActor() (IMGSEC_ACTOR, the STS caller ARN in AWS, local:<user>). */
  actor?: string;
  /** A checkpoint after at most this many unsigned records (default 100; a log keeps its own if smaller). */
  checkpointEvery?: number;
  /** Additional destination for checkpoint segments. */
  sink?: AuditSink;
  /** The S3 Object Lock copy; default from IMGSEC_AUDIT_S3 (s3://bucket/prefix/); false: none. */
  s3?: S3SinkOptions | false;
  /** A lock older than this is taken over (its holder died); default 10 s. */
  lockStaleMs?: number;
  /**
   * Who signs checkpoints. Default: the KMS key named by IMGSEC_AUDIT_SIGNING_KMS_KEY (a key ARN)
   * when set, else the key file's Ed25519 key. `{kmsKeyId}`: an ECC_NIST_P256 SIGN_VERIFY KMS key.
   * "key-file": the key file's Ed25519 key even when the env is set. A CheckpointSigner: that one
   * (the caller keeps ownership of it).
   */
  signer?: SignerOption;
}

export type SignerOption = "key-file" | { kmsKeyId: string; client?: KMSClient } | CheckpointSigner;

/** The checkpoint signer the option (or the env) names; `own`: the writer disposes of it. */
async function resolveSigner(
  opt: SignerOption | undefined,
  keysPath: string,
): Promise<{ signer: CheckpointSigner; own: boolean }> {
  const fromEnv = process.env[KMS_SIGNER_ENV];
  const choice = opt ?? (fromEnv ? { kmsKeyId: fromEnv } : "key-file");
  if (choice === "key-file")
    return { signer: ed25519Signer(loadSigningKey(keysPath).privateKey), own: true };
  if ("sign" in choice) return { signer: choice, own: false };
  return { signer: await kmsSigner(choice), own: true };
}

export interface AppendResult {
  seq: number;
  /** SHA-256 of the record's line: what the next record's `prev` will be. */
  hash: string;
}

export interface AuditWriter {
  readonly path: string;
  readonly logId: string;
  readonly actor: string;
  /** Validates the event (AuditEventError if refused), then appends it. */
  append(event: AuditEvent): Promise<AppendResult>;
  /** Writes the close checkpoint, fsyncs, waits for sink copies, zeroes keys. */
  close(): Promise<void>;
}

/** What the writer knows of the log's end, read under the lock. */
interface Tail {
  size: number;
  ino: number;
  seq: number;
  hash: string;
  /** Bytes of the last line, newline included. */
  lastLen: number;
  /** Records since the last checkpoint (or since the start). */
  run: number;
  /** Byte offset and seq of the first record after the last checkpoint: where a segment starts. */
  segStart: number;
  segFirst: number;
}

type ValidEvent = ReturnType<typeof validateEvent>;

interface Pending {
  event: ValidEvent;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

// One promise chain per log file in this thread: the lock file admits one holder per process.
const mutexes = new Map<string, Promise<void>>();

async function withMutex<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = mutexes.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const chain = before.then(() => mine);
  mutexes.set(key, chain);
  await before;
  try {
    return await fn();
  } finally {
    release();
    if (mutexes.get(key) === chain) mutexes.delete(key);
  }
}

const code = (e: unknown) => (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.name ?? "error";

const now = () => new Date().toISOString();

function tornMessage(path: string, what: string): string {
  return (
    `audit log ${path} ${what}: refusing to append. Keep the file unchanged as evidence ` +
    `(\`imgsec audit verify --allow-open ${path}\` shows what it holds) and start a new log ` +
    `(IMGSEC_AUDIT_LOG or another path)`
  );
}

/** The S3 Object Lock sink the options (or IMGSEC_AUDIT_S3) ask for; the AWS SDK loads only then. */
async function s3SinkFor(s3: S3SinkOptions | false | undefined): Promise<AuditSink | undefined> {
  if (s3 === false || (s3 === undefined && !process.env.IMGSEC_AUDIT_S3)) return undefined;
  const m = await import("./s3");
  return s3 === undefined ? m.s3SinkFromEnv() : m.s3Sink(s3);
}

export async function openAuditLog(opts: OpenAuditLogOptions): Promise<AuditWriter> {
  const every = checkEvery(opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY);
  const actor = opts.actor !== undefined ? checkActor(opts.actor) : await resolveActor();
  const sinks: AuditSink[] = [];
  if (opts.sink) sinks.push(opts.sink);
  const s3 = await s3SinkFor(opts.s3);
  if (s3) sinks.push(s3);
  // The HMAC key first: a missing key file is a KeyFileError before any KMS call.
  const { key, id } = loadKey(opts.keysPath, "audit");
  let signing: Awaited<ReturnType<typeof resolveSigner>>;
  try {
    signing = await resolveSigner(opts.signer, opts.keysPath);
  } catch (e) {
    zeroize(key);
    throw e;
  }
  return openWriter({
    path: auditLogPath(opts.path, opts.keysPath),
    key,
    keyId: id,
    signer: signing.signer,
    ownSigner: signing.own,
    actor,
    every,
    sinks,
    staleMs: opts.lockStaleMs ?? 10_000,
  });
}

function checkEvery(every: number): number {
  if (!Number.isInteger(every) || every < 1 || every > 1_000_000)
    throw new AuditLogError(`checkpointEvery must be an integer from 1 to 1000000 (got ${every})`);
  return every;
}

/** What a writer is built from once its keys, signer and actor are known. */
export interface WriterInit {
  path: string;
  /** The audit HMAC key: the writer owns it and zeroes it when it closes (or fails to open). */
  key: Buffer;
  keyId: string;
  signer: CheckpointSigner;
  /** The writer disposes of the signer when it closes. */
  ownSigner: boolean;
  actor: string;
  every: number;
  sinks: AuditSink[];
  staleMs: number;
}

/** A writer that can also be asked for a checkpoint now (an instance log's seal). */
export interface SealingWriter extends AuditWriter {
  /**
   * A `seal` checkpoint covering every record appended before the call (none when no event
   * was appended since the last checkpoint), written and fsync'ed, its segment handed to the sinks.
   */
  seal(): Promise<void>;
}

/** Opens (or creates) the log at `init.path` with keys already in hand. */
export async function openWriter(init: WriterInit): Promise<SealingWriter> {
  let every: number;
  try {
    every = checkEvery(init.every);
  } catch (e) {
    zeroize(init.key);
    throw e;
  }
  const writer = new Writer(
    init.path,
    init.key,
    init.keyId,
    init.signer,
    init.ownSigner,
    init.actor,
    every,
    init.sinks,
    init.staleMs,
  );
  try {
    await writer.init();
  } catch (e) {
    writer.dispose();
    throw e;
  }
  return writer;
}

class Writer implements SealingWriter {
  logId = "";
  private fd = -1;
  private real = "";
  private tail: Tail | undefined;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private compromised: Error | undefined;
  private unshipped: AuditSegment[] = [];
  private shipError = "";

  constructor(
    readonly path: string,
    private readonly key: Buffer,
    private readonly keyId: string,
    private readonly signer: CheckpointSigner,
    private readonly ownSigner: boolean,
    readonly actor: string,
    private every: number,
    private readonly sinks: AuditSink[],
    private readonly staleMs: number,
  ) {}

  async init(): Promise<void> {
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      this.fd = openSync(this.path, "a+", 0o600);
      this.real = realpathSync(this.path);
    } catch (e) {
      throw new AuditLogError(`cannot open audit log ${this.path}: ${code(e)}`);
    }
    await this.locked(() => {
      const st = fstatSync(this.fd);
      if (st.size === 0) this.genesis(st);
      else {
        this.readHead(st.size);
        this.tail = this.readTail(st);
      }
    });
  }

  append(event: AuditEvent): Promise<AppendResult> {
    if (this.closing) return Promise.reject(new AuditLogError("the audit writer is closed"));
    let valid: ValidEvent;
    try {
      valid = validateEvent(event);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ event: valid, resolve, reject });
      this.kick();
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        while (this.flushing) await this.flushing;
        const { segments } = await this.locked(() => this.commit([], "close"));
        await this.ship(segments);
        if (this.unshipped.length > 0) {
          const first = this.unshipped[0].first;
          const last = this.unshipped[this.unshipped.length - 1].last;
          throw new AuditLogError(
            `the local audit log ${this.path} is complete, but records seq ${first}-${last} could not be copied to ${this.sinks.map((s) => s.name).join(", ")} (${this.shipError})`,
          );
        }
      } finally {
        this.dispose();
      }
    })();
    return this.closing;
  }

  async seal(): Promise<void> {
    if (this.closing) throw new AuditLogError("the audit writer is closed");
    while (this.flushing) await this.flushing;
    const { segments } = await this.locked(() => this.commit([], "seal"));
    await this.ship(segments);
  }

  /**
   * Zeroes the HMAC key, closes the file and releases the signer (the Ed25519 key is an opaque
   * KeyObject; a KMS signer's client is destroyed).
   */
  dispose(): void {
    zeroize(this.key);
    if (this.ownSigner) this.signer.dispose?.();
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = -1;
    }
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
      // An append that arrived while the loop was ending must not wait for the next one.
      if (this.queue.length > 0) this.kick();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const { results, segments } = await this.locked(() =>
          this.commit(
            batch.map((b) => b.event),
            undefined,
          ),
        );
        await this.ship(segments);
        batch.forEach((b, i) => b.resolve(results[i]));
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
  }

  /** Runs `fn` (file work, and signing) holding the in-process mutex and the cross-process lock. */
  private locked<T>(fn: () => T | Promise<T>): Promise<T> {
    return withMutex(this.real, async () => {
      if (this.compromised)
        throw new AuditLogError(
          `the lock on audit log ${this.path} was lost: ${this.compromised.message}`,
        );
      let release: () => Promise<void>;
      const options = (retries: number | RetryOptions): LockOptions => ({
        realpath: false,
        stale: this.staleMs,
        retries,
        onCompromised: (e: Error) => {
          this.compromised = e;
        },
      });
      try {
        // A free lock first, without retries: a schedule of 1,000 retries costs more CPU to
        // build (the retry package computes it on every call) than the lock itself.
        release = await lock(this.real, options(0)).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== "ELOCKED") throw e;
          // Held: retry long enough to outwait a dead holder's stale lock.
          return lock(this.real, options(HELD_LOCK_RETRIES));
        });
      } catch (e) {
        throw new AuditLogError(`cannot lock audit log ${this.path}: ${code(e)}`);
      }
      try {
        return await fn();
      } finally {
        await release().catch(() => undefined);
      }
    });
  }

  /** Reads the open record (seq 0): the log id and interval, and proof that our key wrote it. */
  private readHead(size: number): void {
    const buf = Buffer.alloc(Math.min(size, 64 * 1024));
    readSync(this.fd, buf, 0, buf.length, 0);
    const nl = buf.indexOf(NEWLINE);
    if (nl < 0) throw new AuditLogError(tornMessage(this.path, "has no complete first record"));
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(buf.subarray(0, nl).toString("utf8"));
    } catch {
      throw new AuditLogError(tornMessage(this.path, "has a malformed first record"));
    }
    // The schema's rules (isAuditRecord agrees with AuditRecordSchema, see its test), without
    // loading zod for every command that opens the log.
    if (!isAuditRecord(rec) || rec.type !== "open" || rec.seq !== 0)
      throw new AuditLogError(tornMessage(this.path, "does not start with an open record"));
    const open = rec as OpenRecord;
    if (open.auditKey !== this.keyId)
      throw new AuditLogError(
        `audit log ${this.path} was written with audit key ${open.auditKey}, not this key file's ${this.keyId}: use its key file, or start a new log`,
      );
    if (!this.macOk(rec))
      throw new AuditLogError(
        tornMessage(this.path, "has an open record that fails its HMAC (altered)"),
      );
    if (open.alg !== this.signer.alg || open.signer !== this.signer.fingerprint)
      throw new AuditLogError(
        `audit log ${this.path} is signed by ${open.alg} key ${open.signer}, not by ${this.signer.name} (${this.signer.alg} key ${this.signer.fingerprint}): sign with its key (${KMS_SIGNER_ENV} names a KMS key), or start a new log`,
      );
    this.logId = open.log;
    this.every = Math.min(this.every, open.every);
  }

  private macOk(rec: Record<string, unknown>): boolean {
    const { hmac, ...body } = rec;
    return typeof hmac === "string" && hmacHex(this.key, canonical(body)) === hmac;
  }

  /** The log's end, from the cache when nobody else wrote since, else by reading it back. */
  private readTail(st: Stats): Tail {
    if (st.ino !== statSync(this.real, { throwIfNoEntry: false })?.ino)
      throw new AuditLogError(
        `audit log ${this.path} was moved or replaced while in use: refusing to append`,
      );
    const t = this.tail;
    if (t && st.size < t.size)
      throw new AuditLogError(tornMessage(this.path, "became shorter while in use (truncated)"));
    if (t && st.size === t.size && st.ino === t.ino) {
      const buf = Buffer.alloc(t.lastLen);
      readSync(this.fd, buf, 0, t.lastLen, t.size - t.lastLen);
      if (buf[t.lastLen - 1] === NEWLINE && sha256Hex(buf.subarray(0, t.lastLen - 1)) === t.hash)
        return t;
    }
    return this.scanTail(st);
  }

  /**
   * Walks back from the end to the last checkpoint (at most `every` records): the last record's
   * seq and hash, and where the current segment starts. The last record must be complete and
   * carry a valid HMAC: the writer never chains onto a torn or forged record.
   */
  private scanTail(st: Stats): Tail {
    const size = st.size;
    for (let chunk = 64 * 1024; ; chunk *= 4) {
      const start = Math.max(0, size - chunk);
      const buf = Buffer.alloc(size - start);
      readSync(this.fd, buf, 0, buf.length, start);
      if (buf[buf.length - 1] !== NEWLINE)
        throw new AuditLogError(
          tornMessage(this.path, "ends with an incomplete record (a writer crashed mid-write)"),
        );
      let end = buf.length - 1;
      let run = 0;
      let last: { seq: number; hash: string; lastLen: number } | undefined;
      for (;;) {
        const nl = end > 0 ? buf.lastIndexOf(NEWLINE, end - 1) : -1;
        if (nl < 0 && start > 0) break; // the line begins before this chunk: read more
        const bytes = buf.subarray(nl + 1, end);
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(bytes.toString("utf8"));
        } catch {
          throw new AuditLogError(tornMessage(this.path, "has a malformed record near its end"));
        }
        if (!last) {
          if (rec.log !== this.logId || typeof rec.seq !== "number" || !this.macOk(rec))
            throw new AuditLogError(
              tornMessage(this.path, "ends with a record that fails its HMAC (altered)"),
            );
          last = { seq: rec.seq, hash: sha256Hex(bytes), lastLen: end - nl };
        }
        if (rec.type === "checkpoint") {
          return {
            size,
            ino: st.ino,
            ...last,
            run,
            segStart: start + end + 1,
            segFirst: (rec.seq as number) + 1,
          };
        }
        run++;
        if (nl < 0) return { size, ino: st.ino, ...last, run, segStart: 0, segFirst: 0 };
        if (run > this.every)
          throw new AuditLogError(
            tornMessage(
              this.path,
              `has more than ${this.every} records after its last checkpoint (altered)`,
            ),
          );
        end = nl;
      }
    }
  }

  private genesis(st: Stats): void {
    this.logId = randomBytes(16).toString("hex");
    const lines: string[] = [];
    const rec = this.macLine(
      {
        v: 1,
        log: this.logId,
        seq: 0,
        ts: now(),
        actor: this.actor,
        type: "open",
        alg: this.signer.alg,
        auditKey: this.keyId,
        signer: this.signer.fingerprint,
        every: this.every,
        prev: ZERO_HASH,
      },
      lines,
    );
    this.write(Buffer.from(lines.join("")), 0);
    fsyncSync(this.fd);
    fsyncDir(dirname(this.real));
    const lastLen = Buffer.byteLength(lines[0]);
    this.tail = {
      size: lastLen,
      ino: st.ino,
      seq: 0,
      hash: rec.hash,
      lastLen,
      run: 1,
      segStart: 0,
      segFirst: 0,
    };
  }

  /** Adds the HMAC, pushes the line, returns its hash. */
  private macLine(rec: Record<string, unknown>, lines: string[]): { hash: string } {
    const hmac = hmacHex(this.key, canonical(rec));
    const line = canonical({ ...rec, hmac });
    lines.push(line + "\n");
    return { hash: sha256Hex(line) };
  }

  /**
   * Under the lock: chains the events (and due checkpoints) onto the tail, signs the checkpoints,
   * then writes them all in one go (a failed signature writes nothing).
   */
  private async commit(
    events: ValidEvent[],
    final: "close" | "seal" | undefined,
  ): Promise<{ results: AppendResult[]; segments: AuditSegment[] }> {
    const st = fstatSync(this.fd);
    if (st.size === 0)
      throw new AuditLogError(tornMessage(this.path, "became empty while in use (truncated)"));
    const t = this.readTail(st);
    let { seq, hash, run, segStart, segFirst } = t;
    const lines: string[] = [];
    let offset = t.size;
    const results: AppendResult[] = [];
    const cuts: { first: number; last: number; start: number; end: number }[] = [];
    const push = (rec: Record<string, unknown>) => {
      hash = this.macLine(rec, lines).hash;
      seq = rec.seq as number;
      offset += Buffer.byteLength(lines[lines.length - 1]);
    };
    const checkpoint = async (reason: CheckpointReason) => {
      const ts = now();
      const cp = {
        alg: this.signer.alg,
        covers: seq,
        head: hash,
        key: this.signer.fingerprint,
        log: this.logId,
        reason,
        seq: seq + 1,
        ts,
      };
      const sig = (await this.signer.sign(Buffer.from(canonical(cp)))).toString("base64");
      push({ v: 1, actor: this.actor, type: "checkpoint", ...cp, sig, prev: hash });
      cuts.push({ first: segFirst, last: seq, start: segStart, end: offset });
      segStart = offset;
      segFirst = seq + 1;
      run = 0;
    };
    for (const e of events) {
      push({
        v: 1,
        log: this.logId,
        seq: seq + 1,
        ts: now(),
        actor: this.actor,
        type: "event",
        ...e,
        prev: hash,
      });
      results.push({ seq, hash });
      if (++run >= this.every) await checkpoint("interval");
    }
    if (final === "close") await checkpoint("close");
    // A seal with no event to cover (nothing since the last checkpoint, or only the open record)
    // signs nothing: an invocation that recorded nothing costs no KMS call.
    else if (final === "seal" && run > 0 && seq > 0) await checkpoint("seal");
    if (lines.length === 0) return { results, segments: [] };
    // Signing may have waited on KMS: the lock must still be ours before anything is written.
    if (this.compromised)
      throw new AuditLogError(
        `the lock on audit log ${this.path} was lost while signing: ${this.compromised.message}`,
      );
    const buf = Buffer.from(lines.join(""));
    this.write(buf, t.size);
    // A checkpoint makes the log durable up to it; the fsync runs on the thread pool (the lock
    // is still held), so the rest of the process goes on meanwhile.
    if (cuts.length > 0) await fsyncOnPool(this.fd);
    this.tail = {
      size: offset,
      ino: t.ino,
      seq,
      hash,
      lastLen: Buffer.byteLength(lines[lines.length - 1]),
      run,
      segStart,
      segFirst,
    };
    const segments =
      this.sinks.length === 0
        ? []
        : cuts.map((c) => {
            const bytes = Buffer.alloc(c.end - c.start);
            readSync(this.fd, bytes, 0, bytes.length, c.start);
            return { log: this.logId, first: c.first, last: c.last, bytes };
          });
    return { results, segments };
  }

  /** Appends all of `buf`; on failure cuts the file back so no torn record is left behind. */
  private write(buf: Buffer, sizeBefore: number): void {
    let done = 0;
    try {
      while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done);
    } catch (e) {
      try {
        ftruncateSync(this.fd, sizeBefore);
      } catch {
        // the torn tail stays; the next writer refuses it and says so
      }
      this.tail = undefined;
      throw new AuditLogError(`cannot append to audit log ${this.path}: ${code(e)}`);
    }
  }

  /**
   * Copies segments to every sink, in order; a failed copy is retried with the next ones and at
   * close. The copies after a failed one wait for it, so a sink never holds a gap that is only a
   * failure (a verifier of the copy would report it as deleted records).
   */
  private async ship(segments: AuditSegment[]): Promise<void> {
    if (this.sinks.length === 0) return;
    const todo = [...this.unshipped, ...segments];
    this.unshipped = [];
    for (let i = 0; i < todo.length; i++) {
      try {
        for (const sink of this.sinks) await sink.put(todo[i]);
      } catch (e) {
        this.unshipped = todo.slice(i);
        this.shipError = code(e);
        return;
      }
    }
  }
}
