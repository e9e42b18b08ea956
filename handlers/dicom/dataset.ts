import { dictionaryVr } from "./dictionary";
import { TAG, elementOf, groupOf, isPrivate, isPrivateCreator } from "./tags";
import { swappedCopy } from "./byteswap";
import { SYNTAX_REASONS } from "./transfer-syntax";
import { fixedSize, hasLongLength, isCharacterVr, padByte, swapUnit, vrFromCode } from "./vr";

/**
 * A data element as read: the value stays the file's own bytes (a view, not a copy), so what is
 * kept is written back byte for byte whatever its character set.
 */
export interface Element {
  tag: number;
  vr: string;
  /** Value bytes; for an undefined-length non-sequence value, its items and delimiter. */
  value: Buffer;
  /** Items of a sequence, each a data set; null for any other VR. */
  items: Dataset[] | null;
  /** Undefined-length non-sequence value (encapsulated pixel data): copied as is. */
  encapsulated: boolean;
}
export type Dataset = Element[];

/** Bad input: the reason is fixed text, never a value from the file. */
export class Malformed extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Thrown while parsing a prefix of the input that ends too early: read more and parse again. */
export const NEED_MORE = new Error("more input needed");

export const UNDEFINED_LENGTH = 0xffffffff;
export const EMPTY = Buffer.alloc(0);
const MAX_DEPTH = 32;

export const readTag = (b: Buffer, p: number): number =>
  b.readUInt16LE(p) * 0x10000 + b.readUInt16LE(p + 2);
export const readTagBE = (b: Buffer, p: number): number =>
  b.readUInt16BE(p) * 0x10000 + b.readUInt16BE(p + 2);

/**
 * How a data set is encoded: explicit or implicit VR little endian, or explicit VR big endian
 * (PS3.5 7.1, 7.3; there is no implicit VR big endian transfer syntax).
 */
export type Encoding = "explicit" | "implicit" | "big-endian";

export const tagAt = (b: Buffer, p: number, enc: Encoding): number =>
  enc === "big-endian" ? readTagBE(b, p) : readTag(b, p);

/** Fixed reasons of the reader (besides those given inline). */
export const READ_REASONS = {
  notSequence: "a sequence attribute is not encoded as a sequence",
  tooManyElements: "too many data elements",
  truncated: "truncated data element",
} as const;

/**
 * At most this many elements and items per object: with the 256 MiB window (window.ts), what
 * bounds the memory of the parsed header, since each element costs more than its 8 header bytes.
 */
export const MAX_ELEMENTS = 2_000_000;

/** VR of an implicit VR element: private creators are LO, unknown tags UN (SQ when undefined). */
export function implicitVr(t: number, length: number): string {
  if (elementOf(t) === 0) return "UL";
  if (isPrivate(t)) {
    if (isPrivateCreator(t)) return "LO";
    return length === UNDEFINED_LENGTH ? "SQ" : "UN";
  }
  return dictionaryVr(t) ?? (length === UNDEFINED_LENGTH ? "SQ" : "UN");
}

/**
 * The VR an explicit VR element is read with. The file's own, except where the dictionary knows
 * the tag better: a standard attribute whose dictionary VR is a character VR (dates, UIDs, ages,
 * names, text) is read as such whatever VR the file wrote, so the rules for dates, UIDs, ages and
 * names always apply; a standard sequence written as anything but SQ (or UN) is refused (its
 * items could not be cleaned). Binary VRs that differ (US or SS, OB or OW: the dictionary holds
 * one of several allowed) are the file's.
 */
export function explicitVr(t: number, vr: string): string {
  if (isPrivate(t) || elementOf(t) === 0) return vr;
  const known = dictionaryVr(t);
  if (known === undefined || known === vr) return vr;
  if (known === "SQ") throw new Malformed(READ_REASONS.notSequence);
  if (vr === "SQ") return vr;
  return isCharacterVr(known) ? known : vr;
}

