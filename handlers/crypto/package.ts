/**
 * Packages: AWS Encryption SDK messages, written and read as streams. Only committing suites are
 * written or accepted (the client's commitment policy requires it both ways), so a message cannot
 * decrypt to two different plaintexts under two keys. Outputs go to a temporary name in the target
 * folder and are renamed only when complete: a decrypted file appears only after the whole message,
 * signature included, has authenticated.
 */
import type { AlgorithmSuiteIdentifier, KeyringNode } from "@aws-crypto/client-node";
import { createHash } from "node:crypto";
import { close, createReadStream, createWriteStream, fdatasync, open, writev } from "node:fs";
import { resolve } from "node:path";
import { PassThrough, Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  CONTEXT_PATTERNS,
  CTX,
  ContextError,
  ESDK_PUBLIC_KEY,
  EncryptionContext,
  datasetIdProblem,
  validateContext,
} from "./context";
import { PackageFormatError, checkStructure } from "./message";
import { SIGNED_SUITE, UNSIGNED_SUITE } from "./suites";
import { writeAtomicallyFrom } from "../fs/atomic";
import { esdkDecrypt, esdkEncrypt, esdkMaterials } from "./esdk";

/** Frame length: chosen by measurement (bench/results.md, "Packages"). */
export const DEFAULT_FRAME_LENGTH = 4 << 20;
/** Decrypt refuses larger frames: each frame is held in memory once while it authenticates. */
export const MAX_FRAME_LENGTH = 16 << 20;
const MAX_DATA_KEYS = 16;

const clientOptions = () => ({
  commitmentPolicy: esdkMaterials().CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
  maxEncryptedDataKeys: MAX_DATA_KEYS,
});
// Built on first use: encrypt never loads the decrypt side of the ESDK, nor decrypt the encrypt side.
let encryptClient: ReturnType<ReturnType<typeof esdkEncrypt>["buildEncrypt"]> | undefined;
let decryptClient: ReturnType<ReturnType<typeof esdkDecrypt>["buildDecrypt"]> | undefined;
const encrypter = () => (encryptClient ??= esdkEncrypt().buildEncrypt(clientOptions()));
const decrypter = () => (decryptClient ??= esdkDecrypt().buildDecrypt(clientOptions()));

export type SuiteChoice = "signed" | "unsigned";
const SUITE_IDS: Record<SuiteChoice, AlgorithmSuiteIdentifier> = {
  signed: SIGNED_SUITE as AlgorithmSuiteIdentifier,
  unsigned: UNSIGNED_SUITE as AlgorithmSuiteIdentifier,
};

/** A package that does not decrypt or does not match what the reader expects: exit 1. */
export class PackageRefusedError extends Error {}

/** What the reader asked to accept is itself malformed (a caller's error): nothing is read. */
export class ExpectationError extends Error {}

/** Counts and hashes bytes as they pass. */
function tap(hash: ReturnType<typeof createHash>, count: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      count.n += chunk.length;
      done(null, chunk);
    },
  });
}

/** Temporary name, fsync of file and directory, rename: the one helper (handlers/fs/atomic). */
const writeAtomically = (out: string, mode: number, write: (tmp: string) => Promise<void>) =>
  writeAtomicallyFrom(out, { mode, exact: true }, write);

export interface EncryptOptions {
  keyring: KeyringNode;
  context: EncryptionContext;
  suite?: SuiteChoice;
  frameLength?: number;
}

export interface Written {
  /** "sha256:<hex>" of the package file: how audit records and reports refer to it. */
  digest: string;
  size: number;
}

const openFile = (path: string, flags: string, mode: number) =>
  new Promise<number>((ok, fail) => open(path, flags, mode, (e, fd) => (e ? fail(e) : ok(fd))));
const closeFile = (fd: number) =>
  new Promise<void>((ok, fail) => close(fd, (e) => (e ? fail(e) : ok())));

/**
 * Bytes the package writer may hold. The ESDK's own output buffer already lets it run ahead of the
 * disk; 4 or 16 MiB here measured no faster, with more system time and memory.
 */
