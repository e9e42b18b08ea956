/**
 * Writes one package: the ESDK's message, put together from the ESDK's own parts (esdk.ts) so
 * that no hash runs on the thread that reads, encrypts and writes, and the disk writes while the
 * CPU encrypts.
 *
 * `encryptStream` runs every step on the calling thread: GCM, the signature's SHA-384 over the
 * whole message, and (ours) the package's SHA-256 for the audit record; on a 512 MB object the two
 * hashes cost more than the encryption. Here the ESDK still writes every byte (header, frames,
 * footer), and its output goes once into shared memory (a ring of slots) from which it is written
 * to the file and hashed by the worker threads (digest-worker.ts): SHA-256 in the digest worker,
 * the SHA-384 signature in the signature worker, with the same two calls the ESDK's own signer
 * makes. The ring bounds memory (16 MiB); a slot is reused once it is written and hashed.
 *
 * The file is written with O_DIRECT where the system allows it: from the ring straight to the
 * disk, as it is produced, without a copy into the page cache and without a large fsync at the
 * end (buffered writes with an fdatasync every 64 MiB cost more system time than the encryption on
 * the bench machine). Elsewhere (tmpfs, macOS) it is written through the page cache.
 */
import { BigIntStats, close, constants, fstat, ftruncate, open, read, writev } from "node:fs";
import { esdkEncryptParts, esdkMaterials } from "./esdk";
import { StreamHash, digestWorker, signatureWorker } from "./digest-worker";
import type { KeyringNode } from "@aws-crypto/client-node";

/** Ring slots: whole multiples of any disk block, so that every full slot is an O_DIRECT write. */
const SLOT = 2 << 20;
const SLOTS = 8;
/** O_DIRECT alignment (addresses, offsets, lengths): 4 KiB covers 512-byte and 4K disks. */
const WRITES_IN_FLIGHT = 2;
const BLOCK = 4096;

const call = <T>(f: (cb: (e: NodeJS.ErrnoException | null, v: T) => void) => void) =>
  new Promise<T>((ok, fail) => f((e, v) => (e ? fail(e) : ok(v))));
const openFile = (path: string, flags: string | number, mode = 0o600) =>
  call<number>((cb) => open(path, flags, mode, cb));
const closeFile = (fd: number) => call<void>((cb) => close(fd, (e) => cb(e, undefined)));
const pread = (fd: number, b: Buffer, offset: number, position: number) =>
  call<number>((cb) => read(fd, b, offset, b.length - offset, position, cb));
const fstatOf = (fd: number) => call<BigIntStats>((cb) => fstat(fd, { bigint: true }, cb));
const pwritev = (fd: number, bs: Buffer[], position: number) =>
  call<number>((cb) => writev(fd, bs, position, cb));
const truncate = (fd: number, size: number) =>
  call<void>((cb) => ftruncate(fd, size, (e) => cb(e, undefined)));

/**
 * Shared memory for a ring. WebAssembly memory is allocated in whole pages, so its start is
 * page-aligned, as O_DIRECT needs (a plain SharedArrayBuffer is malloc'ed, 16-byte aligned).
 * Rings are kept for the next message: a run over many small files allocates one.
 */
const rings: SharedArrayBuffer[] = [];
// The global exists in Node; this project's TypeScript lib (ES2022, no DOM) does not declare it.
const { Memory } = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: new (d: { initial: number; maximum: number; shared: boolean }) => {
        buffer: SharedArrayBuffer;
      };
    };
  }
).WebAssembly;
const WASM_PAGE = 1 << 16;
const takeRing = (): SharedArrayBuffer =>
  rings.pop() ??
  new Memory({
    initial: (SLOT * SLOTS) / WASM_PAGE,
    maximum: (SLOT * SLOTS) / WASM_PAGE,
    shared: true,
  }).buffer;

/** The package's temporary file: O_DIRECT if the file system takes it, else buffered. */
class PackageFile {
  private constructor(
    readonly fd: number,
    readonly direct: boolean,
  ) {}