/**
 * Element parser over one buffer; `pos` is the cursor. Values are views of the file's bytes,
 * except those of big endian binary VRs: copies, swapped to little endian (the order written).
 */
export class Parser {
  pos = 0;
  /** Elements and items parsed so far (starting from those counted by earlier parsers). */
  count: number;
  constructor(
    readonly buf: Buffer,
    /**
     * Where the input ends, as an offset in `buf` (>= buf.length): a value running past it is
     * truncated at once, however large its length (nothing is read or allocated for it); one that
     * runs past `buf` only needs more bytes.
     */
    readonly limit: number = buf.length,
    counted = 0,
  ) {
    this.count = counted;
  }

  private need(p: number, n: number): void {
    if (p + n > this.limit) throw new Malformed(READ_REASONS.truncated);
    if (p + n > this.buf.length) throw NEED_MORE;
  }

  private u16(p: number, enc: Encoding): number {
    return enc === "big-endian" ? this.buf.readUInt16BE(p) : this.buf.readUInt16LE(p);
  }

  private u32(p: number, enc: Encoding): number {
    return enc === "big-endian" ? this.buf.readUInt32BE(p) : this.buf.readUInt32LE(p);
  }

  private counted(): void {
    if (++this.count > MAX_ELEMENTS) throw new Malformed(READ_REASONS.tooManyElements);
  }

  /** Header of the element at `pos` without consuming it: tag, VR, value length, header size. */
  header(enc: Encoding): {
    tag: number;
    vr: string;
    length: number;
    size: number;
    un: boolean;
  } {
    const b = this.buf;
    const p = this.pos;
    this.need(p, 8);
    const t = tagAt(b, p, enc);
    if (enc === "implicit" || groupOf(t) === 0xfffe) {
      const length = this.u32(p + 4, enc);
      return { tag: t, vr: implicitVr(t, length), length, size: 8, un: false };
    }
    const vr = vrFromCode(b[p + 4] * 256 + b[p + 5]);
    if (vr === undefined) throw new Malformed("invalid value representation");
    if (!hasLongLength(vr))
      return { tag: t, vr: explicitVr(t, vr), length: this.u16(p + 6, enc), size: 8, un: false };
    this.need(p, 12);
    const length = this.u32(p + 8, enc);
    if (vr !== "UN") return { tag: t, vr: explicitVr(t, vr), length, size: 12, un: false };
    // UN from a converter that did not know the tag: the dictionary knows better (PS3.5 6.2.2).
    const known = isPrivate(t) ? undefined : dictionaryVr(t);
    const real = known ?? (length === UNDEFINED_LENGTH ? "SQ" : "UN");
    return { tag: t, vr: real, length, size: 12, un: true };
  }

  element(enc: Encoding, depth: number): Element {
    const h = this.header(enc);
    if (groupOf(h.tag) === 0xfffe) throw new Malformed("unexpected item or delimiter");
    this.counted();
    const start = this.pos + h.size;
    if (h.vr === "SQ") {
      // The value of a UN element is implicit VR little endian whatever the transfer syntax, so
      // are the items of a sequence read as UN (PS3.5 6.2.2).
      this.pos = start;
      const end = h.length === UNDEFINED_LENGTH ? -1 : start + h.length;
      if (end > this.limit) throw new Malformed(READ_REASONS.truncated);
      const items = this.items(end, h.un ? "implicit" : enc, depth + 1);
      return { tag: h.tag, vr: "SQ", value: EMPTY, items, encapsulated: false };
    }
    if (h.length === UNDEFINED_LENGTH) {
      if (h.vr !== "OB" && h.vr !== "OW" && h.vr !== "UN") {
        throw new Malformed("undefined length on an element that cannot have one");
      }
      // Big endian is native only; its items would also be big endian, and this value is copied
      // as it is into a little endian output.
      if (enc === "big-endian" && !h.un) throw new Malformed(SYNTAX_REASONS.nativeEncapsulated);
      this.pos = start;
      this.skipFragments();
      const vr = h.vr === "UN" ? "OB" : h.vr;
      return {
        tag: h.tag,
        vr,
        value: this.buf.subarray(start, this.pos),
        items: null,
        encapsulated: true,
      };
    }
    this.need(start, h.length);
    const size = fixedSize(h.vr);
    if (size > 0 && h.length % size !== 0) {
      throw new Malformed("element length does not fit its value representation");
    }
    this.pos = start + h.length;
    const raw = this.buf.subarray(start, start + h.length);
    return {
      tag: h.tag,
      vr: h.vr,
      // A UN value stays little endian in a big endian file (PS3.5 6.2.2): it is not swapped.
      value: enc === "big-endian" && !h.un ? swappedCopy(raw, swapUnit(h.vr)) : raw,
      items: null,
      encapsulated: false,
    };
  }

