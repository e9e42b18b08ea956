/**
 * One small object per IOD, all of one fake patient and study, with planted fake PHI, valid for
 * dciodvfy before de-identification (README.md here; test/dicom/iods.test.ts uses them).
 */
import { IodObject, IodSet, Shared } from "./common";
import { twelveLeadEcg } from "./ecg";
import { enhancedCt, enhancedMr } from "./enhanced";
import { MaskTarget, mammography, pet, secondaryCapture, ultrasound } from "./images";
import { rtDose, rtPlan, rtStructureSet } from "./rt";
import { segmentation } from "./seg";
import { comprehensiveSr } from "./sr";

export type { Disposition, IodObject, IodSet } from "./common";
export type { MaskTarget } from "./images";
export { IOD_SOP_CLASS, VOLUME } from "./common";
export { ECG, ECG_LEADS, ecgSamples } from "./ecg";
export { ENHANCED, framePosition, volumePixels } from "./enhanced";
export { MAMMO, PET } from "./images";
export { DOSE, PLAN, ROIS, contourData, dosePixels } from "./rt";
export { SEGMENTS, segFrames, segPixels } from "./seg";
export { SR_CODES, SR_MEASUREMENTS, SR_TEXT_CONCEPTS, SR_TITLE } from "./sr";

export interface IodOptions {
  seed?: number;
  /**
   * A pixel mask rule's target: adds "ultrasound-masked" and "secondary-capture-masked", which
   * that rule matches, so the engine masks them and writes them instead of quarantining.
   */
  mask?: MaskTarget;
}

/** Every IOD object, deterministically from the options. */
export function generateIods(opts: IodOptions = {}): IodSet {
  const s = new Shared(opts.seed ?? 20240610);
  const objects: IodObject[] = [
    enhancedCt(s),
    enhancedMr(s),
    rtStructureSet(s),
    rtPlan(s),
    rtDose(s),
    comprehensiveSr(s),
    segmentation(s),
    twelveLeadEcg(s),
    ultrasound(s),
    mammography(s),
    pet(s),
    secondaryCapture(s),
  ];
  if (opts.mask) objects.push(ultrasound(s, opts.mask), secondaryCapture(s, opts.mask));
  return { objects, planted: s.ctx.plantedValues() };
}
