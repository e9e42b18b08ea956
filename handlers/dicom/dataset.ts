import { dictionaryVr } from "./dictionary";
import { TAG, elementOf, groupOf, isPrivate, isPrivateCreator } from "./tags";
import { fixedSize, hasLongLength, padByte, vrFromCode } from "./vr";

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

/** VR of an implicit VR element: private creators are LO, unknown tags UN (SQ when undefined). */
export function implicitVr(t: number, length: number): string {
  if (elementOf(t) === 0) return "UL";
  if (isPrivate(t)) {
    if (isPrivateCreator(t)) return "LO";
    return length === UNDEFINED_LENGTH ? "SQ" : "UN";
  }
  return dictionaryVr(t) ?? (length === UNDEFINED_LENGTH ? "SQ" : "UN");
}

/** Little endian element parser over one buffer; `pos` is the cursor. */
export class Parser {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    /** The buffer reaches the end of the input: running out is truncation, not "read more". */
    readonly complete: boolean,
  ) {}

  private need(p: number, n: number): void {
    if (p + n > this.buf.length) {
      throw this.complete ? new Malformed("truncated data element") : NEED_MORE;
    }
  }

  /** Header of the element at `pos` without consuming it: tag, VR, value length, header size. */
  header(implicit: boolean): {
    tag: number;
    vr: string;
    length: number;
    size: number;
    un: boolean;
  } {
    const b = this.buf;
    const p = this.pos;
    this.need(p, 8);
    const t = readTag(b, p);
    if (implicit || groupOf(t) === 0xfffe) {
      const length = b.readUInt32LE(p + 4);
      return { tag: t, vr: implicitVr(t, length), length, size: 8, un: false };
    }
    const vr = vrFromCode(b[p + 4] * 256 + b[p + 5]);
    if (vr === undefined) throw new Malformed("invalid value representation");
    if (!hasLongLength(vr))
      return { tag: t, vr, length: b.readUInt16LE(p + 6), size: 8, un: false };
    this.need(p, 12);
    const length = b.readUInt32LE(p + 8);
    if (vr !== "UN") return { tag: t, vr, length, size: 12, un: false };
    // UN from a converter that did not know the tag: the dictionary knows better (PS3.5 6.2.2).
    const known = isPrivate(t) ? undefined : dictionaryVr(t);
    const real = known ?? (length === UNDEFINED_LENGTH ? "SQ" : "UN");
    return { tag: t, vr: real, length, size: 12, un: true };
  }

  element(implicit: boolean, depth: number): Element {
    const h = this.header(implicit);
    if (groupOf(h.tag) === 0xfffe) throw new Malformed("unexpected item or delimiter");
    const start = this.pos + h.size;
    if (h.vr === "SQ") {
      // The items of a sequence read as UN are implicit VR little endian (PS3.5 6.2.2).
      this.pos = start;
      const end = h.length === UNDEFINED_LENGTH ? -1 : start + h.length;
      const items = this.items(end, implicit || h.un, depth + 1);
      return { tag: h.tag, vr: "SQ", value: EMPTY, items, encapsulated: false };
    }
    if (h.length === UNDEFINED_LENGTH) {
      if (h.vr !== "OB" && h.vr !== "OW" && h.vr !== "UN") {
        throw new Malformed("undefined length on an element that cannot have one");
      }
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
    return {
      tag: h.tag,
      vr: h.vr,
      value: this.buf.subarray(start, start + h.length),
      items: null,
      encapsulated: false,
    };
  }

  /** Sequence items up to `end` (-1: up to the sequence delimiter). */
  private items(end: number, implicit: boolean, depth: number): Dataset[] {
    if (depth > MAX_DEPTH) throw new Malformed("sequences nested too deeply");
    const out: Dataset[] = [];
    for (;;) {
      if (end >= 0 && this.pos >= end) {
        if (this.pos > end) throw new Malformed("sequence item overruns its sequence");
        return out;
      }
      this.need(this.pos, 8);
      const t = readTag(this.buf, this.pos);
      const length = this.buf.readUInt32LE(this.pos + 4);
      this.pos += 8;
      if (t === TAG.SequenceDelimitationItem) {
        if (end >= 0) throw new Malformed("sequence delimiter in a sequence of defined length");
        return out;
      }
      if (t !== TAG.Item) throw new Malformed("sequence item expected");
      if (length === UNDEFINED_LENGTH) {
        out.push(this.dataset(-1, implicit, depth));
      } else {
        if (end >= 0 && this.pos + length > end) {
          throw new Malformed("sequence item overruns its sequence");
        }
        out.push(this.dataset(this.pos + length, implicit, depth));
      }
    }
  }

  /** Elements up to `end` (-1: up to the item delimiter). */
  dataset(end: number, implicit: boolean, depth: number): Dataset {
    const out: Dataset = [];
    for (;;) {
      if (end >= 0 && this.pos >= end) {
        if (this.pos > end) throw new Malformed("data element overruns its item");
        return out;
      }
      this.need(this.pos, 8);
      if (readTag(this.buf, this.pos) === TAG.ItemDelimitationItem) {
        if (end >= 0) throw new Malformed("item delimiter in an item of defined length");
        this.pos += 8;
        return out;
      }
      out.push(this.element(implicit, depth));
    }
  }

  /** Past the items of an encapsulated value and its sequence delimiter. */
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

function writeHeader(w: Writer, t: number, vr: string, length: number, implicit: boolean): void {
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
    writeHeader(w, el.tag, "SQ", UNDEFINED_LENGTH, implicit);
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
    writeHeader(w, el.tag, el.vr, UNDEFINED_LENGTH, implicit);
    w.bytes(el.value);
    return;
  }
  const odd = el.value.length % 2;
  const length = el.value.length + odd;
  // A value too long for a 16-bit length (possible only from a file that was wrong) goes as UN.
  const vr = !implicit && !hasLongLength(el.vr) && length > 0xffff ? "UN" : el.vr;
  writeHeader(w, el.tag, vr, length, implicit);
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
