/**
 * One de-identified result on the local disk (`imgsec deid`): the input open for the engine and
 * for copying its pixel data, the output written under a temporary name (creates, reads and writes
 * on the thread pool), and the digests that tell a duplicate from a conflict.
 */
import { createHash } from "node:crypto";
import {
  close,
  closeSync,
  constants,
  fstatSync,
  open,
  openSync,
  read,
  readSync,
  rmSync,
  writev,
} from "node:fs";
import type { ByteSource, DeidResult } from "../dicom";
import { type SwapUnit, swapInPlace } from "../dicom/byteswap";
import { tempNameFor } from "../fs/atomic";
import { errnoCode } from "../fs/errors";

/** The input no longer has the bytes the scan saw (truncated or replaced while being read). */
export class InputChangedError extends Error {
  constructor() {
    super("the input changed while it was read");
  }
}

type Deidentified = Extract<DeidResult, { status: "deidentified" }>;

/**
 * An input file, open for the engine (a ByteSource) and for copying its pixel data: reads are
 * synchronous (a few per file, from the page cache as a rule), so no read waits for a thread pool
 * round trip; the copy reads the descriptor the engine scanned, never the path again.
 */
export interface InputFile extends ByteSource {
  readonly fd: number;
  close(): void;
}

export function openInput(path: string): InputFile {
  const fd = openSync(path, "r");
  try {
    const { size } = fstatSync(fd);
    return {
      fd,
      size,
      read: async (offset, length) => {
        const n = Math.max(0, Math.min(length, size - offset));
        const out = Buffer.allocUnsafe(n);
        let done = 0;
        // A read may return fewer bytes than asked before the end of the file.
        while (done < n) {
          const got = readSync(fd, out, done, n - done, offset + done);
          if (got === 0) break;
          done += got;
        }
        return done === n ? out : out.subarray(0, done);
      },
      close: () => closeSync(fd),
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** fs calls on libuv's thread pool, as promises (the callback forms: no FileHandle objects). */
const onPool = {
  open: (path: string, flags: string, mode: number) =>
    new Promise<number>((res, rej) => open(path, flags, mode, (e, fd) => (e ? rej(e) : res(fd)))),
  read: (fd: number, buf: Buffer, off: number, len: number, pos: number) =>
    new Promise<number>((res, rej) =>
      read(fd, buf, off, len, pos, (e, n) => (e ? rej(e) : res(n))),
    ),
  writev: (fd: number, bufs: Buffer[]) =>
    new Promise<number>((res, rej) => writev(fd, bufs, (e, n) => (e ? rej(e) : res(n)))),
  close: (fd: number) => new Promise<void>((res) => close(fd, () => res())),
};

// One copy buffer per thread: every copy runs synchronously to its end, so none shares it.
const COPY_CHUNK = 1 << 20;
let copyBuffer: Buffer | undefined;

/**
 * A result's bytes, in order, handed to `sink` (which must be done with each chunk when it
 * returns: chunks of source ranges are views of one reused buffer): header bytes, and the source
 * ranges copied from the input, big endian pixel data swapped to little endian on the way (whole
 * words; a word split between two reads is carried over; a tail shorter than a word, never from
 * a well-formed file, is passed on as it is). Returns the number of bytes.
 */
function emitResult(input: InputFile, result: Deidentified, sink: (b: Buffer) => void): number {
  let total = 0;
  for (const part of result.parts) {
    if ("bytes" in part) {
      sink(part.bytes);
      total += part.bytes.length;
      continue;
    }
    const unit = "swap" in part ? part.swap : 1;
    const buf = (copyBuffer ??= Buffer.allocUnsafe(COPY_CHUNK));
    let at = part.sourceOffset;
    let left = part.length;
    let filled = 0;
    while (left > 0) {
      const got = readSync(input.fd, buf, filled, Math.min(buf.length - filled, left), at);
      // A file cut short since it was scanned would give a shorter, broken output.
      if (got === 0) throw new InputChangedError();
      at += got;
      left -= got;
      filled += got;
      const whole = left === 0 ? filled : filled - (filled % unit);
      if (whole === 0) continue;
      const chunk = buf.subarray(0, whole);
      if (unit > 1) swapInPlace(chunk, unit as SwapUnit);
      sink(chunk);
      total += whole;
      buf.copy(buf, 0, whole, filled);
      filled -= whole;
    }
  }
  return total;
}

// Copy buffers for the writes on their way at once (a few: runInOrder bounds them), reused.
const spareBuffers: Buffer[] = [];
const MAX_SPARE = 8;

async function writevAll(fd: number, bufs: Buffer[]): Promise<void> {
  let left = bufs.reduce((n, b) => n + b.length, 0);
  while (left > 0) {
    let n = await onPool.writev(fd, bufs);
    left -= n;
    if (left === 0) break;
    // A short write: drop what was written, go on with the rest.
    const rest: Buffer[] = [];
    for (const b of bufs) {
      if (n >= b.length) n -= b.length;
      else {
        rest.push(n > 0 ? b.subarray(n) : b);
        n = 0;
      }
    }
    bufs = rest;
  }
}

/**
 * Writes a result's bytes to the open file `fd` on the thread pool: header bytes and source
 * ranges (read in COPY_CHUNK pieces, big endian words swapped to little endian), batched into one
 * writev per chunk. The calling thread goes on with the next input while the kernel copies.
 */
async function emitResultOnPool(
  input: InputFile,
  result: Deidentified,
  fd: number,
): Promise<number> {
  let total = 0;
  let batch: Buffer[] = [];
  const buf = spareBuffers.pop() ?? Buffer.allocUnsafe(COPY_CHUNK);
  try {
    for (const part of result.parts) {
      if ("bytes" in part) {
        batch.push(part.bytes);
        total += part.bytes.length;
        continue;
      }
      const unit = "swap" in part ? part.swap : 1;
      let at = part.sourceOffset;
      let left = part.length;
      while (left > 0) {
        // The chunk is filled whole (a read may return less), so words never straddle chunks.
        const want = Math.min(buf.length, left);
        let filled = 0;
        while (filled < want) {
          const got = await onPool.read(input.fd, buf, filled, want - filled, at + filled);
          // A file cut short since it was scanned would give a shorter, broken output.
          if (got === 0) throw new InputChangedError();
          filled += got;
        }
        const chunk = buf.subarray(0, want);
        if (unit > 1) swapInPlace(chunk.subarray(0, want - (want % unit)), unit as SwapUnit);
        batch.push(chunk);
        await writevAll(fd, batch);
        batch = [];
        at += want;
        left -= want;
        total += want;
      }
    }
    if (batch.length > 0) await writevAll(fd, batch);
    return total;
  } finally {
    if (spareBuffers.length < MAX_SPARE) spareBuffers.push(buf);
  }
}

/**
 * Writes a de-identified result to a temporary name beside `target` (header bytes and copied
 * source ranges), for the no-clobber commit (handlers/fs/atomic) to fsync and put in place; the
 * file stays open (`fd`) for that fsync. The create, the reads and the writes run on the thread
 * pool. On failure the temporary file is removed.
 */
export async function writeResultTemp(
  input: InputFile,
  result: Deidentified,
  target: string,
): Promise<{ tmp: string; fd: number; bytes: number }> {
  const tmp = tempNameFor(target);
  const fd = await onPool.open(tmp, "wx", 0o644);
  try {
    return { tmp, fd, bytes: await emitResultOnPool(input, result, fd) };
  } catch (e) {
    await onPool.close(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * The digest (sha256:<hex>) of the bytes a result is written as, without writing it: asked for
 * only when its output name is taken (a duplicate or a conflict to tell apart).
 */
export function digestResult(input: InputFile, result: Deidentified): string {
  const hash = createHash("sha256");
  emitResult(input, result, (b) => hash.update(b));
  return `sha256:${hash.digest("hex")}`;
}

/**
 * The digest of a file in the output folder: undefined when nothing is there, "unreadable"
 * (equal to no digest) when it is not a regular file or cannot be read. Symlinks are not followed.
 */
export function digestExisting(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return "unreadable";
    const hash = createHash("sha256");
    const buf = (copyBuffer ??= Buffer.allocUnsafe(COPY_CHUNK));
    for (let got; (got = readSync(fd, buf, 0, buf.length, null)) > 0; )
      hash.update(buf.subarray(0, got));
    return `sha256:${hash.digest("hex")}`;
  } catch (e) {
    const code = errnoCode(e);
    return code === "ENOENT" ? undefined : "unreadable";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