  /** Sequence items up to `end` (-1: up to the sequence delimiter). */
  private items(end: number, enc: Encoding, depth: number): Dataset[] {
    if (depth > MAX_DEPTH) throw new Malformed("sequences nested too deeply");
    const out: Dataset[] = [];
    for (;;) {
      if (end >= 0 && this.pos >= end) {
        if (this.pos > end) throw new Malformed("sequence item overruns its sequence");
        return out;
      }
      this.need(this.pos, 8);
      const t = tagAt(this.buf, this.pos, enc);
      const length = this.u32(this.pos + 4, enc);
      this.pos += 8;
      if (t === TAG.SequenceDelimitationItem) {
        if (end >= 0) throw new Malformed("sequence delimiter in a sequence of defined length");
        return out;
      }
      if (t !== TAG.Item) throw new Malformed("sequence item expected");
      this.counted();
      if (length === UNDEFINED_LENGTH) {
        out.push(this.dataset(-1, enc, depth));
      } else {
        if (end >= 0 && this.pos + length > end) {
          throw new Malformed("sequence item overruns its sequence");
        }
        if (this.pos + length > this.limit) throw new Malformed(READ_REASONS.truncated);
        out.push(this.dataset(this.pos + length, enc, depth));
      }
    }
  }

  /** Elements up to `end` (-1: up to the item delimiter). */
  dataset(end: number, enc: Encoding, depth: number): Dataset {
    const out: Dataset = [];
    for (;;) {
      if (end >= 0 && this.pos >= end) {
        if (this.pos > end) throw new Malformed("data element overruns its item");
        return out;
      }
      this.need(this.pos, 8);
      if (tagAt(this.buf, this.pos, enc) === TAG.ItemDelimitationItem) {
        if (end >= 0) throw new Malformed("item delimiter in an item of defined length");
        this.pos += 8;
        return out;
      }
      out.push(this.element(enc, depth));
    }
  }

  /**
   * Past the items of an encapsulated value (little endian: see element) and its sequence
   * delimiter. Fragments are skipped by their lengths, so bytes inside a fragment that look like a
   * delimiter are data, as they must be.
   */
  skipFragments(): void {
    for (;;) {
      this.need(this.pos, 8);
      const t = readTag(this.buf, this.pos);
      const length = this.buf.readUInt32LE(this.pos + 4);
      this.pos += 8;
      if (t === TAG.SequenceDelimitationItem) return;
      if (t !== TAG.Item || length === UNDEFINED_LENGTH) {
        throw new Malformed("invalid encapsulated pixel data item");
      }
      this.need(this.pos, length);
      this.pos += length;
    }
  }
}

