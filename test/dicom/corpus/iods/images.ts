/**
 * Single-frame images: ultrasound, digital mammography (for presentation), PET and secondary
 * capture. Ultrasound and secondary capture are kinds the engine quarantines for burned-in text
 * unless a pixel mask rule matches: each comes tiny (quarantined) and, when the caller passes a
 * mask rule's manufacturer, model and size, in a variant that rule matches (masked, written).
 */
import { FileOptions, IOD_SOP_CLASS, IodFile, IodObject, Shared, VOLUME, codeItem } from "./common";
import { frame } from "../generator";

/** Manufacturer, model and matrix of a pixel mask rule (handlers/dicom/data/pixel-masks.json). */
export interface MaskTarget {
  manufacturer: string;
  model: string;
  rows: number;
  columns: number;
}

function imageHeader(
  f: IodFile,
  bodyPart: string,
  opts: { manufacturer?: string; model?: string } = {},
): void {
  f.sopCommon().patient().generalStudy().patientStudy().seriesModule({ bodyPart });
  f.equipment(opts);
}

/**
 * A kind the engine quarantines for burned-in text: tiny, quarantined; or with `mask`, the variant
 * that mask rule matches ("<key>-masked", in the next series), masked and written.
 */
function burnedInKind(
  s: Shared,
  mask: MaskTarget | undefined,
  o: Omit<FileOptions, "disposition">,
): IodFile {
  return new IodFile(s, {
    ...o,
    key: mask ? `${o.key}-masked` : o.key,
    seriesIndex: mask ? o.seriesIndex + 1 : o.seriesIndex,
    disposition: mask ? "deidentify" : "quarantine",
  });
}

export function ultrasound(s: Shared, mask?: MaskTarget): IodObject {
  const f = burnedInKind(s, mask, {
    key: "ultrasound",
    iod: "US Image",
    sopClassUid: IOD_SOP_CLASS.ultrasound,
    modality: "US",
    seriesIndex: 51,
  });
  imageHeader(f, "ABDOMEN", mask);
  f.generalImage();
  const d = f.ds;
  const rows = mask?.rows ?? 12;
  const columns = mask?.columns ?? 16;
  d.set("00200020", "CS", "");
  d.set("00080008", "CS", "ORIGINAL", "PRIMARY", "ABDOMINAL", "0001");
  d.set("00280301", "CS", "NO").set("00282110", "CS", "00");
  f.imagePixel(rows, columns, 8);
  d.bytes("7FE00010", "OB", frame("u8", rows, columns, 5));
  f.privateBlock();
  return f.finish();
}

export function secondaryCapture(s: Shared, mask?: MaskTarget): IodObject {
  const f = burnedInKind(s, mask, {
    key: "secondary-capture",
    iod: "Secondary Capture Image",
    sopClassUid: IOD_SOP_CLASS.secondaryCapture,
    modality: "OT",
    seriesIndex: 91,
  });
  imageHeader(f, "CHEST", mask);
  f.generalImage({ acquisition: false });
  const d = f.ds;
  const rows = mask?.rows ?? 16;
  const columns = mask?.columns ?? 16;
  d.set("00200020", "CS", "");
  d.set("00080064", "CS", "WSD");
  d.phi("00181012", "DateOfSecondaryCapture", "DA", "date", s.date());
  d.phi("00181014", "TimeOfSecondaryCapture", "TM", "time", s.time());
  d.set("00280301", "CS", "NO");
  f.imagePixel(rows, columns, 8);
  d.bytes("7FE00010", "OB", frame("u8", rows, columns, 7));
  f.privateBlock();
  return f.finish();
}

/** Mammography: a left cranio-caudal view, 16 x 12 pixels of 12 bits. */
export const MAMMO = { rows: 16, columns: 12, laterality: "L", view: "399162004" };

