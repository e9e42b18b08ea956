/**
 * A de-identified object that exists only as the engine's result: header bytes plus ranges of the
 * identified source (big endian words swapped on the way). It is read like a file (`ByteSource`,
 * for inspectDeidentified and the pixel digest) and streamed once more for the encryption, so the
 * de-identified bytes are never written anywhere but into the package.
 */
import type { ByteSource, OutputPart } from "../dicom";
import { type SwapUnit, swapInPlace } from "../dicom/byteswap";

/** The source is shorter, or changed, since the engine read it. */
export class SourceChangedError extends Error {
  constructor() {
    super("the input changed while it was read");
    this.name = "SourceChangedError";
  }
}

const CHUNK = 1 << 20;

interface Span {
  start: number;
  end: number;
  part: OutputPart;
}

export class DeidentifiedOutput implements ByteSource {
  readonly size: number;
  private readonly spans: Span[] = [];

  constructor(
    private readonly source: ByteSource,
    parts: OutputPart[],
  ) {
    let at = 0;
    for (const part of parts) {
      const n = "bytes" in part ? part.bytes.length : part.length;
      if (n > 0) this.spans.push({ start: at, end: at + n, part });
      at += n;
    }
    this.size = at;
  }

  /** Bytes [offset, offset + length) of the output, fewer only at its end. */
  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return Buffer.alloc(0);
    const pieces: Buffer[] = [];
    for (const s of this.spans) {
      if (s.end <= offset || s.start >= end) continue;
      const from = Math.max(offset, s.start) - s.start;
      const to = Math.min(end, s.end) - s.start;
      pieces.push(await this.slice(s.part, from, to));
    }
    return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
  }

  /** The output from `start` to `end` (default: all of it), in chunks of at most 1 MiB. */
  async *chunks(start = 0, end = this.size): AsyncGenerator<Buffer> {
    for (let at = start; at < end; ) {
      const b = await this.read(at, Math.min(CHUNK, end - at));
      if (b.length === 0) throw new SourceChangedError();
      yield b;
      at += b.length;
    }
  }

  /** Bytes [from, to) of one part: a copy of header bytes' view, or a read of the source. */
  private async slice(part: OutputPart, from: number, to: number): Promise<Buffer> {
    if ("bytes" in part) return part.bytes.subarray(from, to);
    const unit = ("swap" in part ? part.swap : 0) as SwapUnit;
    // Swapped words are read whole: the range is widened to word boundaries of the part.
    const a = unit ? from - (from % unit) : from;
    const b = unit ? Math.min(part.length, to + ((unit - (to % unit)) % unit)) : to;
    const got = await this.source.read(part.sourceOffset + a, b - a);
    if (got.length !== b - a) throw new SourceChangedError();
    // A source may hand out views of its own memory (a Buffer source): swap a copy.
    const bytes = unit ? swapInPlace(Buffer.from(got), unit) : got;
    return bytes.subarray(from - a, from - a + (to - from));
  }
}
