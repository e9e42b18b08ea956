import cid7050 from "./data/cid-7050.json";
import { deidDataset, DeidContext } from "./actions";
import { QUARANTINE, burnedInRisk } from "./burned-in";
import {
  Dataset,
  Element,
  Malformed,
  Writer,
  element,
  find,
  sequence,
  text,
  us,
  writeDataset,
} from "./dataset";
import { dateOffsetDays } from "./dates";
import { Hasher, hasherFor } from "./hasher";
import {
  DEFAULT_PIXEL_MASKS,
  NativeLayout,
  PixelMaskRule,
  findMaskRule,
  frameBytes,
  maskPixels,
  maskRulesProblem,
} from "./mask";
import { OPTION_CODES, OptionName, PROFILES, isOptionName } from "./options";
import { PseudonymMapping, hmacPseudonym, mappingKey, patientIdentity } from "./patient";
import { resolverFor } from "./profile";
import { Layout, OutputPart, pixelParts, readPixelValue, scan } from "./scan";
import type { ByteSource } from "./source";
import { TAG, isPrivate } from "./tags";
import { ReadFailed } from "./window";

export type { OutputPart };

export interface DeidConfig {
  /** Empty = Basic Profile only (the strict default). */
  options: OptionName[];
  /** 32 bytes, purpose-bound (never logged). */
  pseudonymizationKey: Buffer;
  /** Default hmac. */
  patientIdentity?: { mode: "hmac" } | { mode: "mapping"; mapping: PseudonymMapping };
  /** Default: the shipped rules (data/pixel-masks.json). */
  pixelMasks?: PixelMaskRule[];
  /** Bound on a deflated input's data set once inflated; default 1 GiB (inflate.ts). */
  maxInflatedBytes?: number;
}

export type DeidResult =
  | {
      status: "deidentified";
      sopInstanceUid: string;
      patientPseudonym: string;
      /**
       * Output, in order: header bytes, then source byte ranges copied unchanged (or, for big
       * endian input, with each `swap`-byte word reversed: byteswap.ts swapChunks), then more
       * bytes.
       */
      parts: OutputPart[];
      /** CID 7050 codes applied, e.g. ["113100", "113107"]. */
      methodCodes: string[];
      pixelsMasked: boolean;
      /** retain-uids: sopInstanceUid is the input's own UID (it may identify: never log it). */
      uidsRetained: boolean;
    }
  | { status: "quarantined"; reason: string }
  | { status: "rejected"; reason: string };

/** A configuration the caller got wrong (not bad input): thrown, never returned as a result. */
export class DeidConfigError extends Error {}

interface Settings {
  options: Set<OptionName>;
  hasher: Hasher;
  mapping?: PseudonymMapping;
  masks: readonly PixelMaskRule[];
  maxInflatedBytes?: number;
}

function settingsOf(config: DeidConfig): Settings {
  if (!config || !Array.isArray(config.options)) {
    throw new DeidConfigError("options must be an array of option names");
  }
  const options = new Set<OptionName>();
  for (const o of config.options) {
    if (typeof o !== "string" || !isOptionName(o)) {
      throw new DeidConfigError(`unknown de-identification option: ${String(o)}`);
    }
    options.add(o);
  }
  if (
    options.has("retain-longitudinal-full-dates") &&
    options.has("retain-longitudinal-modified-dates")
  ) {
    throw new DeidConfigError(
      "retain-longitudinal-full-dates and retain-longitudinal-modified-dates exclude each other",
    );
  }
  const key = config.pseudonymizationKey;
  if (!Buffer.isBuffer(key) || key.length !== 32) {
    throw new DeidConfigError("pseudonymizationKey must be a 32-byte Buffer");
  }
  // A zeroed (wiped) key would still "work" and give every patient a guessable pseudonym.
  if (key.every((b) => b === 0)) {
    throw new DeidConfigError("pseudonymizationKey is all zeros (a wiped key)");
  }
  const identity = config.patientIdentity ?? { mode: "hmac" };
  let mapping: PseudonymMapping | undefined;
  if (identity.mode === "mapping") {
    if (!(identity.mapping instanceof PseudonymMapping)) {
      throw new DeidConfigError("patientIdentity mapping must be a PseudonymMapping");
    }
    mapping = identity.mapping;
  } else if (identity.mode !== "hmac") {
    throw new DeidConfigError('patientIdentity mode must be "hmac" or "mapping"');
  }
  let masks = DEFAULT_PIXEL_MASKS;
  if (config.pixelMasks !== undefined) {
    const problem = maskRulesProblem(config.pixelMasks);
    if (problem) throw new DeidConfigError(problem);
    masks = config.pixelMasks;
  }
  const maxInflatedBytes = config.maxInflatedBytes;
  if (
    maxInflatedBytes !== undefined &&
    !(Number.isSafeInteger(maxInflatedBytes) && maxInflatedBytes > 0)
  ) {
    throw new DeidConfigError("maxInflatedBytes must be a positive whole number of bytes");
  }
  return { options, hasher: hasherFor(key), mapping, masks, maxInflatedBytes };
}

