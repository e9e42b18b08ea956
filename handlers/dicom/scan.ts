import { type SwapUnit, swapInPlace } from "./byteswap";
import {
  Dataset,
  Element,
  Encoding,
  Malformed,
  NEED_MORE,
  Parser,
  READ_REASONS,
  UNDEFINED_LENGTH,
  Writer,
  find,
  readTag,
  readTagBE,
  tagAt,
  text,
  us,
  writeElementHeader,
} from "./dataset";
import { dictionaryVr } from "./dictionary";
import { inflateDataset } from "./inflate";
import { type ByteSource, bufferSource } from "./source";
import { TAG, groupOf, isPixelDataTag, isPrivate } from "./tags";
import {
  DEFLATED_LE,
  EXPLICIT_BE,
  EXPLICIT_LE,
  IMPLICIT_LE,
  SYNTAX_REASONS,
  isEncapsulatedSyntax,
  isWrittenSyntax,
  transferSyntaxProblem,
} from "./transfer-syntax";
import { vrFromCode } from "./vr";
import { SourceWindow, readExactly } from "./window";

export { EXPLICIT_LE, IMPLICIT_LE };

/** Media Storage Directory Storage: a DICOMDIR, an index of a file set that names its patients. */
const DICOMDIR_CLASS = "1.2.840.10008.1.3.10";

/** Fixed reasons of the scan (besides the reader's and the transfer syntax ones). */
export const SCAN_REASONS = {
  dicomdir: "DICOMDIR is not copied: it names patients",
} as const;

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
  /** VR as read (OB, OW, OF, OD; a UN one as the dictionary has it). */
  vr: string;
  /** Unit by which the value is swapped to little endian (big endian input); 0: as it is. */
  swap: SwapUnit;
}

/**
 * One piece of an output, in order: bytes, or a range of the source copied as it is, or (big
 * endian pixel data) copied with each `swap`-byte word reversed (byteswap.ts swapChunks).
 */
export type OutputPart =
  | { bytes: Buffer }
  | { sourceOffset: number; length: number }
  | { sourceOffset: number; length: number; swap: 2 | 4 | 8 };

/** An input object split into what the engine rewrites and what it copies. */
export interface Layout {
  /**
   * The transfer syntax the output is written in: the input's for native little endian and
   * encapsulated syntaxes, Explicit VR Little Endian for big endian and deflated input, and the
   * encoding the data set really has when the file meta names none or a wrong native one.
   */
  transferSyntax: string;
  /** What the file meta said ("" when it named none). */
  declaredSyntax: string;
  /** Read and written in implicit VR. */
  implicit: boolean;
  /** Read as explicit VR big endian: binary values were swapped as read; pixel.swap says how. */
  bigEndian: boolean;
  /** A deflated input's inflated data set, in memory: pixel offsets refer to it, not the source. */
  inflated: Buffer | null;
  /** The source's file meta group, if any: read for a missing SOP Class UID only, never copied. */
  sourceMeta: Dataset;
  /** Top-level elements before the pixel data (all of them if there is none). */
  header: Dataset;
  pixel: PixelExtent | null;
  /** Top-level elements after the pixel data that `keepTrailing` asked for. */
  trailing: Dataset;
}

export interface ScanOptions {
  /** Bound on a deflated data set once inflated (default inflate.ts MAX_INFLATED_BYTES). */
  maxInflatedBytes?: number;
}

/** Elements and items parsed so far for one object (Parser counts against MAX_ELEMENTS). */
interface Budget {
  count: number;
}

/**
 * Top-level elements from `offset` until `stop(tag)` or the end of the input, parsed from the
 * window and growing it when an element runs past its end (the element is then parsed again).
 */
