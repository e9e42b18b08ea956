/**
 * The hashing worker threads of `imgsec encrypt`, so that no hash runs on the thread that reads,
 * encrypts and writes:
 *
 * - the pixel digest: `imgsec encrypt` must know a file's pixel digest before the ESDK writes the
 *   message header, so it is a pass over the pixel data ahead of the encryption, overlapping what
 *   the main thread does meanwhile (loading the ESDK, the keyring and the audit log for the first
 *   file, encrypting the previous file for the others). The worker reads the bytes itself (4 MiB
 *   reads into two buffers it keeps, the next read under way while the current one is hashed) and
 *   computes HMAC-SHA256 under a key it receives in shared memory: it zeroes the key as soon as
 *   the HMAC holds it, and the caller zeroes it too, however the job ends (pixel-digest.ts).
 * - the package's own hashes, as it is written (package-writer.ts): the SHA-256 for the audit
 *   record, and for signed suites the SHA-384 of the ECDSA signature. The writer puts the bytes in
 *   shared memory once; each hash is a session that reads them there, so nothing is copied to a
 *   thread and nothing is read back from the file.
 *
 * Two workers are shared by every call: the digest worker (pixel digests and package SHA-256) and
 * the signature worker (the SHA-384 signatures, the heaviest hash, alone on its thread). Neither
 * keeps the process alive on its own.
 */
import { Worker } from "node:worker_threads";

// Plain JavaScript, run with `eval`: the same code whether imgsec runs built (dist/) or from
// TypeScript sources (tests), and nothing to load but node: modules.
const SOURCE = String.raw`
"use strict";
const { parentPort } = require("node:worker_threads");
const { createHash, createHmac, createSign } = require("node:crypto");
const fs = require("node:fs");
const CHUNK = 4 << 20;
let buffers;
const sessions = new Map();
const call = (fn, ...args) =>
  new Promise((resolve, reject) => fn(...args, (e, v) => (e ? reject(e) : resolve(v))));
const errorOf = (e) => ({
  message: String((e && e.message) || e),
  code: e && e.code,
  syscall: e && e.syscall,
  errno: e && e.errno,
  path: e && e.path,
});
async function hmacRange(m) {
  const key = Buffer.from(m.key.buffer, m.key.byteOffset, m.key.byteLength);
  let mac;
  try {
    mac = createHmac("sha256", key);
  } finally {
    key.fill(0);
  }
  if (m.end > m.start) {
    buffers = buffers || [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    const fd = await call(fs.open, m.path, "r");
    let reading;
    try {
      let pos = m.start;
      let i = 0;
      reading = call(fs.read, fd, buffers[0], 0, Math.min(CHUNK, m.end - pos), pos);
      while (reading) {
        const n = await reading;
        reading = undefined;
        if (n === 0) break; // the file is shorter than the range: what is there is hashed
        const current = buffers[i];
        pos += n;
        i ^= 1;
        if (pos < m.end)
          reading = call(fs.read, fd, buffers[i], 0, Math.min(CHUNK, m.end - pos), pos);
        mac.update(current.subarray(0, n));
      }
    } finally {
      if (reading) await reading.catch(() => undefined);
      await call(fs.close, fd);
    }
  }
  return mac.digest("hex");
}
function session(m) {
  const s = sessions.get(m.session);
  if (!s) throw new Error("no such hash session");
  return s;
}
function handle(m) {
  switch (m.op) {
    case "hmac":
      return hmacRange(m);
    case "open":
      sessions.set(m.session, {
        hash: m.sign ? createSign(m.algorithm) : createHash(m.algorithm),
        sign: m.sign,
        bytes: new Uint8Array(m.shared),
      });
      return null;
    case "update": {
      const s = session(m);
      s.hash.update(s.bytes.subarray(m.offset, m.offset + m.length));
      return null;
    }
    case "finish": {
      const s = session(m);
      sessions.delete(m.session);
      // The ESDK's own signer does the same: createSign(hash), then sign(the PEM private key).
      return s.sign ? new Uint8Array(s.hash.sign(m.key)) : s.hash.digest("hex");
    }
    case "drop":
      sessions.delete(m.session);
      return null;
    default:
      throw new Error("unknown request");
  }
}
parentPort.on("message", (m) => {
  let result;
  try {
    result = handle(m);
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: errorOf(e) });
    return;
  }
  if (result instanceof Promise)
    result.then(
      (r) => parentPort.postMessage({ id: m.id, result: r }),
      (e) => parentPort.postMessage({ id: m.id, error: errorOf(e) }),
    );
  else parentPort.postMessage({ id: m.id, result });
});
`;

interface Reply {
  id: number;
  result?: unknown;
  error?: { message: string; code?: string; syscall?: string; errno?: number; path?: string };
}