const WRITE_BUFFER = 1 << 20;
/** The writer starts writing the file back to disk (fdatasync) every so many bytes. */
const SYNC_EVERY = 64 << 20;

/**
 * Writes a package to an open file and hashes it (SHA-256) as it goes, so the package is never
 * read back for its digest: each batch of chunks is handed to one writev, and hashed while the
 * kernel copies it. Every 64 MiB it starts an fdatasync in the background, so the disk writes
 * while the CPU encrypts and the fsync before the rename (handlers/fs/atomic) has little left.
 */
class PackageFile extends Writable {
  bytes = 0;
  /** The first write or sync error: the rest is then dropped (see encryptToFile). */
  error: Error | undefined;
  private readonly hash = createHash("sha256");
  private unsynced = 0;
  private readonly syncs: Promise<void>[] = [];
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly fd: number,
    private readonly onError: () => void,
  ) {
    super({ highWaterMark: WRITE_BUFFER });
  }

  _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.run([chunk], done);
  }

  _writev(chunks: { chunk: Buffer }[], done: () => void): void {
    this.run(
      chunks.map((c) => c.chunk),
      done,
    );
  }

  _final(done: () => void): void {
    void Promise.all(this.syncs).then(() => done());
  }

  private fail(e: Error): void {
    if (this.error) return;
    this.error = e;
    this.onError();
  }

  private run(chunks: Buffer[], done: () => void): void {
    if (this.error) return done();
    this.inFlight = this.put(chunks).then(done, (e: Error) => {
      this.fail(e);
      done();
    });
  }

  private async put(chunks: Buffer[]): Promise<void> {
    const writing = this.writeAll(chunks);
    // Hashed while the kernel copies the same bytes (both only read them).
    for (const c of chunks) this.hash.update(c);
    this.unsynced += await writing;
    if (this.unsynced >= SYNC_EVERY) {
      this.unsynced = 0;
      this.syncs.push(
        new Promise<void>((ok) =>
          fdatasync(this.fd, (e) => {
            if (e) this.fail(e);
            ok();
          }),
        ),
      );
    }
  }

  /** One writev, again from the first byte not written after a short write. */
  private async writeAll(chunks: Buffer[]): Promise<number> {
    let pending = chunks.filter((c) => c.length > 0);
    let total = 0;
    while (pending.length > 0) {
      const n = await new Promise<number>((ok, fail) =>
        writev(this.fd, pending, this.bytes, (e, n) => (e ? fail(e) : ok(n))),
      );
      if (n === 0) throw new Error("the package file accepted no bytes");
      this.bytes += n;
      total += n;
      let skip = n;
      pending = [...pending];
      while (pending.length > 0 && skip >= pending[0].length) skip -= pending.shift()!.length;
      if (pending.length > 0 && skip > 0) pending[0] = pending[0].subarray(skip);
    }
    return total;
  }

  /** "sha256:<hex>" of everything written; once only, after the stream has finished. */
  digest(): string {
    return `sha256:${this.hash.digest("hex")}`;
  }

  /** Resolves once no write and no sync runs on the file any more: only then may it be closed. */
  async settle(): Promise<void> {
    await this.inFlight.catch(() => undefined);
    await Promise.all(this.syncs);
  }
}

/**
 * The plaintext as the ESDK reads it: a read error ends this stream (and is kept in `failure`)
 * instead of erroring it, and `stop()` ends it early. Either way the ESDK closes its message
 * normally and is never destroyed in mid-stream: it joins its two inner streams with a
 * readable-stream pipeline that has no callback, so destroying it then throws "Premature close"
 * where nothing can catch it, and the process would die with the temporary file left behind and
 * no audit record. encryptToFile throws the error afterwards, and nothing is committed.
 */
class Plaintext extends PassThrough {
  failure: unknown;
  private stopped = false;

  constructor(private readonly source: Readable) {
    // The default (16 KiB) buffer: the source's own buffer stays the only read-ahead (a second
    // 4 MiB one here measured slower: more memory in flight for the same work).
    super();
    // pipe(), not pipeline(): a source error does not reach this stream.
    source.once("error", (e) => {
      if (!this.stopped) this.failure ??= e;
      this.end();
    });
    source.pipe(this);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.source.unpipe(this);
    this.source.destroy();
    this.end();
  }

