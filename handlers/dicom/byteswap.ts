/**
 * Byte order conversion for Explicit VR Big Endian input (PS3.5 7.3): the output is always little
 * endian, so every multi-byte binary value is swapped, in memory for the header and while streaming
 * for pixel data (which is never loaded: see swapChunks).
 */

/** Size of the unit a value of this VR is swapped by (PS3.5 7.3); 0: a byte stream or text. */
export type SwapUnit = 0 | 2 | 4 | 8;

/** Swaps each `unit`-byte word of `b` in place; a tail shorter than a unit is left as it is. */
export function swapInPlace(b: Buffer, unit: SwapUnit): Buffer {
  if (unit === 0) return b;
  const whole = b.length - (b.length % unit);
  const body = whole === b.length ? b : b.subarray(0, whole);
  if (unit === 2) body.swap16();
  else if (unit === 4) body.swap32();
  else body.swap64();
  return b;
}

/** A swapped copy (the input's own bytes are never changed: a Buffer source hands out views). */
export const swappedCopy = (b: Buffer, unit: SwapUnit): Buffer =>
  unit === 0 ? b : swapInPlace(Buffer.from(b), unit);

/**
 * The chunks of a stream with every `unit`-byte word swapped, whatever the chunk boundaries: a
 * word split between two chunks is carried over. For the writer of a `{ sourceOffset, length,
 * swap }` part (handlers/job/deid-output.ts):
 * `for await (const c of swapChunks(range, "swap" in part ? part.swap : 0))`.
 * The chunks are swapped in place: pass a stream whose buffers are not shared (a file stream's are
 * not). A tail shorter than one unit (an odd length, never from a well-formed file) is passed on
 * as it is.
 */
export async function* swapChunks(
  chunks: AsyncIterable<Buffer>,
  unit: SwapUnit,
): AsyncGenerator<Buffer> {
  if (unit === 0) {
    yield* chunks;
    return;
  }
  let carry: Buffer | null = null;
  for await (const c of chunks) {
    const chunk: Buffer = carry ? Buffer.concat([carry, c]) : c;
    const whole = chunk.length - (chunk.length % unit);
    carry = whole === chunk.length ? null : Buffer.from(chunk.subarray(whole));
    if (whole > 0) yield swapInPlace(chunk.subarray(0, whole), unit);
  }
  if (carry) yield carry;
}