  static async create(path: string, direct: boolean): Promise<PackageFile> {
    const { O_WRONLY, O_CREAT, O_EXCL, O_DIRECT } = constants;
    if (direct && O_DIRECT) {
      try {
        return new PackageFile(await openFile(path, O_WRONLY | O_CREAT | O_EXCL | O_DIRECT), true);
      } catch (e) {
        // EINVAL: no O_DIRECT on this file system (the file may exist by now: it is ours).
        if ((e as NodeJS.ErrnoException).code !== "EINVAL") throw e;
        return new PackageFile(await openFile(path, O_WRONLY | O_CREAT), false);
      }
    }
    return new PackageFile(await openFile(path, "wx"), false);
  }

  close(): Promise<void> {
    return closeFile(this.fd);
  }
}

interface Write {
  /** The slot's bytes, padded to a whole block for the last O_DIRECT write. */
  view: Buffer;
  done(): void;
  failed(e: unknown): void;
}

/**
 * The package bytes on their way out: copied once into shared memory, hashed by each consumer as
 * they come (`hash`), and written in whole slots (the last one padded to a block, then cut back:
 * O_DIRECT writes whole blocks), each write taking every slot filled meanwhile (see `pump`).
 * The first write or hash error is kept in `error` and ends the message (see sealPackage); every
 * operation under way is still awaited before the file is closed.
 */
class PackageSink {
  error: unknown;
  /** Bytes appended so far. */
  size = 0;
  consumers: StreamHash[];
  private readonly bytes: Buffer;
  private slot = 0;
  private fill = 0;
  /** Bytes of the current slot handed to the consumers. */
  private hashed = 0;
  /** Hashes of the current slot under way. */
  private work: Promise<unknown>[] = [];
  private readonly busy: Promise<void>[] = Array.from({ length: SLOTS }, () => Promise.resolve());
  private queued: Write[] = [];
  private writing = 0;
  /** Bytes handed to a write so far (the next write's offset). */
  private written = 0;
  private stopped: unknown;
  private padded = false;

  constructor(
    private readonly file: PackageFile,
    readonly shared: SharedArrayBuffer,
    consumers: StreamHash[],
  ) {
    this.bytes = Buffer.from(shared);
    this.consumers = consumers;
  }