  _destroy(e: Error | null, done: (e: Error | null) => void): void {
    this.source.destroy();
    done(e);
  }
}

/**
 * Encrypts a plaintext stream into a package file at `out` (temporary name, then rename). The
 * package's SHA-256 is computed as it is written, and known before the rename. A read or write
 * error ends the message early (see Plaintext) and is thrown once the ESDK has closed it; the
 * temporary file is then removed.
 */
export async function encryptToFile(
  plaintext: Readable,
  out: string,
  opts: EncryptOptions,
): Promise<Written> {
  let written: Written | undefined;
  await writeAtomically(out, 0o644, async (tmp) => {
    const input = new Plaintext(plaintext);
    let fd: number;
    try {
      fd = await openFile(tmp, "wx", 0o600);
    } catch (e) {
      plaintext.destroy();
      throw e;
    }
    const file = new PackageFile(fd, () => input.stop());
    try {
      await pipeline(
        input,
        encrypter().encryptStream(opts.keyring, {
          encryptionContext: opts.context,
          suiteId: SUITE_IDS[opts.suite ?? "signed"],
          frameLength: opts.frameLength ?? DEFAULT_FRAME_LENGTH,
        }),
        file,
      );
    } finally {
      await file.settle();
      await closeFile(fd);
    }
    if (file.error) throw file.error;
    if (input.failure) throw input.failure;
    written = { digest: file.digest(), size: file.bytes };
  });
  return written as Written;
}

export interface Expectations {
  /** The dataset the reader asked for; a package of another dataset is refused. */
  datasetId?: string;
  /** Accepted de-identification policy hashes; empty or absent accepts none... see decryptToFile. */
  policyHashes: string[];
}

/**
 * What a reader may ask to accept: a well-formed dataset id and SHA-256 policy hashes. A malformed
 * expectation would otherwise just refuse every package as "another dataset". Quotes no value.
 */
export function expectationsProblem(expect: Expectations): string | null {
  if (expect.datasetId !== undefined) {
    const problem = datasetIdProblem(expect.datasetId);
    if (problem) return `expected dataset: ${problem}`;
  }
  if (!Array.isArray(expect.policyHashes)) return "accepted policy hashes must be a list";
  for (const h of expect.policyHashes)
    if (typeof h !== "string" || !CONTEXT_PATTERNS[CTX.policyHash].test(h))
      return "an accepted policy hash is not a SHA-256 (64 lowercase hex digits)";
  return null;
}

/** Checks the authenticated context against what the reader expects. Messages quote no value. */
export function contextProblem(ctx: Record<string, string>, expect: Expectations): string | null {
  if (expect.datasetId !== undefined && ctx[CTX.dataset] !== expect.datasetId)
    return "the package belongs to another dataset than --dataset";
  if (!expect.policyHashes.includes(ctx[CTX.policyHash] ?? ""))
    return "the package was made under a de-identification policy that is not accepted (see --accept-policy)";
  for (const key of Object.keys(ctx)) {
    if (key !== ESDK_PUBLIC_KEY && !Object.values(CTX).includes(key as never))
      return "the package's encryption context has a key that is not allowed";
  }
  // Every imgsec value, as encrypt would have checked it: a package made elsewhere could carry an
  // identifier (an MRN as dataset id) that would otherwise reach the output's records.
  const own = { ...ctx };
  delete own[ESDK_PUBLIC_KEY];
  try {
    validateContext(own);
  } catch (e) {
    if (e instanceof ContextError)
      return `the package's encryption context is refused: ${e.message}`;
    throw e;
  }
  return null;
}

export interface Decrypted {
  context: Record<string, string>;
  /** "sha256:<hex>" of the package read. */
  digest: string;
  size: number;
}

