/**
 * Packages: AWS Encryption SDK messages, written and read as streams. Only committing suites are
 * written or accepted (the client's commitment policy requires it both ways), so a message cannot
 * decrypt to two different plaintexts under two keys. Outputs go to a temporary name in the target
 * folder and are renamed only when complete: a decrypted file appears only after the whole message,
 * signature included, has authenticated.
 */
import type { AlgorithmSuiteIdentifier, KeyringNode } from "@aws-crypto/client-node";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { resolve } from "node:path";
import { Readable, Transform } from "node:stream";
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
import { closedStream, writeAtomicallyFrom } from "../fs/atomic";
import { esdkDecrypt, esdkMaterials } from "./esdk";
import { PlaintextFile, PlaintextSource, openPlaintextFile, sealPackage } from "./package-writer";

export { InputChangedError, type PlaintextFile } from "./package-writer";

/** Frame length: chosen by measurement (bench/results.md, "Packages"). */
export const DEFAULT_FRAME_LENGTH = 4 << 20;
/** Decrypt refuses larger frames: each frame is held in memory once while it authenticates. */
export const MAX_FRAME_LENGTH = 16 << 20;
/** Data keys (wrapping keys) a message may carry: on encrypt, and accepted on decrypt. */
export const MAX_DATA_KEYS = 16;

// Built on first use: encrypt never loads the decrypt side of the ESDK.
let decryptClient: ReturnType<ReturnType<typeof esdkDecrypt>["buildDecrypt"]> | undefined;
const decrypter = () =>
  (decryptClient ??= esdkDecrypt().buildDecrypt({
    commitmentPolicy: esdkMaterials().CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
    maxEncryptedDataKeys: MAX_DATA_KEYS,
  }));

export type SuiteChoice = "signed" | "unsigned";
export const SUITE_IDS: Record<SuiteChoice, AlgorithmSuiteIdentifier> = {
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

function isPlaintextFile(p: Readable | PlaintextFile): p is PlaintextFile {
  return !(p instanceof Readable) && typeof (p as PlaintextFile).path === "string";
}

/** A stream's chunks, as they come. */
function streamSource(stream: Readable): PlaintextSource {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return {
    read: async () => {
      const r = await chunks.next();
      return r.done ? null : r.value;
    },
  };
}

/**
 * Encrypts a plaintext (a stream, or a file it reads itself) into a package file at `out`
 * (temporary name, then rename): see package-writer.ts. The package's SHA-256 is computed as it is
 * written, and known before the rename. On a read or write error the message is abandoned, the
 * temporary file removed and the error thrown.
 */
export async function encryptToFile(
  plaintext: Readable | PlaintextFile,
  out: string,
  opts: EncryptOptions,
): Promise<Written> {
  let written: Written | undefined;
  await writeAtomically(out, 0o644, async (tmp) => {
    const frameLength = opts.frameLength ?? DEFAULT_FRAME_LENGTH;
    let file: Awaited<ReturnType<typeof openPlaintextFile>> | undefined;
    try {
      if (isPlaintextFile(plaintext)) file = await openPlaintextFile(plaintext, frameLength);
      written = await sealPackage(file ?? streamSource(plaintext as Readable), tmp, {
        keyring: opts.keyring,
        context: opts.context,
        suiteId: SUITE_IDS[opts.suite ?? "signed"],
        frameLength,
        maxEncryptedDataKeys: MAX_DATA_KEYS,
      });
      await file?.finish();
    } finally {
      if (file) await file.close();
      else if (!isPlaintextFile(plaintext)) plaintext.destroy();
    }
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
      const out = createWriteStream(tmp, { mode: 0o600, flags: "wx" });
      try {
        await pipeline(
          createReadStream(path, { highWaterMark: 1 << 20 }),
          tap(hash, count),
          dec,
          out,
        );
      } catch (e) {
        // Its lazy open may still be under way: the cleanup must find the file it creates.
        await closedStream(out);
        throw e;
      }
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
