/**
 * The audit log of one function instance (a Lambda sandbox): concurrent instances cannot share a
 * local file, so each keeps its own hash-chained log (its own log id and open record) in its
 * ephemeral storage, and makes it durable with an explicit seal before an invocation reports
 * success: one checkpoint signed by the signer (KMS in AWS) covering the invocation's records,
 * and its segment written to the Object Lock audit bucket. A seal that cannot write its segment
 * throws, so the invocation fails and is retried; the records stay in the local log, and the next
 * seal writes them (the failed segment first, byte for byte, then its own).
 */
import { randomBytes } from "node:crypto";
import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { keyId as keyIdOf, zeroize } from "../keys/keyfile";
import { checkActor } from "./actor";
import { AuditLogError, awsReason } from "./errors";
import { AuditEvent } from "./schema";
import { CheckpointSigner } from "./signer";
import { AuditSegment, AuditSink } from "./sink";
import { AppendResult, openWriter, SealingWriter } from "./writer";

/**
 * A seal is normally an instance log's only checkpoint; an invocation that appends more records
 * than this also gets interval checkpoints (one more signature each).
 */
export const INSTANCE_CHECKPOINT_EVERY = 10_000;

/** A local log larger than this is closed after a seal and a new one begun (64 MiB). */
export const INSTANCE_ROTATE_BYTES = 64 * 1024 * 1024;

export interface InstanceLogOptions {
  /** A folder in the instance's ephemeral storage, e.g. /tmp/imgsec-audit (created 0700). */
  dir: string;
  /**
   * The audit HMAC key and its public id (keyId("audit", key), as the key file names it). The log
   * keeps its own copy, zeroed at close(); the caller keeps and zeroes theirs.
   */
  keys: { key: Buffer; id: string };
  /** Signs checkpoints: in AWS kmsSigner({kmsKeyId}) (one Sign per seal). The caller owns it. */
  signer: CheckpointSigner;
  /** Where sealed segments go: in AWS s3Sink({bucket, prefix}) on the Object Lock audit bucket. */
  sink: AuditSink;
  /** Who acts: resolveActor() (the function's role ARN in AWS). */
  actor: string;
  /** Default INSTANCE_CHECKPOINT_EVERY. */
  checkpointEvery?: number;
  /** Default INSTANCE_ROTATE_BYTES. */
  rotateBytes?: number;
}

export interface SealResult {
  log: string;
  /** Where this seal's segment is (the sink's location: s3://bucket/prefix/<log>/<first>-<last>.jsonl). */
  key: string;
  /** The seqs made durable by this seal: earlier segments whose write had failed, then its own. */
  first: number;
  last: number;
  /** Segments written by this seal (more than one after a failed seal). */
  segments: number;
}

export interface InstanceLog {
  readonly logId: string;
  /** The local file, in the ephemeral storage. */
  readonly path: string;
  /** Validates the event (AuditEventError if refused) and appends it to the local log. */
  append(event: AuditEvent): Promise<AppendResult>;
  /**
   * Makes every record appended before the call durable: a `seal` checkpoint (one signature),
   * then each segment not yet in the sink, in order. Resolves only when all are written; throws
   * AuditLogError otherwise, and the invocation must then fail. Null when there was nothing to seal.
   */
  seal(): Promise<SealResult | null>;
  /** A `close` checkpoint, written to the sink like a seal; zeroes the key. Null if nothing was written. */
  close(): Promise<SealResult | null>;
}

/** Opens a new instance log in `opts.dir`: a fresh log id per open (per runtime start). */
export async function openInstanceLog(opts: InstanceLogOptions): Promise<InstanceLog> {
  const actor = checkActor(opts.actor);
  const { key, id } = opts.keys;
  if (!Buffer.isBuffer(key) || key.length < 16 || key.every((b) => b === 0))
    throw new AuditLogError("the audit HMAC key is missing, shorter than 16 bytes, or all zero");
  if (id !== keyIdOf("audit", key))
    throw new AuditLogError(
      `the audit key id ${/^[0-9a-f]{16}$/.test(id) ? id : "given"} is not this key's (keyId("audit", key))`,
    );
  const rotateBytes = opts.rotateBytes ?? INSTANCE_ROTATE_BYTES;
  if (!Number.isSafeInteger(rotateBytes) || rotateBytes < 1)
    throw new AuditLogError(`rotateBytes must be a positive integer (got ${rotateBytes})`);
  const pending: AuditSegment[] = [];
  // Every writer hands its checkpoints' segments here; seal() writes them to the sink, strictly.
  const collector: AuditSink = {
    name: opts.sink.name,
    put: async (seg) => void pending.push(seg),
  };
  // The instance's own copy, from which each log's writer gets one; zeroed at close().
  const master = Buffer.from(key);
  const newWriter = async () => {
    const copy = Buffer.from(master);
    // A file of its own: after a runtime restart (an error or time-out keeps /tmp) the next
    // log never chains onto, or collides with, what the previous one left.
    const path = join(opts.dir, `instance-${randomBytes(8).toString("hex")}.jsonl`);
    return openWriter({
      path,
      key: copy,
      keyId: id,
      signer: opts.signer,
      ownSigner: false,
      actor,
      every: opts.checkpointEvery ?? INSTANCE_CHECKPOINT_EVERY,
      sinks: [collector],
      // One process per sandbox: the lock is never contended, and never left by a live holder.
      staleMs: 10_000,
    }).catch((e) => {
      zeroize(copy);
      throw e;
    });
  };
  try {
    return new Instance(await newWriter(), newWriter, master, opts.sink, pending, rotateBytes);
  } catch (e) {
    zeroize(master);
    throw e;
  }
}