/** One-line, value-free reason for an ESDK decrypt failure. */
function decryptFailure(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  if (
    /unencryptedDataKey has not been set|No Encrypted Data Keys|Unable to decrypt data key/i.test(m)
  )
    return "no key given can unwrap this package's data key (wrong key file or KMS key)";
  if (/Configuration conflict|only committed|CommitmentPolicy/i.test(m))
    return "the package uses a non-committing algorithm suite, which imgsec does not accept";
  if (/commitment/i.test(m)) return "key commitment does not match: the package was tampered with";
  if (/maxBodySize|frame length/i.test(m))
    return "the package's frames are larger than imgsec accepts";
  if (/signature/i.test(m)) return "the package signature does not verify: it was tampered with";
  if (/Unsupported state or unable to authenticate data|auth|tag/i.test(m))
    return "authentication failed: the package was tampered with or corrupted";
  if (/premature close|Truncated|too short|incomplete|end of stream/i.test(m))
    return "the package is truncated";
  return "the package does not decrypt (corrupted or not an imgsec package)";
}

/**
 * Decrypts a package file to `out`. The context is checked as soon as the header is read, before
 * any plaintext is produced; plaintext goes to a temporary file (mode 0600) that is renamed only
 * when the ESDK has authenticated every frame and the signature. Memory stays bounded by the frame
 * length, whatever the file size.
 */
export async function decryptToFile(
  path: string,
  out: string,
  opts: {
    keyring: KeyringNode;
    expect: Expectations;
    /**
     * Called with the authenticated context once the whole message has authenticated, before the
     * plaintext is renamed into place; if it throws, nothing is written and its error goes up.
     */
    beforeCommit?: (context: Record<string, string>) => void;
  },
): Promise<Decrypted> {
  const bad = expectationsProblem(opts.expect);
  if (bad) throw new ExpectationError(bad);
  if (resolve(path) === resolve(out))
    throw new PackageRefusedError("output would overwrite the input");
  // Structure and context first, with no key and no plaintext: a truncated or extended message, or
  // one for another dataset or policy, is refused before any key is asked to unwrap anything.
  let structure;
  try {
    structure = await checkStructure(path);
  } catch (e) {
    if (e instanceof PackageFormatError) throw new PackageRefusedError(e.message);
    throw e;
  }
  if (structure.problem === "trailing-bytes")
    throw new PackageRefusedError("the package has bytes after the end of the message");
  if (structure.problem)
    throw new PackageRefusedError("the package is truncated or its frames are out of order");
  const early = contextProblem(structure.header.context, opts.expect);
  if (early) throw new PackageRefusedError(early);
  const hash = createHash("sha256");
  const count = { n: 0 };
  let context: Record<string, string> = {};
  let refusal: string | null = null;
  let callerFailure: { error: unknown } | undefined;
  try {
    await writeAtomically(out, 0o600, async (tmp) => {
      const dec = decrypter().decryptStream(opts.keyring, { maxBodySize: MAX_FRAME_LENGTH });
      // Checked again on the header the ESDK authenticates: the file may have changed since the
      // key-less check above, and only this header is the one the plaintext belongs to.
      dec.once("MessageHeader", (header: { encryptionContext: Record<string, string> }) => {
        context = { ...header.encryptionContext };
        refusal = contextProblem(context, opts.expect);
        if (refusal) dec.destroy(new PackageRefusedError(refusal));
      });
      await pipeline(
        createReadStream(path, { highWaterMark: 1 << 20 }),
        tap(hash, count),
        dec,
        createWriteStream(tmp, { mode: 0o600, flags: "wx" }),
      );
      try {
        opts.beforeCommit?.(context);
      } catch (e) {
        callerFailure = { error: e };
        throw e;
      }
    });
  } catch (e) {
    if (callerFailure) throw callerFailure.error;
    if (e instanceof PackageRefusedError) throw e;
    if (refusal) throw new PackageRefusedError(refusal);
    // A file-system error (reading the package, writing the output) says nothing about the
    // package: it goes up as it is, for the caller to word, never as "tampered".
    if (typeof (e as NodeJS.ErrnoException).syscall === "string") throw e;
    throw new PackageRefusedError(decryptFailure(e));
  }
  return { context, digest: `sha256:${hash.digest("hex")}`, size: count.n };
}