/** PS3.5 9.1, leniently: leading zeros in a component are common in the wild. */
const UID_RE = /^(?=.{1,64}$)[0-9]+(\.[0-9]+)*$/;

const CODE_MEANINGS = cid7050.codes as Record<string, string>;
const BASIC_PROFILE = "113100";
const CLEAN_PIXEL_DATA = "113101";
const IMPLEMENTATION_CLASS_UID = "2.25.175309924938391786470305166318327052741";
const IMPLEMENTATION_VERSION = "IMGSEC_0_1";

export function outputName(sopInstanceUid: string): string {
  return `${sopInstanceUid}.dcm`;
}

/** De-identification Method (0012,0063): one LO value (at most 64 characters) per line. */
function methodText(options: Set<OptionName>): string[] {
  const lines = ["imgsec: DICOM PS3.15 Basic Application Confidentiality Profile"];
  const sorted = [...options].sort();
  for (const [name, opts] of Object.entries(PROFILES)) {
    if (opts.length > 0 && [...opts].sort().join() === sorted.join())
      lines.push(`profile: ${name}`);
  }
  for (const o of sorted) lines.push(`option: ${o}`);
  return lines;
}

function methodCodeItem(code: string): Dataset {
  return [
    element(TAG.CodeValue, "SH", code),
    element(TAG.CodingSchemeDesignator, "SH", "DCM"),
    element(TAG.CodeMeaning, "LO", CODE_MEANINGS[code] ?? ""),
  ];
}

function upsert(ds: Dataset, el: Element): void {
  const i = ds.findIndex((e) => e.tag === el.tag);
  if (i >= 0) ds[i] = el;
  else ds.push(el);
}

/** Preamble, "DICM" and a new file meta group naming this application (PS3.15 E.1.1 item 7). */
function fileMeta(w: Writer, sopClass: string, sopInstance: string, syntax: string): void {
  w.bytes(Buffer.alloc(128));
  w.ascii("DICM");
  const meta = new Writer(256);
  writeDataset(
    meta,
    [
      element(TAG.FileMetaInformationVersion, "OB", Buffer.from([0, 1])),
      element(TAG.MediaStorageSOPClassUID, "UI", sopClass),
      element(TAG.MediaStorageSOPInstanceUID, "UI", sopInstance),
      element(TAG.TransferSyntaxUID, "UI", syntax),
      element(TAG.ImplementationClassUID, "UI", IMPLEMENTATION_CLASS_UID),
      element(TAG.ImplementationVersionName, "SH", IMPLEMENTATION_VERSION),
    ],
    false,
  );
  const bytes = meta.result();
  writeDataset(w, [element(TAG.MetaGroupLength, "UL", uint32(bytes.length))], false);
  w.bytes(bytes);
}

function uint32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

const MASKABLE_PHOTOMETRIC = new Set([
  "MONOCHROME1",
  "MONOCHROME2",
  "RGB",
  "PALETTE COLOR",
  "YBR_FULL",
]);

/**
 * The pixel data value (little endian) with the rule's rectangles zeroed, or a quarantine reason.
 * The only place pixel bytes are read: native (uncompressed) layouts with whole-byte samples only.
 */
async function maskedPixelData(
  src: ByteSource,
  layout: Layout,
  ds: Dataset,
  rule: PixelMaskRule,
): Promise<Buffer | string> {
  const px = layout.pixel;
  if (!px || px.tag !== TAG.PixelData) return QUARANTINE.layout;
  if (px.encapsulated) return QUARANTINE.compressed;
  const bits = us(find(ds, TAG.BitsAllocated));
  const native: NativeLayout = {
    rows: us(find(ds, TAG.Rows)),
    columns: us(find(ds, TAG.Columns)),
    samplesPerPixel: us(find(ds, TAG.SamplesPerPixel)) || 1,
    bytesPerSample: bits / 8,
    planar: us(find(ds, TAG.PlanarConfiguration)),
    frames: Number.parseInt(text(find(ds, TAG.NumberOfFrames)), 10) || 1,
  };
  const photometric = text(find(ds, TAG.PhotometricInterpretation)).toUpperCase();
  if (
    ![8, 16, 32].includes(bits) ||
    !MASKABLE_PHOTOMETRIC.has(photometric) ||
    native.samplesPerPixel > 4 ||
    native.planar > 1 ||
    native.frames < 1 ||
    px.end - px.valueStart < frameBytes(native) * native.frames
  ) {
    return QUARANTINE.layout;
  }
  // The value only, a little endian copy (pixelParts writes its header).
  const bytes = await readPixelValue(src, layout);
  maskPixels(bytes, native, rule.rectangles);
  return bytes;
}

