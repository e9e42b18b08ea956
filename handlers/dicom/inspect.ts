import { Malformed, find, text } from "./dataset";
import { OptionName, isOptionName } from "./options";
import { policyHash } from "./policy";
import { PixelExtent, scan } from "./scan";
import type { ByteSource } from "./source";
import { TAG } from "./tags";

/** What the encryption step needs to know of a de-identified object; nothing else is read. */
export interface DeidentifiedFacts {
  /** Modality (0008,0060) as written: a DICOM code string, no PHI. */
  modality: string;
  /** SOP Instance UID: a 2.25 UID the de-identifier made, used to name packages. */
  sopInstanceUid: string;
  /** The options recorded in De-identification Method (0012,0063) by imgsec deid. */
  options: OptionName[];
  /** policyHash(options). */
  policyHash: string;
  /** Where the pixel data value lies (null for objects without pixels, e.g. SR). */
  pixel: PixelExtent | null;
}

/** An object that was not de-identified by imgsec (or says so in a way we cannot trust). */
export class NotDeidentifiedError extends Error {}

const METHOD_HEAD = "imgsec: DICOM PS3.15 Basic Application Confidentiality Profile";

/**
 * Reads the facts of an object written by `deidentify`: Patient Identity Removed YES, our method
 * text and the Basic Profile code. Refuses anything else, so identified images never get a package
 * that claims a de-identification policy. Messages quote nothing from the input.
 */
export async function inspectDeidentified(src: ByteSource): Promise<DeidentifiedFacts> {
  let layout;
  try {
    layout = await scan(src, () => false);
  } catch (e) {
    if (e instanceof Malformed)
      throw new NotDeidentifiedError(`not a readable DICOM file (${e.reason})`);
    throw e;
  }
  // imgsec writes explicit or implicit little endian, never deflated: and a deflated file's pixel
  // offsets point into its inflated copy, so a pixel digest would cover the wrong bytes.
  if (layout.inflated || layout.bigEndian)
    throw new NotDeidentifiedError(
      "not de-identified by imgsec: imgsec writes little endian, never deflated (run imgsec deid first)",
    );
  const h = layout.header;
  if (text(find(h, TAG.PatientIdentityRemoved)) !== "YES") {
    throw new NotDeidentifiedError(
      "not de-identified: Patient Identity Removed (0012,0062) is not YES (run imgsec deid first)",
    );
  }
  const lines = text(find(h, TAG.DeidentificationMethod))
    .split("\\")
    .map((l) => l.trim());
  if (lines[0] !== METHOD_HEAD) {
    throw new NotDeidentifiedError(
      "not de-identified by imgsec: De-identification Method (0012,0063) does not name the imgsec profile",
    );
  }
  const options: OptionName[] = [];
  for (const line of lines.slice(1)) {
    if (line.startsWith("profile: ")) continue;
    const name = line.startsWith("option: ") ? line.slice(8) : "";
    if (!isOptionName(name)) {
      throw new NotDeidentifiedError(
        "De-identification Method (0012,0063) lists an option imgsec does not know",
      );
    }
    options.push(name);
  }
  const codes = find(h, TAG.DeidentificationMethodCodeSequence)?.items ?? [];
  if (!codes.some((item) => text(find(item, TAG.CodeValue)) === "113100")) {
    throw new NotDeidentifiedError(
      "not de-identified: no Basic Application Confidentiality Profile code (113100) in (0012,0064)",
    );
  }
  const modality = text(find(h, TAG.Modality)) || "OT";
  const sopInstanceUid = text(find(h, TAG.SOPInstanceUID));
  if (!/^2\.25\.[0-9]{1,39}$/.test(sopInstanceUid)) {
    throw new NotDeidentifiedError(
      "not de-identified by imgsec: SOP Instance UID is not a 2.25 UID made by the de-identifier",
    );
  }
  return {
    modality,
    sopInstanceUid,
    options,
    policyHash: policyHash(options),
    pixel: layout.pixel,
  };
}