  async append(chunk: Uint8Array): Promise<void> {
    // Buffer#copy (memmove): three times faster into shared memory than Uint8Array#set.
    const data = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let at = 0; at < data.length; ) {
      if (this.fill === 0) {
        await this.busy[this.slot];
        if (this.error) throw this.error;
      }
      const n = Math.min(SLOT - this.fill, data.length - at);
      data.copy(this.bytes, this.slot * SLOT + this.fill, at, at + n);
      this.fill += n;
      this.size += n;
      at += n;
      if (this.fill === SLOT) this.complete();
    }
  }

  /**
   * Resolves once `n` more bytes can be appended without waiting: the ESDK's output is then
   * copied as soon as it exists, and dropped young.
   */
  async ready(n: number): Promise<void> {
    const slots = Math.min(SLOTS, Math.ceil((this.fill + n) / SLOT));
    for (let k = this.fill === 0 ? 0 : 1; k < slots; k++) await this.busy[(this.slot + k) % SLOTS];
  }

  /** Hands every byte appended so far to the current consumers. */
  hash(): void {
    if (this.fill === this.hashed) return;
    const offset = this.slot * SLOT + this.hashed;
    const length = this.fill - this.hashed;
    for (const c of this.consumers) this.work.push(c.update(offset, length));
    this.hashed = this.fill;
  }

  /** The current slot is done (full, or the message's end): hashed, written, then free again. */
  private complete(): void {
    this.hash();
    const start = this.slot * SLOT;
    let end = start + this.fill;
    if (this.file.direct && this.fill % BLOCK !== 0) {
      // Only the message's last slot is partial.
      const pad = BLOCK - (this.fill % BLOCK);
      this.bytes.fill(0, end, end + pad);
      end += pad;
      this.padded = true;
    }
    const write = new Promise<void>((done, failed) =>
      this.queued.push({ view: this.bytes.subarray(start, end), done, failed }),
    );
    this.pump();
    // allSettled: the slot is free only once nothing reads it any more, failed or not.
    this.busy[this.slot] = Promise.allSettled([...this.work, write]).then((results) => {
      for (const r of results) if (r.status === "rejected") this.error ??= r.reason;
    });
    this.work = [];
    this.slot = (this.slot + 1) % SLOTS;
    this.fill = this.hashed = 0;
  }

  /**
   * Writes everything queued, each batch one pwritev at its own offset, at most WRITES_IN_FLIGHT
   * at once: an O_DIRECT write waits for the disk, and a second one keeps the disk busy while the
   * thread of the first is not scheduled (both cores are busy hashing and encrypting).
   */
  private pump(): void {
    while (this.writing < WRITES_IN_FLIGHT && this.queued.length > 0 && !this.stopped) {
      const batch = this.queued;
      this.queued = [];
      const views = batch.map((b) => b.view);
      const position = this.written;
      for (const v of views) this.written += v.length;
      this.writing++;
      this.writev(views, position).then(
        () => {
          for (const b of batch) b.done();
          this.writing--;
          this.pump();
        },
        (e) => {
          // Nothing more is written after a failure; what is queued fails at once.
          this.stopped = e;
          for (const b of [...batch, ...this.queued.splice(0)]) b.failed(e);
          this.writing--;
        },
      );
    }
    if (this.stopped) for (const b of this.queued.splice(0)) b.failed(this.stopped);
  }

  /** One pwritev at `position`, again from the first byte not written after a short write. */
  private async writev(views: Buffer[], position: number): Promise<void> {
    let pending = views;
    while (pending.length > 0) {
      const n = await pwritev(this.file.fd, pending, position);
      if (n === 0) throw new Error("the package file accepted no bytes");
      position += n;
      let skip = n;
      pending = [...pending];
      while (pending.length > 0 && skip >= pending[0].length) skip -= pending.shift()!.length;
      if (pending.length > 0 && skip > 0) pending[0] = pending[0].subarray(skip);
    }
  }

  /** Resolves once no write or hash runs on the ring or the file; never rejects. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.work);
    await Promise.all(this.busy);
  }

  /** Everything appended is hashed and written (or the first error is thrown). */
  async close(): Promise<void> {
    if (this.fill > 0) this.complete();
    await this.settle();
    if (this.error) throw this.error;
    if (this.padded) await truncate(this.file.fd, this.size);
  }
}

/** Plaintext for sealPackage, chunk by chunk. */
export interface PlaintextSource {
  /** The next chunk (the ESDK may keep it until its frame is encrypted), or null at the end. */
  read(): Promise<Buffer | null>;
  /** The ESDK has called back on `chunk`: a reader may reuse its memory if it is whole frames. */
  release?(chunk: Buffer): void;
}

/**
 * A plaintext file that encryptToFile reads itself. With `unchangedSince` (a bigint stat of the
 * file, taken before its pixel digest was computed), a file that changed since is refused
 * (InputChangedError), so a package never carries the digest of other pixels than its own.
 */
export interface PlaintextFile {
  path: string;
  unchangedSince?: BigIntStats;
}

/** The input changed between its inspection (pixel digest) and the end of its encryption. */
export class InputChangedError extends Error {}

/** Plaintext reads of about 4 MiB (the fastest size measured), a whole number of frames each. */
const READ_TARGET = 4 << 20;

