import {
  Dataset,
  Element,
  Malformed,
  NEED_MORE,
  Parser,
  UNDEFINED_LENGTH,
  find,
  readTag,
  text,
} from "./dataset";
import type { ByteSource } from "./source";
import { TAG, groupOf, isPixelDataTag } from "./tags";
import {
  EXPLICIT_LE,
  IMPLICIT_LE,
  SYNTAX_REASONS,
  isEncapsulatedSyntax,
  transferSyntaxProblem,
} from "./transfer-syntax";
import { SourceWindow } from "./window";

export { EXPLICIT_LE, IMPLICIT_LE };

/** Where the top-level pixel data element lies in the source; its bytes are never read here. */
export interface PixelExtent {
  tag: number;
  /** Offset of the element's tag. */
  start: number;
  /** Offset of its value. */
  valueStart: number;
  /** Offset just past it (past the sequence delimiter when encapsulated). */
  end: number;
  encapsulated: boolean;
}

/** An input object split into what the engine rewrites and what it copies. */
export interface Layout {
  transferSyntax: string;
  implicit: boolean;
  /** The source's file meta group, if any: read for a missing SOP Class UID only, never copied. */
  sourceMeta: Dataset;
  /** Top-level elements before the pixel data (all of them if there is none). */
  header: Dataset;
  pixel: PixelExtent | null;
  /** Top-level elements after the pixel data that `keepTrailing` asked for. */
  trailing: Dataset;
}

/**
 * Top-level elements from `offset` until `stop(tag)` or the end of the input, parsed from the
 * window and growing it when an element runs past its end (the element is then parsed again).
 */
async function elementsUntil(
  win: SourceWindow,
  offset: number,
  implicit: boolean,
  stop: (tag: number) => boolean,
): Promise<{ elements: Dataset; next: number }> {
  const elements: Dataset = [];
  let next = offset;
  for (;;) {
    await win.cover(next, 12);
    const p = new Parser(win.buf, win.complete);
    p.pos = next - win.base;
    try {
      for (;;) {
        if (p.pos >= p.buf.length) {
          if (win.complete) return { elements, next };
          throw NEED_MORE;
        }
        if (p.pos + 4 > p.buf.length) {
          throw win.complete ? new Malformed("truncated data element") : NEED_MORE;
        }
        if (stop(readTag(p.buf, p.pos))) return { elements, next };
        elements.push(p.element(implicit, 0));
        next = win.base + p.pos;
      }
    } catch (e) {
      if (e !== NEED_MORE) throw e;
      await win.grow();
    }
  }
}

/** One top-level element at `offset` (see elementsUntil). */
async function elementAt(
  win: SourceWindow,
  offset: number,
  implicit: boolean,
): Promise<{ el: Element; next: number }> {
  for (;;) {
    await win.cover(offset, 12);
    const p = new Parser(win.buf, win.complete);
    p.pos = offset - win.base;
    try {
      const el = p.element(implicit, 0);
      return { el, next: win.base + p.pos };
    } catch (e) {
      if (e !== NEED_MORE) throw e;
      await win.grow();
    }
  }
}

/** Tag, value length and header size of the element at `offset`, or null at the end of input. */
async function headerAt(
  win: SourceWindow,
  offset: number,
  implicit: boolean,
): Promise<{ tag: number; length: number; size: number } | null> {
  await win.cover(offset, 12);
  if (offset >= win.end) return null;
  const p = new Parser(win.buf, win.complete);
  p.pos = offset - win.base;
  try {
    return p.header(implicit);
  } catch (e) {
    if (e === NEED_MORE) throw new Malformed("truncated data element");
    throw e;
  }
}

