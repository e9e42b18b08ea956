import { hkdfSync } from "node:crypto";
import { zeroize } from "../keys/keyfile";
import { DigestWorker, digestWorker } from "./digest-worker";

/** The pixel digest's HMAC key, derived (HKDF-SHA256) from the pseudonymization key; zero it. */
export function pixelDigestKey(pseudonymizationKey: Buffer): Buffer {
  return Buffer.from(
    hkdfSync("sha256", pseudonymizationKey, Buffer.alloc(0), "imgsec/pixel-digest/v1", 32),
  );
}

/**
 * A keyed digest of the pixel data: HMAC-SHA256 under a key derived (HKDF) from the
 * pseudonymization key. A plain hash would let anyone holding a copy of a known image find its
 * package by fingerprint; the keyed digest lets only the key holder link an image to its package.
 *
 * The bytes are read and hashed in the digest worker (digest-worker.ts), so the calling thread is
 * free meanwhile. The derived key is only ever in shared memory: the worker zeroes it as soon as
 * the HMAC holds it, and this function zeroes it too, however the job ends.
 */
export async function pixelDigest(
  path: string,
  range: { start: number; end: number } | null,
  pseudonymizationKey: Buffer,
  worker: DigestWorker = digestWorker(),
): Promise<string> {
  const derived = Buffer.from(new SharedArrayBuffer(32));
  try {
    const bytes = pixelDigestKey(pseudonymizationKey);
    bytes.copy(derived);
    zeroize(bytes);
    return await worker.hmac(path, range ?? { start: 0, end: 0 }, derived);
  } finally {
    zeroize(derived);
  }
}
