/** Hand-made element bytes for inputs dcmjs cannot write (encapsulated frames, broken lengths). */

/**
 * VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 7.1.2), here and in
 * encode.ts. Typed out rather than taken from handlers/dicom/vr.ts on purpose: the tests' writers
 * are independent of the reader they check, so they do not share its mistakes.
 */
export const LONG = new Set([
  "OB",
  "OD",
  "OF",
  "OL",
  "OV",
  "OW",
  "SQ",
  "SV",
  "UC",
  "UN",
  "UR",
  "UT",
  "UV",
]);

export function tagBytes(tag: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(Math.floor(tag / 0x10000), 0);
  b.writeUInt16LE(tag % 0x10000, 2);
  return b;
}

/** An explicit VR little endian element; `length` overrides the value's own (for broken input). */
export function explicit(tag: number, vr: string, value: Buffer, length = value.length): Buffer {
  const head = tagBytes(tag);
  if (LONG.has(vr)) {
    const h = Buffer.alloc(8);
    h.write(vr, 0, "latin1");
    h.writeUInt32LE(length >>> 0, 4);
    return Buffer.concat([head, h, value]);
  }
  const h = Buffer.alloc(4);
  h.write(vr, 0, "latin1");
  h.writeUInt16LE(length, 2);
  return Buffer.concat([head, h, value]);
}

export function implicit(tag: number, value: Buffer, length = value.length): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32LE(length >>> 0, 0);
  return Buffer.concat([tagBytes(tag), h, value]);
}

export const ITEM = 0xfffee000;
export const ITEM_END = 0xfffee00d;
export const SEQ_END = 0xfffee0dd;
export const UNDEFINED = 0xffffffff;

export const item = (value: Buffer) => implicit(ITEM, value);
export const delimiter = (tag: number) => implicit(tag, Buffer.alloc(0));

/** Encapsulated pixel data: empty basic offset table, one item per frame, sequence delimiter. */
export function encapsulatedPixelData(frames: Buffer[]): Buffer {
  return Buffer.concat([
    explicit(0x7fe00010, "OB", Buffer.alloc(0), UNDEFINED),
    item(Buffer.alloc(0)),
    ...frames.map(item),
    delimiter(SEQ_END),
  ]);
}

/** An even-length text value, space padded (UI: NUL padded). */
export function textValue(s: string, vr = "LO"): Buffer {
  const pad = s.length % 2 ? (vr === "UI" ? "\0" : " ") : "";
  return Buffer.from(s + pad, "latin1");
}