/** End of encapsulated pixel data: walks its item headers (8 bytes each), skipping the frames. */
async function fragmentsEnd(src: ByteSource, offset: number): Promise<number> {
  const win = new SourceWindow(src, 512);
  let p = offset;
  for (;;) {
    await win.cover(p, 8);
    if (p + 8 > win.end) throw new Malformed("truncated pixel data");
    const b = win.buf;
    const t = readTag(b, p - win.base);
    const length = b.readUInt32LE(p - win.base + 4);
    p += 8;
    if (t === TAG.SequenceDelimitationItem) return p;
    if (t !== TAG.Item || length === UNDEFINED_LENGTH) {
      throw new Malformed("invalid encapsulated pixel data item");
    }
    p += length;
    if (p > src.size) throw new Malformed("truncated pixel data");
  }
}

/** A bare data set (no file meta): explicit VR when bytes 4-5 are a VR, as a reader would guess. */
function guessSyntax(b: Buffer, p: number): string {
  const isUpper = (c: number) => c >= 0x41 && c <= 0x5a;
  return p + 6 <= b.length && isUpper(b[p + 4]) && isUpper(b[p + 5]) ? EXPLICIT_LE : IMPLICIT_LE;
}

export async function scan(
  src: ByteSource,
  keepTrailing: (tag: number) => boolean,
): Promise<Layout> {
  if (src.size < 8) throw new Malformed("not a DICOM file");
  const win = new SourceWindow(src);
  await win.cover(0, 132);
  let pos = src.size >= 132 && win.buf.toString("latin1", 128, 132) === "DICM" ? 132 : 0;
  const preamble = pos === 132;

  // File meta information: always explicit VR little endian, group 0002 only.
  const meta = await elementsUntil(win, pos, false, (t) => groupOf(t) !== 0x0002);
  const sourceMeta = meta.elements;
  pos = meta.next;
  let transferSyntax: string;
  if (sourceMeta.length > 0) {
    transferSyntax = text(find(sourceMeta, TAG.TransferSyntaxUID));
    if (!transferSyntax) throw new Malformed("file meta information has no transfer syntax");
  } else {
    if (preamble) throw new Malformed("file meta information missing");
    // Without preamble and meta, only a data set that starts like one is taken for DICOM.
    if (groupOf(readTag(win.buf, 0)) !== 0x0008) throw new Malformed("not a DICOM file");
    transferSyntax = guessSyntax(win.buf, 0);
  }
  // Only a syntax from the known list is ever written back out (the output copies it).
  const problem = transferSyntaxProblem(transferSyntax);
  if (problem) throw new Malformed(problem);
  const implicit = transferSyntax === IMPLICIT_LE;

  const body = await elementsUntil(win, pos, implicit, isPixelDataTag);
  const header = body.elements;
  pos = body.next;
  let pixel: PixelExtent | null = null;
  const h = pos < src.size ? await headerAt(win, pos, implicit) : null;
  if (h) {
    const valueStart = pos + h.size;
    const encapsulated = h.length === UNDEFINED_LENGTH;
    // The output keeps both the syntax and the pixel bytes: they must agree, or it would claim an
    // encoding its pixel data does not have.
    if (h.tag === TAG.PixelData && encapsulated !== isEncapsulatedSyntax(transferSyntax))
      throw new Malformed(
        encapsulated ? SYNTAX_REASONS.nativeEncapsulated : SYNTAX_REASONS.encapsulatedNative,
      );
    const end = encapsulated ? await fragmentsEnd(src, valueStart) : valueStart + h.length;
    if (end > src.size) throw new Malformed("truncated pixel data");
    pixel = { tag: h.tag, start: pos, valueStart, end, encapsulated };
    pos = end;
  }

  // After the pixel data (signatures, padding, private groups): elements to drop are skipped
  // unread when their length is defined.
  const trailing: Dataset = [];
  const tail = new SourceWindow(src);
  while (pos < src.size) {
    const h = await headerAt(tail, pos, implicit);
    if (!h) break;
    if (!keepTrailing(h.tag) && h.length !== UNDEFINED_LENGTH) {
      pos += h.size + h.length;
      if (pos > src.size) throw new Malformed("truncated data element");
      continue;
    }
    const { el, next } = await elementAt(tail, pos, implicit);
    if (keepTrailing(h.tag)) trailing.push(el);
    pos = next;
  }
  return { transferSyntax, implicit, sourceMeta, header, pixel, trailing };
}