async function elementsUntil(
  win: SourceWindow,
  offset: number,
  enc: Encoding,
  stop: (tag: number) => boolean,
  budget: Budget,
): Promise<{ elements: Dataset; next: number }> {
  const elements: Dataset = [];
  let next = offset;
  for (;;) {
    await win.cover(next, 12);
    const p = new Parser(win.buf, win.limit, budget.count);
    p.pos = next - win.base;
    try {
      for (;;) {
        if (p.pos >= p.buf.length) {
          if (win.complete) return { elements, next };
          throw NEED_MORE;
        }
        if (p.pos + 4 > p.buf.length) {
          throw win.complete ? new Malformed(READ_REASONS.truncated) : NEED_MORE;
        }
        if (stop(tagAt(p.buf, p.pos, enc))) return { elements, next };
        elements.push(p.element(enc, 0));
        next = win.base + p.pos;
        budget.count = p.count;
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
  enc: Encoding,
  budget: Budget,
): Promise<{ el: Element; next: number }> {
  for (;;) {
    await win.cover(offset, 12);
    const p = new Parser(win.buf, win.limit, budget.count);
    p.pos = offset - win.base;
    try {
      const el = p.element(enc, 0);
      budget.count = p.count;
      return { el, next: win.base + p.pos };
    } catch (e) {
      if (e !== NEED_MORE) throw e;
      await win.grow();
    }
  }
}

/** Header of the element at `offset`, or null at the end of input. */
async function headerAt(
  win: SourceWindow,
  offset: number,
  enc: Encoding,
): Promise<ReturnType<Parser["header"]> | null> {
  await win.cover(offset, 12);
  if (offset >= win.end) return null;
  const p = new Parser(win.buf, win.limit);
  p.pos = offset - win.base;
  try {
    return p.header(enc);
  } catch (e) {
    if (e === NEED_MORE) throw new Malformed(READ_REASONS.truncated);
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
    // Fragments are skipped by length: delimiter-like bytes inside one are pixel data.
    if (t === TAG.SequenceDelimitationItem) return p;
    if (t !== TAG.Item || length === UNDEFINED_LENGTH) {
      throw new Malformed("invalid encapsulated pixel data item");
    }
    p += length;
    if (p > src.size) throw new Malformed("truncated pixel data");
  }
}

/** A standard tag the dictionary knows: the first element read in the right byte order is one. */
const knownTag = (t: number): boolean => !isPrivate(t) && dictionaryVr(t) !== undefined;

/**
 * The encoding of a data set from its first element, as dcmtk checks it: explicit VR when bytes
 * 4-5 are a VR, else implicit VR little endian; the byte order is the declared one unless only
 * the other reads the first tag as one the dictionary knows. A wrong or missing transfer syntax in
 * the file meta is thus corrected from the data set itself.
 */
function detectEncoding(b: Buffer, p: number, declared: Encoding): Encoding {
  if (p + 8 > b.length) return declared;
  if (vrFromCode(b[p + 4] * 256 + b[p + 5]) === undefined) return "implicit";
  const le = knownTag(readTag(b, p));
  const be = knownTag(readTagBE(b, p));
  if (declared === "big-endian") return le && !be ? "explicit" : "big-endian";
  return be && !le ? "big-endian" : "explicit";
}

/**
 * Swap unit of big endian pixel data. PS3.5 A.3: OW (16-bit words) when Bits Allocated > 8, OB
 * (a byte stream, nothing to swap) when <= 8. OB holding wider samples, or OW holding samples
 * wider than its words, has no byte order the output could claim: refused.
 */
function bigEndianPixelSwap(vr: string, bitsAllocated: number): SwapUnit {
  if (vr === "OB") {
    if (bitsAllocated > 8) throw new Malformed(SYNTAX_REASONS.bigEndianByteStream);
    return 0;
  }
  if (vr === "OW") {
    if (bitsAllocated > 16) throw new Malformed(SYNTAX_REASONS.bigEndianWide);
    return 2;
  }
  if (vr === "OF") return 4;
  if (vr === "OD") return 8;
  throw new Malformed("invalid value representation");
}

export async function scan(
  src: ByteSource,
  keepTrailing: (tag: number) => boolean,
  opts: ScanOptions = {},
): Promise<Layout> {
  if (src.size < 8) throw new Malformed("not a DICOM file");
  // 16 KiB holds most headers whole (a CT slice's is about 6 KiB); a larger one doubles the
  // window. Reading more would read pixel data twice: here, and again when it is copied.
  const win = new SourceWindow(src, 16384);
  await win.cover(0, 132);
  let pos = src.size >= 132 && win.buf.toString("latin1", 128, 132) === "DICM" ? 132 : 0;
  const preamble = pos === 132;
  const budget: Budget = { count: 0 };

  // File meta information: explicit VR little endian, group 0002 only. Some writers put it in
  // implicit VR: read as such when its first element has no VR (as dcmtk does).
  const metaEnc =
    win.buf.length >= pos + 6 && vrFromCode(win.buf[pos + 4] * 256 + win.buf[pos + 5]) === undefined
      ? "implicit"
      : "explicit";
  const meta = await elementsUntil(win, pos, metaEnc, (t) => groupOf(t) !== 0x0002, budget);
  const sourceMeta = meta.elements;
  pos = meta.next;
  let declared = "";
  if (sourceMeta.length > 0) {
    // A DICOMDIR indexes a whole file set by patient: never copied (a fresh one would be needed).
    if (text(find(sourceMeta, TAG.MediaStorageSOPClassUID)) === DICOMDIR_CLASS)
      throw new Malformed(SCAN_REASONS.dicomdir);
    declared = text(find(sourceMeta, TAG.TransferSyntaxUID));
  } else {
    if (preamble) throw new Malformed("file meta information missing");
    // Without preamble and meta, only a data set that starts like one is taken for DICOM.
    if (groupOf(readTag(win.buf, 0)) !== 0x0008) throw new Malformed("not a DICOM file");
  }
  // A named syntax must be one the reader knows; a missing one is read from the data set.
  if (declared) {
    const problem = transferSyntaxProblem(declared);
    if (problem) throw new Malformed(problem);
  }

  // Deflated: the data set after the file meta is raw deflate; inflated into memory (bounded),
  // it is then read like any explicit VR little endian data set.
  let body: ByteSource = src;
  let bodyWin = win;
  let inflated: Buffer | null = null;
  if (declared === DEFLATED_LE) {
    inflated = await inflateDataset(src, pos, opts.maxInflatedBytes);
    body = bufferSource(inflated);
    bodyWin = new SourceWindow(body);
    pos = 0;
  }
  await bodyWin.cover(pos, 12);
  const declaredEnc: Encoding =
    declared === IMPLICIT_LE ? "implicit" : declared === EXPLICIT_BE ? "big-endian" : "explicit";
  const enc = detectEncoding(bodyWin.buf, pos - bodyWin.base, declaredEnc);
  // The output claims the encoding it is written in: encapsulated and deflated syntaxes require
  // explicit VR little endian data sets; anything else is written as the data set really is.
  let transferSyntax: string;
  if (isEncapsulatedSyntax(declared) || declared === DEFLATED_LE) {
    if (enc !== "explicit") throw new Malformed(SYNTAX_REASONS.encodingMismatch);
    transferSyntax = inflated ? EXPLICIT_LE : declared;
  } else {
    transferSyntax = enc === "implicit" ? IMPLICIT_LE : EXPLICIT_LE;
  }
  if (!isWrittenSyntax(transferSyntax)) throw new Malformed(SYNTAX_REASONS.unknown);

  const parsed = await elementsUntil(bodyWin, pos, enc, isPixelDataTag, budget);
  const header = parsed.elements;
  pos = parsed.next;
  if (find(header, TAG.DirectoryRecordSequence)) throw new Malformed(SCAN_REASONS.dicomdir);
  let pixel: PixelExtent | null = null;
  const h = pos < body.size ? await headerAt(bodyWin, pos, enc) : null;
  if (h) {
    const valueStart = pos + h.size;
    const encapsulated = h.length === UNDEFINED_LENGTH;
    // The output keeps both the syntax and the pixel bytes: they must agree, or it would claim an
    // encoding its pixel data does not have.
    if (h.tag === TAG.PixelData && encapsulated !== isEncapsulatedSyntax(transferSyntax))
      throw new Malformed(
        encapsulated ? SYNTAX_REASONS.nativeEncapsulated : SYNTAX_REASONS.encapsulatedNative,
      );
    const end = encapsulated ? await fragmentsEnd(body, valueStart) : valueStart + h.length;
    if (end > body.size) throw new Malformed("truncated pixel data");
    // A UN value is little endian in any syntax (PS3.5 6.2.2).
    const swap =
      enc === "big-endian" && !h.un
        ? bigEndianPixelSwap(h.vr, us(find(header, TAG.BitsAllocated)))
        : 0;
    pixel = { tag: h.tag, start: pos, valueStart, end, encapsulated, vr: h.vr, swap };
    pos = end;
  }

  // After the pixel data (signatures, padding, private groups): elements to drop are skipped
  // unread when their length is defined; trailing padding (FFFC,FFFC) always goes. Bytes that
  // are not a data set's continuation (no readable element, or a group below 0008 such as zero
  // padding) end it: the rest is dropped, never copied.
  const trailing: Dataset = [];
  const tail = new SourceWindow(body);
  while (pos < body.size) {
    let th;
    try {
      th = await headerAt(tail, pos, enc);
    } catch (e) {
      if (e instanceof Malformed) break;
      throw e;
    }
    if (!th) break;
    // Items after encapsulated pixel data: its delimiter came too early, frames would be lost.
    if (groupOf(th.tag) === 0xfffe && pixel?.encapsulated)
      throw new Malformed("invalid encapsulated pixel data item");
    if (groupOf(th.tag) < 0x0008) break;
    const keep = th.tag !== TAG.DataSetTrailingPadding && keepTrailing(th.tag);
    if (!keep && th.length !== UNDEFINED_LENGTH) {
      pos += th.size + th.length;
      continue;
    }
    let read;
    try {
      read = await elementAt(tail, pos, enc, budget);
    } catch (e) {
      if (e instanceof Malformed) break;
      throw e;
    }
    if (keep) trailing.push(read.el);
    pos = read.next;
  }
  return {
    transferSyntax,
    declaredSyntax: declared,
    implicit: enc === "implicit",
    bigEndian: enc === "big-endian",
    inflated,
    sourceMeta,
    header,
    pixel,
    trailing,
  };
}

/**
 * The pixel data value as the output has it (little endian), a fresh copy: the one place pixel
 * bytes are loaded (for masking).
 */
export async function readPixelValue(src: ByteSource, layout: Layout): Promise<Buffer> {
  const px = layout.pixel;
  if (!px) throw new Error("no pixel data");
  const raw = layout.inflated
    ? layout.inflated.subarray(px.valueStart, px.end)
    : await readExactly(src, px.valueStart, px.end - px.valueStart);
  // A copy: a Buffer source hands out views of the caller's input, which must not change.
  return swapInPlace(Buffer.from(raw), px.swap);
}

/**
 * The output parts of the pixel data element: the element as it is in the input when it can be
 * copied (little endian, even length), else a new little endian header, then the value (the
 * source range, swapped for big endian; `value` when given, e.g. masked), then a pad byte for an
 * odd length (PS3.5 7.1.1: values have even lengths).
 */
export function pixelParts(layout: Layout, value?: Buffer): OutputPart[] {
  const px = layout.pixel;
  if (!px) return [];
  const length = value ? value.length : px.end - px.valueStart;
  const asIs = !value && px.swap === 0 && (px.encapsulated || length % 2 === 0);
  if (asIs && !layout.bigEndian) {
    return layout.inflated
      ? [{ bytes: layout.inflated.subarray(px.start, px.end) }]
      : [{ sourceOffset: px.start, length: px.end - px.start }];
  }
  const w = new Writer(16);
  writeElementHeader(w, px.tag, px.vr, length + (length % 2), layout.implicit);
  const parts: OutputPart[] = [{ bytes: w.result() }];
  if (value) parts.push({ bytes: value });
  else if (layout.inflated) parts.push({ bytes: layout.inflated.subarray(px.valueStart, px.end) });
  else if (px.swap) parts.push({ sourceOffset: px.valueStart, length, swap: px.swap });
  else parts.push({ sourceOffset: px.valueStart, length });
  if (length % 2) parts.push({ bytes: Buffer.alloc(1) });
  return parts;
}