/**
 * Reads a file in chunks of whole frames, into two buffers it reuses (fresh memory for every
 * read cost a page fault per 4 KiB: a tenth of a second per 512 MB). Reuse is safe because the
 * ESDK's frame Transform (encrypt-node 5.0.2, framed_encrypt_stream) holds a chunk's bytes only
 * until the frames they fill are encrypted, and calls back on a chunk of whole frames only after
 * all of them are: so each chunk is filled completely (short reads are continued), and only such
 * a chunk is released; the last, shorter one is kept until the message ends. The round trips of
 * test/crypto/package.test.ts, at several frame lengths, would see any other behaviour.
 */
export async function openPlaintextFile(file: PlaintextFile, frameLength: number) {
  const fd = await openFile(file.path, "r");
  const size = frameLength * Math.max(1, Math.floor(READ_TARGET / frameLength));
  const free: Buffer[] = [];
  let position = 0;
  let ended = false;
  let reading: Promise<unknown> = Promise.resolve();
  // Read errors name the input, so the caller can tell them from write errors.
  const named = (e: unknown) => {
    if (e && typeof e === "object" && !("path" in e)) Object.assign(e, { path: file.path });
    return e;
  };
  const fill = async (): Promise<Buffer | null> => {
    if (ended) return null;
    const b = free.pop() ?? Buffer.allocUnsafe(size);
    let n = 0;
    while (n < size) {
      const got = await pread(fd, b, n, position + n);
      if (got === 0) {
        ended = true;
        break;
      }
      n += got;
    }
    position += n;
    return n === 0 ? null : n === size ? b : b.subarray(0, n);
  };
  return {
    read(): Promise<Buffer | null> {
      const r = fill().catch((e) => Promise.reject(named(e)));
      reading = r.catch(() => undefined);
      return r;
    },
    release(chunk: Buffer): void {
      if (chunk.length === size && free.length < 2) free.push(chunk);
    },
    /** Refuses a file that changed since `unchangedSince`, or was not read to its end. */
    async finish(): Promise<void> {
      const before = file.unchangedSince;
      if (!before) return;
      const now = await fstatOf(fd).catch((e) => Promise.reject(named(e)));
      if (
        now.size !== before.size ||
        now.size !== BigInt(position) ||
        now.mtimeNs !== before.mtimeNs ||
        now.ctimeNs !== before.ctimeNs ||
        now.ino !== before.ino ||
        now.dev !== before.dev
      )
        throw new InputChangedError("the input changed while it was encrypted");
    },
    async close(): Promise<void> {
      await reading; // a read under way ends before its descriptor goes
      await closeFile(fd);
    },
  };
}

/**
 * Loads the ESDK's encrypt side and starts the hashing workers sealPackage will use, so that a
 * caller can do it while something else runs (the first pixel digest).
 */
export function prepareEncryption(signed: boolean): void {
  esdkEncryptParts();
  digestWorker();
  if (signed) signatureWorker();
}

export interface SealOptions {
  keyring: KeyringNode;
  context: Record<string, string>;
  suiteId: number;
  frameLength: number;
  maxEncryptedDataKeys: number;
  /** Write with O_DIRECT where the file system allows it (default); false: through the page cache. */
  direct?: boolean;
}

/**
 * Writes the package for the plaintext of `source` to a new file at `path` (mode 0600; it must not
 * exist). Returns the package's SHA-256 ("sha256:<hex>") and size; the file is written but not
 * yet fsync'ed. On a read, write or hash error the message is abandoned (the ESDK's frame stream
 * destroyed, which zeroes the data key) and the error thrown once nothing is in flight on the
 * file; the caller removes it.
 *
 * The checks are those of the ESDK's encryptStream (client built with
 * REQUIRE_ENCRYPT_REQUIRE_DECRYPT): a committing suite only, at most `maxEncryptedDataKeys` data
 * keys, a frame length within the format's bounds.
 */
