/** Builds small, obviously fake DICOM objects with dcmjs and runs the engine on them. */
import { dcmjs } from "../corpus/dcmjs";
import type { DcmjsDataset, DcmjsElement } from "../corpus/dcmjs";
import {
  ByteSource,
  DeidConfig,
  DeidResult,
  bufferSource,
  deidentify,
} from "../../../handlers/dicom";
import { swapInPlace } from "../../../handlers/dicom/byteswap";

export const KEY = Buffer.alloc(32, 0x42);
export const OTHER_KEY = Buffer.alloc(32, 0x17);
export const CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2";
export const ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1";
export const COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33";
export const US_IMAGE = "1.2.840.10008.5.1.4.1.1.6.1";
export const SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7";
export const EXPLICIT = "1.2.840.10008.1.2.1";
export const IMPLICIT = "1.2.840.10008.1.2";
export const JPEG_BASELINE = "1.2.840.10008.1.2.4.50";
export const DEFLATED = "1.2.840.10008.1.2.1.99";
export const BIG_ENDIAN = "1.2.840.10008.1.2.2";

/** Element constructors for dcmjs's dict form. */
export const str = (vr: string, ...values: string[]): DcmjsElement => ({ vr, Value: values });
export const pn = (name: string): DcmjsElement => ({ vr: "PN", Value: [{ Alphabetic: name }] });
export const num = (vr: string, ...values: number[]): DcmjsElement => ({ vr, Value: values });
export const bytes = (vr: string, b: Uint8Array): DcmjsElement => ({
  vr,
  Value: [b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)],
});
export const seq = (...items: DcmjsDataset[]): DcmjsElement => ({ vr: "SQ", Value: items });

/** A fake 4x4 16-bit CT slice: every identifying attribute has an obviously fake value. */
export function fakeCt(
  extra: DcmjsDataset = {},
  pixels = new Uint8Array(32).fill(7),
): DcmjsDataset {
  return {
    "00080016": str("UI", CT_IMAGE),
    "00080018": str("UI", "1.2.826.0.1.3680043.10.999.1.1"),
    "00080020": str("DA", "19010101"),
    "00080030": str("TM", "120000"),
    "00080050": str("SH", "FAKEACC001"),
    "00080060": str("CS", "CT"),
    "00080070": str("LO", "FAKE VENDOR"),
    "00080080": str("LO", "FAKE HOSPITAL"),
    "00080090": pn("FAKE^REFERRER"),
    "00100010": pn("FAKE^PATIENT^ALPHA"),
    "00100020": str("LO", "FAKE-PID-0001"),
    "00100030": str("DA", "19010101"),
    "00100040": str("CS", "O"),
    "0020000D": str("UI", "1.2.826.0.1.3680043.10.999.1"),
    "0020000E": str("UI", "1.2.826.0.1.3680043.10.999.1.2"),
    "00200013": str("IS", "1"),
    "00200052": str("UI", "1.2.826.0.1.3680043.10.999.1.3"),
    "00280002": num("US", 1),
    "00280004": str("CS", "MONOCHROME2"),
    "00280010": num("US", 4),
    "00280011": num("US", 4),
    "00280100": num("US", 16),
    "00280101": num("US", 12),
    "00280102": num("US", 11),
    "00280103": num("US", 0),
    "7FE00010": bytes("OW", pixels),
    ...extra,
  };
}

/** Part 10 bytes (preamble, "DICM", file meta) written by dcmjs in the given transfer syntax. */
export function part10(ds: DcmjsDataset, syntax = EXPLICIT): Buffer {
  const sopClass = (ds["00080016"]?.Value?.[0] as string) ?? CT_IMAGE;
  const sopInstance = (ds["00080018"]?.Value?.[0] as string) ?? "1.2.826.0.1.3680043.10.999.9";
  const dict = new dcmjs.data.DicomDict({
    "00020001": bytes("OB", new Uint8Array([0, 1])),
    "00020002": str("UI", sopClass),
    "00020003": str("UI", sopInstance),
    "00020010": str("UI", syntax),
    "00020012": str("UI", "1.2.826.0.1.3680043.10.999.0"),
    "00020016": str("AE", "FAKEAE"),
  });
  dict.dict = ds;
  return Buffer.from(dict.write());
}

