import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createInflateRaw } from "node:zlib";
import { Malformed } from "./dataset";
import type { ByteSource } from "./source";
import { ReadFailed } from "./window";

/** Default bound on the inflated data set of a Deflated Explicit VR Little Endian input. */
export const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;

export const INFLATE_REASONS = {
  tooLarge: "deflated data set inflates beyond the size limit",
  corrupt: "deflated data set cannot be inflated",
} as const;

const CHUNK = 1024 * 1024;

/**
 * The data set of a deflated input (PS3.5 A.5: raw deflate, RFC 1951, of everything after the
 * file meta group) inflated into memory, never more than `limit` bytes: a zip bomb is refused
 * with a fixed reason once it has produced `limit` bytes, so memory stays under `limit` plus one
 * chunk. Bytes after the end of the deflate stream are ignored (never read into the output).
 */
export async function inflateDataset(
  src: ByteSource,
  offset: number,
  limit: number = MAX_INFLATED_BYTES,
): Promise<Buffer> {
  // What stopped the pipeline (its own rejection may be a generic abort error instead).
  let stopped: Malformed | ReadFailed | undefined;
  async function* compressed(): AsyncGenerator<Buffer> {
    for (let p = offset; p < src.size; p += CHUNK) {
      const n = Math.min(CHUNK, src.size - p);
      let b: Buffer | undefined;
      try {
        b = await src.read(p, n);
      } catch {
        // the read failed: below
      }
      if (b?.length !== n) throw (stopped = new ReadFailed());
      yield b;
    }
  }
  const out: Buffer[] = [];
  let total = 0;
  try {
    await pipeline(
      Readable.from(compressed()),
      createInflateRaw({ chunkSize: 64 * 1024 }),
      async (inflated: AsyncIterable<Buffer>) => {
        for await (const chunk of inflated) {
          total += chunk.length;
          if (total > limit) throw (stopped = new Malformed(INFLATE_REASONS.tooLarge));
          out.push(chunk);
        }
      },
    );
  } catch {
    if (stopped) throw stopped;
    // A zlib error (corrupt or truncated stream): its message is never passed on.
    throw new Malformed(INFLATE_REASONS.corrupt);
  }
  return out.length === 1 ? out[0] : Buffer.concat(out, total);
}
