/**
 * The pixel digest's worker thread. `imgsec encrypt` must know a file's pixel digest before the
 * ESDK writes the message header, so the digest is a pass over the pixel data ahead of the
 * encryption; in this thread it overlaps with what the main thread does meanwhile: loading the
 * ESDK and setting up the keyring and the audit log for the first file, encrypting the previous
 * file for the others.
 *
 * The worker reads the bytes itself (4 MiB reads into two buffers it keeps, the next read under
 * way while the current one is hashed; the fastest of the sizes and depths tried) and computes
 * HMAC-SHA256 under a key it receives in shared memory: it zeroes the key as soon as the HMAC holds
 * it, and the caller zeroes it too once the job is over, however it ends (pixel-digest.ts). The
 * worker is started once and shared; it never keeps the process alive on its own.
 */
import { Worker } from "node:worker_threads";

// Plain JavaScript, run with `eval`: the same code whether imgsec runs built (dist/) or from
// TypeScript sources (tests), and nothing to load but node: modules.
const SOURCE = String.raw`
"use strict";
const { parentPort } = require("node:worker_threads");
const { createHmac } = require("node:crypto");
const fs = require("node:fs");
const CHUNK = 4 << 20;
let buffers;
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
parentPort.on("message", (m) => {
  hmacRange(m).then(
    (digest) => parentPort.postMessage({ id: m.id, digest }),
    (e) => parentPort.postMessage({ id: m.id, error: errorOf(e) }),
  );
});
`;

interface Reply {
  id: number;
  digest?: string;
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

export class DigestWorker {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve(d: string): void; reject(e: Error): void }
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
      else w.resolve(r.digest as string);
    });
    const stop = (e: Error) => {
      this.failure ??= e;
      for (const w of this.waiting.values()) w.reject(this.failure);
      this.waiting.clear();
    };
    this.worker.on("error", stop);
    this.worker.on("exit", () => stop(new Error("the pixel digest worker stopped")));
  }

  get usable(): boolean {
    return this.failure === undefined;
  }

  /**
   * HMAC-SHA256 of bytes [start, end) of `path` (fewer if the file is shorter) under `key`, which
   * must lie in shared memory; the worker zeroes it once the HMAC holds it.
   */
  hmac(path: string, range: { start: number; end: number }, key: Buffer): Promise<string> {
    if (!(key.buffer instanceof SharedArrayBuffer))
      return Promise.reject(new TypeError("the HMAC key must be in shared memory"));
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const done = new Promise<string>((resolve, reject) =>
      this.waiting.set(id, { resolve, reject }),
    );
    // While a job runs, the worker keeps the process alive (the caller awaits it).
    if (this.waiting.size === 1) this.worker.ref();
    this.worker.postMessage({
      id,
      path,
      start: range.start,
      end: range.end,
      key: new Uint8Array(key.buffer, key.byteOffset, key.byteLength),
    });
    return done;
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

let shared: DigestWorker | undefined;

/** The shared worker, started on first use (and again if it ever stopped). */
export function digestWorker(): DigestWorker {
  if (!shared || !shared.usable) shared = new DigestWorker();
  return shared;
}

/** Stops the shared worker (the next use starts another). */
export async function stopDigestWorker(): Promise<void> {
  const w = shared;
  shared = undefined;
  if (w) await w.terminate();
}