/** Offset of the first data set element after preamble and file meta. */
export function datasetOffset(file: Buffer): number {
  return 132 + 12 + file.readUInt32LE(140);
}

export type Done = Extract<DeidResult, { status: "deidentified" }>;

/** The output file: parts concatenated, source ranges copied from `input` (swapped if asked). */
export function assemble(input: Buffer, result: Done): Buffer {
  return Buffer.concat(
    result.parts.map((p) => {
      if ("bytes" in p) return p.bytes;
      const range = input.subarray(p.sourceOffset, p.sourceOffset + p.length);
      return "swap" in p ? swapInPlace(Buffer.from(range), p.swap) : range;
    }),
  );
}

export function config(extra: Partial<DeidConfig> = {}): DeidConfig {
  return { options: [], pseudonymizationKey: KEY, ...extra };
}

export async function run(
  input: Buffer,
  extra: Partial<DeidConfig> = {},
  source: ByteSource = bufferSource(input),
): Promise<DeidResult> {
  return deidentify(source, config(extra));
}

/** De-identifies and returns the output as a naturalized dcmjs data set plus its bytes. */
export async function deid(
  input: Buffer,
  extra: Partial<DeidConfig> = {},
): Promise<{
  result: Done;
  out: Buffer;
  ds: Record<string, unknown>;
  meta: Record<string, unknown>;
}> {
  const result = await run(input, extra);
  if (result.status !== "deidentified") {
    throw new Error(`expected deidentified, got ${result.status}: ${result.reason}`);
  }
  const out = assemble(input, result);
  const read = readPart10(out);
  return { result, out, ...read };
}

export function readPart10(out: Buffer): {
  ds: Record<string, unknown>;
  meta: Record<string, unknown>;
} {
  const dict = dcmjs.data.DicomMessage.readFile(
    out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer,
  );
  return {
    ds: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict),
    meta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.meta),
  };
}

/** dcmjs's raw dict form of an output file: keys are tags, values keep VR and Value arrays. */
export function rawDict(out: Buffer): DcmjsDataset {
  return dcmjs.data.DicomMessage.readFile(
    out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer,
  ).dict;
}

/** Replaces `placeholder` bytes with `replacement` (same length) once: exotic encodings. */
export function patchBytes(file: Buffer, placeholder: Buffer, replacement: Buffer): Buffer {
  if (placeholder.length !== replacement.length) throw new Error("lengths differ");
  const at = file.indexOf(placeholder);
  if (at < 0) throw new Error("placeholder not found");
  const out = Buffer.from(file);
  replacement.copy(out, at);
  return out;
}

/** First value of an element of a dcmjs raw dict as text (PN: the alphabetic group). */
export function first(ds: DcmjsDataset, tag: string): string | undefined {
  const v = ds[tag]?.Value?.[0];
  if (v === undefined) return undefined;
  if (typeof v === "object" && v !== null && "Alphabetic" in v) {
    return String((v as { Alphabetic: string }).Alphabetic);
  }
  return String(v);
}

/** Items of a sequence in a dcmjs raw dict. */
export function items(ds: DcmjsDataset, tag: string): DcmjsDataset[] {
  return (ds[tag]?.Value ?? []) as DcmjsDataset[];
}

/**
 * De-identifies `fakeCt(extra)`, of SOP Class `sopClass` where given, with `options`: the output
 * as a dcmjs data set, and the result.
 */
export async function deidCt(extra: DcmjsDataset, options: string[] = [], sopClass?: string) {
  const ds = fakeCt(extra);
  if (sopClass) ds["00080016"] = str("UI", sopClass);
  const { out: file, result } = await deid(part10(ds), { options: options as never });
  return { ds: rawDict(file), result };
}