export function mammography(s: Shared): IodObject {
  const f = new IodFile(s, {
    key: "mammography",
    iod: "Digital Mammography X-Ray Image For Presentation",
    sopClassUid: IOD_SOP_CLASS.mammographyForPresentation,
    modality: "MG",
    seriesIndex: 61,
  });
  imageHeader(f, "BREAST");
  f.generalImage();
  const d = f.ds;
  // DX Series
  d.set("00080068", "CS", "FOR PRESENTATION");
  // General Image, DX Anatomy Imaged
  d.set("00200020", "CS", "P", "L");
  d.set("00200062", "CS", MAMMO.laterality);
  d.sq("00082218", "AnatomicRegionSequence", codeItem("76752008", "SCT", "Breast"));
  // DX Image
  d.set("00080008", "CS", "ORIGINAL", "PRIMARY", "");
  f.imagePixel(MAMMO.rows, MAMMO.columns, 16, 12);
  d.set("00281040", "CS", "LOG").set("00281041", "SS", 1);
  d.set("00281052", "DS", 0).set("00281053", "DS", 1).set("00281054", "LO", "US");
  d.set("20500020", "CS", "IDENTITY").set("00282110", "CS", "00");
  d.set("00280301", "CS", "NO");
  d.phi(
    "00181400",
    "AcquisitionDeviceProcessingDescription",
    "LO",
    "text",
    `ZZFAKE processing ${s.code()}`,
  );
  d.set("00281050", "DS", 2048).set("00281051", "DS", 4096);
  // DX Detector
  d.set("00187004", "CS", "DIRECT");
  d.phi("0018700A", "DetectorID", "SH", "id", `ZZDET-${s.code(6)}`);
  d.set("00181164", "DS", 0.1, 0.1);
  // Mammography Image
  d.set("00181508", "CS", "MAMMOGRAPHIC");
  d.set("00400318", "CS", "BREAST");
  d.sq("00540220", "ViewCodeSequence", (v) => {
    codeItem(MAMMO.view, "SCT", "cranio-caudal")(v);
    v.sq("00540222", "ViewModifierCodeSequence");
  });
  d.set("00281300", "CS", "NO");
  // Acquisition Context
  d.sq("00400555", "AcquisitionContextSequence");
  d.bytes("7FE00010", "OW", frame("u16", MAMMO.rows, MAMMO.columns, 11));
  f.privateBlock();
  return f.finish();
}

/** PET: one 8 x 8 slice of a static FDG acquisition. */
export const PET = { rows: 8, columns: 8, units: "BQML", slope: 0.25, halfLife: 6586.2 };

export function pet(s: Shared): IodObject {
  const f = new IodFile(s, {
    key: "pet",
    iod: "PET Image",
    sopClassUid: IOD_SOP_CLASS.pet,
    modality: "PT",
    seriesIndex: 71,
  });
  imageHeader(f, "WHOLEBODY");
  f.frameOfReference().generalImage();
  const d = f.ds;
  // PET Series (SeriesDate/SeriesTime are Type 1 here: planted by seriesModule)
  d.set("00541001", "CS", PET.units).set("00541002", "CS", "EMISSION");
  d.set("00541000", "CS", "STATIC", "IMAGE").set("00540081", "US", 1);
  d.set("00280051", "CS", "ATTN", "DECY").set("00541102", "CS", "START");
  d.set("00181181", "CS", "NONE");
  // PET Isotope
  d.sq("00540016", "RadiopharmaceuticalInformationSequence", (r) => {
    r.sq("00540300", "RadionuclideCodeSequence", codeItem("77004003", "SCT", "^18^Fluorine"));
    r.phi("00181072", "RadiopharmaceuticalStartTime", "TM", "time", s.time());
    r.phi(
      "00181078",
      "RadiopharmaceuticalStartDateTime",
      "DT",
      "datetime",
      `${s.date()}${s.time()}`,
    );
    r.set("00181074", "DS", 370000000).set("00181075", "DS", PET.halfLife);
    r.set("00181076", "DS", 0.967);
  });
  // NM/PET Patient Orientation
  d.sq("00540410", "PatientOrientationCodeSequence", codeItem("102538003", "SCT", "recumbent"));
  d.sq(
    "00540414",
    "PatientGantryRelationshipCodeSequence",
    codeItem("102540008", "SCT", "headfirst"),
  );
  // Image Plane
  d.set("00280030", "DS", 2, 2).set("00200037", "DS", 1, 0, 0, 0, 1, 0);
  d.set("00200032", "DS", VOLUME.origin[0], VOLUME.origin[1], VOLUME.z[1]);
  d.set("00180050", "DS", 2.5);
  // PET Image
  d.set("00080008", "CS", "ORIGINAL", "PRIMARY");
  f.imagePixel(PET.rows, PET.columns, 16);
  d.set("00281052", "DS", 0).set("00281053", "DS", PET.slope);
  d.set("00541300", "DS", 0).set("00541330", "US", 1);
  d.set("00181242", "IS", 600000).set("00541321", "DS", 1);
  d.bytes("7FE00010", "OW", frame("u16", PET.rows, PET.columns, 13));
  f.privateBlock();
  return f.finish();
}