/** An error from the worker, with its errno fields back (callers word file-system errors). */
function revive(e: NonNullable<Reply["error"]>): Error {
  const error: Error & Partial<NodeJS.ErrnoException> = new Error(e.message);
  if (e.code !== undefined) error.code = e.code;
  if (e.syscall !== undefined) error.syscall = e.syscall;
  if (e.errno !== undefined) error.errno = e.errno;
  if (e.path !== undefined) error.path = e.path;
  return error;
}

/** A hash computed in a worker over bytes the caller places in shared memory. */
export interface StreamHash {
  /** Hashes `length` bytes at `offset` of the shared memory; resolves once they are hashed. */
  update(offset: number, length: number): Promise<void>;
  /** The digest (hex), or for a signing session the signature under `privateKey` (PEM). */
  finish(privateKey?: string): Promise<string | Uint8Array>;
  /** Forgets the session (after a failure); no reply is awaited. */
  drop(): void;
}

export class DigestWorker {
  private readonly worker: Worker;
  private nextId = 1;
  private nextSession = 1;
  private readonly waiting = new Map<
    number,
    { resolve(r: unknown): void; reject(e: Error): void }
  >();
  private failure: Error | undefined;

  constructor() {
    this.worker = new Worker(SOURCE, { eval: true });
    this.worker.unref();
    this.worker.on("message", (r: Reply) => {
      const w = this.waiting.get(r.id);
      if (!w) return;
      this.waiting.delete(r.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (r.error) w.reject(revive(r.error));
      else w.resolve(r.result);
    });
    const stop = (e: Error) => {
      this.failure ??= e;
      for (const w of this.waiting.values()) w.reject(this.failure);
      this.waiting.clear();
    };
    this.worker.on("error", stop);
    this.worker.on("exit", () => stop(new Error("a hashing worker stopped")));
  }

  get usable(): boolean {
    return this.failure === undefined;
  }

  private request<T>(message: Record<string, unknown>, reply = true): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = reply ? this.nextId++ : 0;
    const done = reply
      ? new Promise<T>((resolve, reject) =>
          this.waiting.set(id, { resolve: resolve as (r: unknown) => void, reject }),
        )
      : Promise.resolve(undefined as T);
    // While a request is answered, the worker keeps the process alive (the caller awaits it).
    if (reply && this.waiting.size === 1) this.worker.ref();
    this.worker.postMessage({ ...message, id });
    return done;
  }

  /**
   * HMAC-SHA256 of bytes [start, end) of `path` (fewer if the file is shorter) under `key`, which
   * must lie in shared memory; the worker zeroes it once the HMAC holds it.
   */
  hmac(path: string, range: { start: number; end: number }, key: Buffer): Promise<string> {
    if (!(key.buffer instanceof SharedArrayBuffer))
      return Promise.reject(new TypeError("the HMAC key must be in shared memory"));
    return this.request<string>({
      op: "hmac",
      path,
      start: range.start,
      end: range.end,
      key: new Uint8Array(key.buffer, key.byteOffset, key.byteLength),
    });
  }

  /**
   * A hash (`sign` false) or an ECDSA signature's hash (`sign` true; the key comes with `finish`)
   * over bytes of `shared`, given in order with `update`.
   */
  stream(shared: SharedArrayBuffer, algorithm: string, sign = false): StreamHash {
    const session = this.nextSession++;
    // Fire and forget: a failure to open shows in the first update's reply.
    this.request({ op: "open", session, shared, algorithm, sign }, false).catch(() => undefined);
    return {
      update: (offset, length) => this.request<void>({ op: "update", session, offset, length }),
      finish: (privateKey) =>
        this.request<string | Uint8Array>({ op: "finish", session, key: privateKey }),
      drop: () => void this.request({ op: "drop", session }, false).catch(() => undefined),
    };
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

const shared: { digest?: DigestWorker; signature?: DigestWorker } = {};

/** The digest worker (pixel digests, package SHA-256), started on first use (again if it stopped). */
export function digestWorker(): DigestWorker {
  if (!shared.digest || !shared.digest.usable) shared.digest = new DigestWorker();
  return shared.digest;
}

/** The signature worker (the signed suites' SHA-384), started on first use. */
export function signatureWorker(): DigestWorker {
  if (!shared.signature || !shared.signature.usable) shared.signature = new DigestWorker();
  return shared.signature;
}

/** Stops the shared workers (the next use starts others). */
export async function stopDigestWorker(): Promise<void> {
  const workers = [shared.digest, shared.signature];
  shared.digest = shared.signature = undefined;
  await Promise.all(workers.map((w) => w?.terminate()));
}
