import { EMPTY, Malformed } from "./dataset";
import type { ByteSource } from "./source";

/** The input could not be read (I/O error): not the input's fault, but no output either. */
export class ReadFailed extends Error {}

/** Above this, the part of an object outside its pixel data is not loaded into memory. */
export const MAX_WINDOW = 256 * 1024 * 1024;

/**
 * A window [base, base + buf.length) of the source, read on demand. Extending it from its end
 * doubles it (a header is read in log2(size / 64 KiB) reads); asking for bytes elsewhere moves it.
 */
export class SourceWindow {
  base = 0;
  buf: Buffer = EMPTY;

  constructor(
    private readonly src: ByteSource,
    private readonly chunk = 65536,
  ) {}

  get end(): number {
    return this.base + this.buf.length;
  }

  /** Where the source ends, as an offset in `buf` (see Parser). */
  get limit(): number {
    return this.src.size - this.base;
  }

  /** The window reaches the end of the source. */
  get complete(): boolean {
    return this.end >= this.src.size;
  }

  /** Makes [offset, offset + length) available, or as much of it as the source has. */
  async cover(offset: number, length: number): Promise<void> {
    const want = Math.min(offset + length, this.src.size);
    if (offset >= this.base && want <= this.end) return;
    if (offset >= this.base && offset <= this.end && this.buf.length > 0) {
      const target = Math.max(want, this.base + 2 * this.buf.length);
      await this.extend(Math.min(target, this.src.size));
    } else {
      this.base = offset;
      this.buf = EMPTY;
      await this.extend(Math.min(Math.max(want, offset + this.chunk), this.src.size));
    }
  }

  /** Doubles the window (at least one chunk more); a caller's parse ran out of bytes. */
  async grow(): Promise<void> {
    const target = this.base + Math.max(2 * this.buf.length, this.buf.length + this.chunk);
    await this.extend(Math.min(target, this.src.size));
  }

  private async extend(newEnd: number): Promise<void> {
    if (newEnd <= this.end) return;
    if (newEnd - this.base > MAX_WINDOW) {
      throw new Malformed("more than 256 MiB of data outside the pixel data");
    }
    let more: Buffer;
    try {
      more = await this.src.read(this.end, newEnd - this.end);
    } catch {
      throw new ReadFailed();
    }
    if (more.length !== newEnd - this.end) throw new ReadFailed();
    this.buf = this.buf.length === 0 ? more : Buffer.concat([this.buf, more]);
  }
}

/** Exactly `length` bytes at `offset` of the source; anything less is a read failure. */
export async function readExactly(
  src: ByteSource,
  offset: number,
  length: number,
): Promise<Buffer> {
  let b: Buffer;
  try {
    b = await src.read(offset, length);
  } catch {
    throw new ReadFailed();
  }
  if (b.length !== length) throw new ReadFailed();
  return b;
}
