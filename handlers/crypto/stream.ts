/**
 * A package as a stream, for a sink that is not a local file (an S3 multipart upload, through the
 * object store): plaintext chunks in, the ESDK message out, its SHA-256 and size known at the end.
 *
 * The ESDK's encryptStream must never be destroyed mid-message: it joins its inner streams with a
 * pipeline that has no callback, and "Premature close" then throws where nothing catches it. So the
 * ESDK stream is connected to nothing that can destroy it: its output is copied by hand into the
 * body the sink reads, and a sink that gives up (an upload that fails) only makes the plaintext end
 * early, after which the ESDK's output is drained and dropped. A plaintext read error does the
 * same, and the body then ends in that error, so the sink never commits a short package.
 */
import { createHash } from "node:crypto";
import { PassThrough, Readable } from "node:stream";
import type { KeyringNode } from "@aws-crypto/client-node";
import { esdkEncrypt, esdkMaterials } from "./esdk";
import { validateContext, type EncryptionContext } from "./context";
import { DEFAULT_FRAME_LENGTH, MAX_DATA_KEYS, SUITE_IDS, type SuiteChoice } from "./package";

export interface PackageStreamOptions {
  keyring: KeyringNode;
  context: EncryptionContext;
  suite?: SuiteChoice;
  /** Frame length in bytes (default 4 MiB, as `imgsec encrypt`). */
  frameLength?: number;
}

export interface PackageStream {
  /** The package bytes: hand it to the sink, which reads it to the end or destroys it. */
  body: Readable;
  /** The package's "sha256:<hex>" and size once the ESDK has closed the message. */
  written: Promise<{ digest: string; size: number }>;
}

let client: ReturnType<ReturnType<typeof esdkEncrypt>["buildEncrypt"]> | undefined;
const encrypter = () =>
  (client ??= esdkEncrypt().buildEncrypt({
    commitmentPolicy: esdkMaterials().CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
    maxEncryptedDataKeys: MAX_DATA_KEYS,
  }));

export function packageStream(
  plaintext: AsyncIterable<Buffer>,
  opts: PackageStreamOptions,
): PackageStream {
  validateContext(opts.context);
  const source = Readable.from(plaintext, { objectMode: false });
  const input = new PassThrough();
  let failure: unknown;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    source.unpipe(input);
    source.destroy();
    input.end();
  };
  // pipe(), not pipeline(): a source error must end the message, not destroy the ESDK.
  source.once("error", (e) => {
    failure ??= e;
    stop();
  });
  source.pipe(input);

  const esdk = encrypter().encryptStream(opts.keyring, {
    encryptionContext: opts.context,
    suiteId: SUITE_IDS[opts.suite ?? "signed"],
    frameLength: opts.frameLength ?? DEFAULT_FRAME_LENGTH,
  });
  input.pipe(esdk);

  const body = new PassThrough({ highWaterMark: 4 << 20 });
  const hash = createHash("sha256");
  let size = 0;
  let finished = false;
  let sinkGone = false;
  // The sink gave up (destroyed the body) before the end: stop feeding, drain the ESDK.
  body.once("close", () => {
    if (finished) return;
    sinkGone = true;
    failure ??= new Error("the package sink stopped reading");
    stop();
    esdk.resume();
  });
  const written = new Promise<{ digest: string; size: number }>((resolve, reject) => {
    esdk.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
      if (sinkGone) return;
      if (!body.write(chunk)) {
        esdk.pause();
        body.once("drain", () => esdk.resume());
      }
    });
    esdk.once("end", () => {
      finished = true;
      if (failure !== undefined) {
        if (!sinkGone) body.destroy(failure instanceof Error ? failure : new Error("read failed"));
        reject(failure);
        return;
      }
      body.end();
      resolve({ digest: `sha256:${hash.digest("hex")}`, size });
    });
    esdk.once("error", (e: Error) => {
      finished = true;
      stop();
      if (!sinkGone) body.destroy(e);
      reject(e);
    });
  });
  // Awaited by the caller; a rejection before then is not an unhandled one.
  written.catch(() => undefined);
  return { body, written };
}