export async function sealPackage(
  source: PlaintextSource,
  path: string,
  opts: SealOptions,
): Promise<{ digest: string; size: number }> {
  const mm = esdkMaterials();
  const parts = esdkEncryptParts();
  const policy = mm.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT;
  const needs: (condition: unknown, message: string) => void = mm.needs;
  needs(
    opts.frameLength > 0 && opts.frameLength <= parts.maxFrameSize,
    "frameLength out of bounds",
  );
  const suite = new mm.NodeAlgorithmSuite(opts.suiteId);
  mm.CommitmentPolicySuites.isEncryptEnabled(policy, suite);
  const material = await new mm.NodeDefaultCryptographicMaterialsManager(
    opts.keyring,
  ).getEncryptionMaterials({
    suite,
    encryptionContext: opts.context,
    commitmentPolicy: policy,
  });
  mm.CommitmentPolicySuites.isEncryptEnabled(policy, material.suite);
  needs(
    material.encryptedDataKeys.length <= opts.maxEncryptedDataKeys,
    "maxEncryptedDataKeys exceeded.",
  );
  let info;
  try {
    info = parts.getEncryptionInfo(material, opts.frameLength);
  } catch (e) {
    material.zeroUnencryptedDataKey();
    throw e;
  }
  const signatureHash = material.suite.signatureHash;
  const key = material.signatureKey?.privateKey;
  if (signatureHash && typeof key !== "string")
    throw new Error("the ESDK gave no signature key for a signed suite");
  // The ESDK holds it as a PEM string (immutable, so it cannot be zeroed, there or here).
  const privateKey = typeof key === "string" ? key : undefined;

  const file = await PackageFile.create(path, opts.direct ?? true).catch((e) => {
    info.dispose();
    throw e;
  });
  const shared = takeRing();
  const packageHash = digestWorker().stream(shared, "sha256");
  const signature = signatureHash ? signatureWorker().stream(shared, signatureHash, true) : null;
  const sink = new PackageSink(file, shared, signature ? [packageHash, signature] : [packageHash]);
  const frames = parts.getFramedEncryptStream(info.getCipher, info.messageHeader, info.dispose, {
    suite: material.suite,
  });
  // The first failure from any side (the frames, the sink, the source) ends every wait.
  let fail!: (e: unknown) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  frames.on("error", (e) => fail(e));
  try {
    for (const part of info.rawHeader) await sink.append(part);
    // The frames, as the ESDK's Transform writes them, go to the sink as they come.
    const frameOutput = frames[Symbol.asyncIterator]();
    const drained = (async () => {
      for (;;) {
        const r = await frameOutput.next();
        if (r.done) return;
        await sink.append(r.value as Buffer);
      }
    })();
    drained.catch((e) => fail(e));
    // The next chunk is read while the ESDK encrypts the current one.
    const read = () => {
      const r = source.read();
      r.catch(() => undefined); // awaited below, or dropped after a failure: never "unhandled"
      return r;
    };
    let next = read();
    for (;;) {
      const chunk = await Promise.race([next, failed]);
      if (!chunk) break;
      next = read();
      // Room for the frames of this chunk first (frame headers and tags add under 1%).
      await Promise.race([sink.ready(chunk.length + (chunk.length >> 6) + 1024), failed]);
      await Promise.race([
        new Promise<void>((ok, ko) => frames.write(chunk, (e) => (e ? ko(e) : ok()))),
        failed,
      ]);
      source.release?.(chunk);
    }
    frames.end();
    await Promise.race([drained, failed]);
    if (signature && privateKey) {
      // The signature covers header and frames: the footer goes to the package hash only.
      sink.hash();
      sink.consumers = [packageHash];
      const sig = (await Promise.race([signature.finish(privateKey), failed])) as Uint8Array;
      await sink.append(parts.serializeSignatureInfo(sig));
    }
    await sink.close();
    const digest = (await packageHash.finish()) as string;
    rings.push(shared);
    return { digest: `sha256:${digest}`, size: sink.size };
  } catch (e) {
    // Not awaited: the frame stream's destroy zeroes the data key but never calls back.
    frames.destroy();
    await sink.settle();
    packageHash.drop();
    signature?.drop();
    throw e;
  } finally {
    info.dispose();
    await file.close();
  }
}
