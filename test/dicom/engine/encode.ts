/**
 * A small independent DICOM writer for the transfer syntax tests: the same elements encoded as
 * explicit VR little endian, implicit VR little endian or explicit VR big endian, under a file
 * meta group naming any syntax (or none). Values are given little endian; big endian swaps them
 * by their VR (AT by 16-bit halves), except UN values (PS3.5 6.2.2: always little endian).
 */
import { ITEM, ITEM_END, LONG, SEQ_END, UNDEFINED, textValue } from "./bytes";

// Own copy of vr.ts's swap units on purpose: an independent oracle catches the reader's mistakes.
const SWAP: Record<string, number> = {
  AT: 2,
  OW: 2,
  SS: 2,
  US: 2,
  FL: 4,
  OF: 4,
  OL: 4,
  SL: 4,
  UL: 4,
  FD: 8,
  OD: 8,
  OV: 8,
  SV: 8,
  UV: 8,
};

export type Enc = "explicit" | "implicit" | "big-endian";

export interface El {
  tag: number;
  vr: string;
  value?: Buffer;
  /** Items of a sequence (vr SQ, or UN for a sequence written as UN: items implicit VR LE). */
  items?: El[][];
  /** Write a sequence or item with undefined length (default: defined). */
  undefinedLength?: boolean;
}

function u16(v: number, big: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (big) b.writeUInt16BE(v);
  else b.writeUInt16LE(v);
  return b;
}
function u32(v: number, big: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (big) b.writeUInt32BE(v >>> 0);
  else b.writeUInt32LE(v >>> 0);
  return b;
}
const tagBytes = (t: number, big: boolean) =>
  Buffer.concat([u16(Math.floor(t / 0x10000), big), u16(t % 0x10000, big)]);

function swapped(value: Buffer, vr: string): Buffer {
  const unit = SWAP[vr];
  if (!unit) return value;
  const b = Buffer.from(value);
  if (unit === 2) b.swap16();
  else if (unit === 4) b.swap32();
  else b.swap64();
  return b;
}

function header(tag: number, vr: string, length: number, enc: Enc): Buffer {
  const big = enc === "big-endian";
  if (enc === "implicit") return Buffer.concat([tagBytes(tag, false), u32(length, false)]);
  const v = Buffer.from(vr, "latin1");
  if (LONG.has(vr))
    return Buffer.concat([tagBytes(tag, big), v, Buffer.alloc(2), u32(length, big)]);
  return Buffer.concat([tagBytes(tag, big), v, u16(length, big)]);
}

function items(list: El[][], enc: Enc, undefinedLength: boolean): Buffer {
  const big = enc === "big-endian";
  const out: Buffer[] = [];
  for (const item of list) {
    const body = encode(item, enc);
    out.push(tagBytes(ITEM, big), u32(undefinedLength ? UNDEFINED : body.length, big), body);
    if (undefinedLength) out.push(tagBytes(ITEM_END, big), u32(0, big));
  }
  if (undefinedLength) out.push(tagBytes(SEQ_END, big), u32(0, big));
  return Buffer.concat(out);
}

export function encodeElement(e: El, enc: Enc): Buffer {
  const big = enc === "big-endian";
  if (e.items) {
    // A UN sequence: its items are implicit VR little endian whatever the syntax.
    const inner: Enc = e.vr === "UN" ? "implicit" : enc;
    const body = items(e.items, inner, !!e.undefinedLength);
    const h = header(e.tag, e.vr, e.undefinedLength ? UNDEFINED : body.length, enc);
    return Buffer.concat([h, body]);
  }
  const raw = e.value ?? Buffer.alloc(0);
  const value = big && e.vr !== "UN" ? swapped(raw, e.vr) : raw;
  return Buffer.concat([header(e.tag, e.vr, value.length, enc), value]);
}

export function encode(elements: El[], enc: Enc): Buffer {
  return Buffer.concat(elements.map((e) => encodeElement(e, enc)));
}

export const t = (tag: number, vr: string, s: string): El => ({ tag, vr, value: textValue(s, vr) });
export const raw = (tag: number, vr: string, value: Buffer): El => ({ tag, vr, value });
export const usv = (tag: number, ...v: number[]): El => {
  const b = Buffer.alloc(2 * v.length);
  v.forEach((x, i) => b.writeUInt16LE(x, 2 * i));
  return { tag, vr: "US", value: b };
};
export const seqOf = (tag: number, list: El[][], undefinedLength = false): El => ({
  tag,
  vr: "SQ",
  items: list,
  undefinedLength,
});

/** Preamble, "DICM" and an explicit VR little endian file meta group (no syntax: omitted). */
export function meta(
  syntax: string | null,
  sopClass = "1.2.840.10008.5.1.4.1.1.2",
  sopInstance = "1.2.826.0.1.3680043.10.999.1.1",
): Buffer {
  const elements: El[] = [
    raw(0x00020001, "OB", Buffer.from([0, 1])),
    t(0x00020002, "UI", sopClass),
    t(0x00020003, "UI", sopInstance),
    ...(syntax === null ? [] : [t(0x00020010, "UI", syntax)]),
    t(0x00020012, "UI", "1.2.826.0.1.3680043.10.999.0"),
  ];
  const body = encode(elements, "explicit");
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from("DICM"),
    encodeElement(raw(0x00020000, "UL", u32(body.length, false)), "explicit"),
    body,
  ]);
}

export const SYNTAX = {
  implicit: "1.2.840.10008.1.2",
  explicit: "1.2.840.10008.1.2.1",
  deflated: "1.2.840.10008.1.2.1.99",
  bigEndian: "1.2.840.10008.1.2.2",
  jpegBaseline: "1.2.840.10008.1.2.4.50",
} as const;

/** The syntax naming each encoding. */
export const SYNTAX_OF: Record<Enc, string> = {
  explicit: SYNTAX.explicit,
  implicit: SYNTAX.implicit,
  "big-endian": SYNTAX.bigEndian,
};

/** A whole file: meta naming `syntax` (default: the encoding's own), then the data set. */
export function file(elements: El[], enc: Enc, syntax: string | null = SYNTAX_OF[enc]): Buffer {
  return Buffer.concat([meta(syntax), encode(elements, enc)]);
}

/**
 * A fake CT in tag order: SOP, patient, study and series attributes and a 4 x 4, 12 bits stored
 * MONOCHROME2 Image Pixel module, plus `extra` and the `pixel` data element (when not null).
 */
export function ctElements(extra: El[], pixel: El | null): El[] {
  const list: El[] = [
    t(0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.2"),
    t(0x00080018, "UI", "1.2.826.0.1.3680043.10.999.1.1"),
    t(0x00080020, "DA", "19010101"),
    t(0x00080060, "CS", "CT"),
    t(0x00100010, "PN", "FAKE^PATIENT^ALPHA"),
    t(0x00100020, "LO", "FAKE-PID-0001"),
    t(0x0020000d, "UI", "1.2.826.0.1.3680043.10.999.1"),
    t(0x0020000e, "UI", "1.2.826.0.1.3680043.10.999.1.2"),
    usv(0x00280002, 1),
    t(0x00280004, "CS", "MONOCHROME2"),
    usv(0x00280010, 4),
    usv(0x00280011, 4),
    usv(0x00280100, 16),
    usv(0x00280101, 12),
    usv(0x00280102, 11),
    usv(0x00280103, 0),
    ...extra,
  ];
  if (pixel) list.push(pixel);
  return list.sort((a, b) => a.tag - b.tag);
}