async function run(src: ByteSource, s: Settings): Promise<DeidResult> {
  const retainSafePrivate = s.options.has("retain-safe-private");
  const topResolver = resolverFor(s.options, "");
  const layout = await scan(
    src,
    (t) => (isPrivate(t) ? retainSafePrivate : topResolver.action(t) !== "X"),
    { maxInflatedBytes: s.maxInflatedBytes },
  );
  const top = layout.header;
  const sopInstance = text(find(top, TAG.SOPInstanceUID));
  if (!sopInstance) return { status: "rejected", reason: "no SOP Instance UID in the data set" };
  // SOP Instance UID is VM 1: several values would each be mapped, and the output would not be
  // the one object its name and its file meta claim.
  if (sopInstance.includes("\\"))
    return { status: "rejected", reason: "SOP Instance UID has more than one value" };
  // A kept UID names the output file: anything but digits and dots could reach outside the folder.
  if (s.options.has("retain-uids") && !UID_RE.test(sopInstance))
    return { status: "rejected", reason: "SOP Instance UID is not a valid UID" };
  const sopClass =
    text(find(top, TAG.SOPClassUID)) || text(find(layout.sourceMeta, TAG.MediaStorageSOPClassUID));
  if (!sopClass) return { status: "rejected", reason: "no SOP Class UID" };

  // Burned-in text: quarantine unless a mask rule for this make, model and size applies.
  const risk = burnedInRisk(top, sopClass);
  const rule = findMaskRule(
    s.masks,
    text(find(top, TAG.Manufacturer)),
    text(find(top, TAG.ManufacturerModelName)),
    us(find(top, TAG.Rows)),
    us(find(top, TAG.Columns)),
  );
  if (risk && !rule) return { status: "quarantined", reason: risk };
  let masked: Buffer | undefined;
  if (rule) {
    const m = await maskedPixelData(src, layout, top, rule);
    if (typeof m === "string") return { status: "quarantined", reason: m };
    masked = m;
  }

  const h = s.hasher;
  const identity = patientIdentity(top);
  const pseudonym = s.mapping
    ? s.mapping.getOrCreate(mappingKey(h, identity))
    : hmacPseudonym(h, identity);
  const fullDates = s.options.has("retain-longitudinal-full-dates");
  const shiftDates = s.options.has("retain-longitudinal-modified-dates");
  const ctx: DeidContext = {
    resolver: resolverFor(s.options, sopClass),
    hasher: h,
    retainUids: s.options.has("retain-uids"),
    retainSafePrivate,
    dates: fullDates ? "keep" : shiftDates ? "shift" : "remove",
    offsetDays: shiftDates ? dateOffsetDays(h, identity) : 0,
  };
  const out = deidDataset(top, ctx, false);

  const codes = [BASIC_PROFILE, ...[...s.options].map((o) => OPTION_CODES[o])];
  if (masked) codes.push(CLEAN_PIXEL_DATA);
  codes.sort();
  upsert(out, element(TAG.PatientName, "PN", pseudonym));
  upsert(out, element(TAG.PatientID, "LO", pseudonym));
  upsert(out, element(TAG.PatientIdentityRemoved, "CS", "YES"));
  upsert(out, element(TAG.DeidentificationMethod, "LO", methodText(s.options).join("\\")));
  upsert(out, sequence(TAG.DeidentificationMethodCodeSequence, codes.map(methodCodeItem)));
  upsert(
    out,
    element(
      TAG.LongitudinalTemporalInformationModified,
      "CS",
      fullDates ? "UNMODIFIED" : shiftDates ? "MODIFIED" : "REMOVED",
    ),
  );
  if (masked) upsert(out, element(TAG.BurnedInAnnotation, "CS", "NO"));
  out.sort((a, b) => a.tag - b.tag);

  const newSop = ctx.retainUids ? sopInstance : h.uid(sopInstance);
  const w = new Writer(16384);
  fileMeta(w, sopClass, newSop, layout.transferSyntax);
  writeDataset(w, out, layout.implicit);
  const parts: OutputPart[] = [{ bytes: w.result() }, ...pixelParts(layout, masked)];
  if (layout.trailing.length > 0) {
    const tail = deidDataset(layout.trailing, ctx, false);
    if (tail.length > 0) {
      const tw = new Writer(1024);
      writeDataset(tw, tail, layout.implicit);
      parts.push({ bytes: tw.result() });
    }
  }
  return {
    status: "deidentified",
    sopInstanceUid: newSop,
    patientPseudonym: pseudonym,
    parts,
    methodCodes: codes,
    pixelsMasked: masked !== undefined,
    uidsRetained: ctx.retainUids,
  };
}

/**
 * De-identifies one object. Bad input never throws: it is "rejected" with a fixed reason that
 * quotes nothing from the input. A wrong configuration throws DeidConfigError.
 */
export async function deidentify(src: ByteSource, config: DeidConfig): Promise<DeidResult> {
  const settings = settingsOf(config);
  try {
    return await run(src, settings);
  } catch (e) {
    if (e instanceof Malformed) return { status: "rejected", reason: e.reason };
    if (e instanceof ReadFailed) return { status: "rejected", reason: "cannot read the input" };
    // Never the error's message: it could quote input bytes.
    return { status: "rejected", reason: "unexpected error while reading the data set" };
  }
}
