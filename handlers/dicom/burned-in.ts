import burnedInJson from "./data/burned-in.json";
import { Dataset, find, text } from "./dataset";
import { TAG } from "./tags";

const MODALITIES = new Set(burnedInJson.modalities);
const SOP_CLASSES = Object.keys(burnedInJson.sopClasses);
const IMAGE_TYPES = new Set(Object.keys(burnedInJson.imageTypeValues));

/** Fixed, PHI-free quarantine reasons. */
export const QUARANTINE = {
  flagged: "burned-in annotation (BurnedInAnnotation YES) and no pixel mask rule matches",
  kind: "kind of object known to carry burned-in text (modality or SOP class) and no pixel mask rule matches",
  label: "slide label or overview image and no pixel mask rule matches",
  compressed:
    "a pixel mask rule matches but the pixel data is compressed: masking needs uncompressed pixel data",
  layout: "a pixel mask rule matches but the pixel data layout cannot be masked",
} as const;

/** Why this object may carry burned-in text (a QUARANTINE reason), or null. */
export function burnedInRisk(ds: Dataset, sopClassUid: string): string | null {
  if (text(find(ds, TAG.BurnedInAnnotation)).toUpperCase() === "YES") return QUARANTINE.flagged;
  if (MODALITIES.has(text(find(ds, TAG.Modality)).toUpperCase())) return QUARANTINE.kind;
  if (SOP_CLASSES.some((u) => sopClassUid === u || sopClassUid.startsWith(`${u}.`))) {
    return QUARANTINE.kind;
  }
  const imageType = text(find(ds, TAG.ImageType)).toUpperCase().split("\\");
  if (imageType.some((v) => IMAGE_TYPES.has(v.trim()))) return QUARANTINE.label;
  return null;
}