/** Growable output buffer. */
export class Writer {
  private buf: Buffer;
  private pos = 0;
  constructor(size = 16384) {
    this.buf = Buffer.allocUnsafe(size);
  }
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u16(v: number): void {
    this.room(2);
    this.pos = this.buf.writeUInt16LE(v, this.pos);
  }
  u32(v: number): void {
    this.room(4);
    this.pos = this.buf.writeUInt32LE(v, this.pos);
  }
  tag(t: number): void {
    this.u16(groupOf(t));
    this.u16(elementOf(t));
  }
  byte(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }
  bytes(b: Buffer): void {
    this.room(b.length);
    this.pos += b.copy(this.buf, this.pos);
  }
  ascii(s: string): void {
    this.room(s.length);
    this.pos += this.buf.write(s, this.pos, "latin1");
  }
  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** An element header as written (always little endian). */
export function writeElementHeader(
  w: Writer,
  t: number,
  vr: string,
  length: number,
  implicit: boolean,
): void {
  w.tag(t);
  if (implicit) {
    w.u32(length);
  } else if (hasLongLength(vr)) {
    w.ascii(vr);
    w.u16(0);
    w.u32(length);
  } else {
    w.ascii(vr);
    w.u16(length);
  }
}

/**
 * Sequences and items are written with undefined length: no length to compute ahead, valid in
 * every little endian transfer syntax.
 */
export function writeElement(w: Writer, el: Element, implicit: boolean): void {
  if (el.items) {
    writeElementHeader(w, el.tag, "SQ", UNDEFINED_LENGTH, implicit);
    for (const item of el.items) {
      w.tag(TAG.Item);
      w.u32(UNDEFINED_LENGTH);
      writeDataset(w, item, implicit);
      w.tag(TAG.ItemDelimitationItem);
      w.u32(0);
    }
    w.tag(TAG.SequenceDelimitationItem);
    w.u32(0);
    return;
  }
  if (el.encapsulated) {
    writeElementHeader(w, el.tag, el.vr, UNDEFINED_LENGTH, implicit);
    w.bytes(el.value);
    return;
  }
  const odd = el.value.length % 2;
  const length = el.value.length + odd;
  // A value too long for a 16-bit length (possible only from a file that was wrong) goes as UN.
  const vr = !implicit && !hasLongLength(el.vr) && length > 0xffff ? "UN" : el.vr;
  writeElementHeader(w, el.tag, vr, length, implicit);
  w.bytes(el.value);
  if (odd) w.byte(padByte(el.vr));
}

export function writeDataset(w: Writer, ds: Dataset, implicit: boolean): void {
  for (const el of ds) writeElement(w, el, implicit);
}

/** The element with tag `t` in a data set (elements are few; a scan beats building a Map). */
export function find(ds: Dataset, t: number): Element | undefined {
  for (const el of ds) if (el.tag === t) return el;
  return undefined;
}

/** A text value without its padding (spaces, NULs) at either end, as latin1 (ASCII for these VRs). */
export function text(el: Element | undefined): string {
  if (!el || el.items) return "";
  return trimBytes(el.value).toString("latin1");
}

/** Bytes without leading and trailing spaces and NULs. */
export function trimBytes(b: Buffer): Buffer {
  let s = 0;
  let e = b.length;
  while (s < e && (b[s] === 0x20 || b[s] === 0x00)) s++;
  while (e > s && (b[e - 1] === 0x20 || b[e - 1] === 0x00)) e--;
  return b.subarray(s, e);
}

/** First value of a US element (Rows, Columns, Bits Allocated), or 0. */
export function us(el: Element | undefined): number {
  return el && !el.items && el.value.length >= 2 ? el.value.readUInt16LE(0) : 0;
}

export const element = (t: number, vr: string, value: Buffer | string): Element => ({
  tag: t,
  vr,
  value: typeof value === "string" ? Buffer.from(value, "latin1") : value,
  items: null,
  encapsulated: false,
});

export const sequence = (t: number, items: Dataset[]): Element => ({
  tag: t,
  vr: "SQ",
  value: EMPTY,
  items,
  encapsulated: false,
});
