import { createHmac, hkdfSync } from "node:crypto";
import { createReadStream } from "node:fs";
import { zeroize } from "../keys/keyfile";

/**
 * A keyed digest of the pixel data: HMAC-SHA256 under a key derived (HKDF) from the
 * pseudonymization key. A plain hash would let anyone holding a copy of a known image find its
 * package by fingerprint; the keyed digest lets only the key holder link an image to its package.
 */
export async function pixelDigest(
  path: string,
  range: { start: number; end: number } | null,
  pseudonymizationKey: Buffer,
): Promise<string> {
  const derived = Buffer.from(
    hkdfSync("sha256", pseudonymizationKey, Buffer.alloc(0), "imgsec/pixel-digest/v1", 32),
  );
  try {
    const mac = createHmac("sha256", derived);
    if (range && range.end > range.start) {
      for await (const chunk of createReadStream(path, {
        start: range.start,
        end: range.end - 1,
        highWaterMark: 1 << 20,
      }) as AsyncIterable<Buffer>)
        mac.update(chunk);
    }
    return mac.digest("hex");
  } finally {
    zeroize(derived);
  }
}