class Instance implements InstanceLog {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private writer: SealingWriter,
    private readonly newWriter: () => Promise<SealingWriter>,
    private readonly master: Buffer,
    private readonly sink: AuditSink,
    /** Segments signed locally and not yet in the sink, oldest first. */
    private readonly pending: AuditSegment[],
    private readonly rotateBytes: number,
  ) {}

  get logId(): string {
    return this.writer.logId;
  }

  get path(): string {
    return this.writer.path;
  }

  append(event: AuditEvent): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new AuditLogError("the instance audit log is closed"));
    return this.writer.append(event);
  }

  seal(): Promise<SealResult | null> {
    return this.serially(async () => {
      if (this.closed) throw new AuditLogError("the instance audit log is closed");
      await this.writer.seal();
      const sealed = await this.ship();
      await this.rotateIfLarge();
      return sealed;
    });
  }

  /**
   * Ephemeral storage is small (512 MB by default, shared with the job): once the local file
   * passes rotateBytes, the log is closed (one more signature; it then verifies as closed) and a
   * new one begins. Its file is removed once every segment of it is in the sink. A rotation that
   * fails leaves the sealed records as they are: the old log then ends not closed, never with a gap.
   */
  private async rotateIfLarge(): Promise<void> {
    const old = this.writer;
    if (fileSize(old.path) < this.rotateBytes) return;
    let fresh: SealingWriter;
    try {
      fresh = await this.newWriter();
    } catch {
      return; // keep writing to this one: the next seal tries again
    }
    // Appends from here on go to the new log; those already queued are covered by the close.
    this.writer = fresh;
    try {
      await old.close();
      await this.ship();
    } catch {
      return; // its close segment, if signed, stays pending for the next seal
    }
    rmSync(old.path, { force: true });
  }

  close(): Promise<SealResult | null> {
    return this.serially(async () => {
      if (this.closed) return null;
      this.closed = true;
      // The writer zeroes its key copy whatever happens; segments already signed are still
      // written when the close checkpoint itself fails.
      const closing = await this.writer.close().then(
        () => undefined,
        (e: unknown) => e,
      );
      zeroize(this.master);
      const shipped = await this.ship();
      if (closing) throw closing;
      return shipped;
    });
  }

  /** One seal or close at a time, in call order. */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Writes the pending segments in order, stopping at the first failure: the sink never holds a
   * later segment without the ones before it, so a failure is never mistaken for a deletion.
   */
  private async ship(): Promise<SealResult | null> {
    if (this.pending.length === 0) return null;
    const first = this.pending[0].first;
    let done = 0;
    let last: AuditSegment | undefined;
    while (this.pending.length > 0) {
      const seg = this.pending[0];
      try {
        await this.sink.put(seg);
      } catch (e) {
        const rest = this.pending;
        throw new AuditLogError(
          `audit records seq ${rest[0].first}-${rest[rest.length - 1].last} of log ${this.logId} are signed locally but not written to ${this.sink.name} (${why(e)}): the invocation must not report success; the next seal writes them`,
        );
      }
      this.pending.shift();
      last = seg;
      done++;
    }
    const end = last as AuditSegment;
    return {
      log: end.log,
      key: this.sink.locate?.(end) ?? this.sink.name,
      first,
      last: end.last,
      segments: done,
    };
  }
}

/** Why a write failed: our own one-line message, or the AWS error's code, name and status. */
function why(e: unknown): string {
  return e instanceof AuditLogError ? e.message : awsReason(e);
}

const fileSize = (path: string) => statSync(path, { throwIfNoEntry: false })?.size ?? 0;
