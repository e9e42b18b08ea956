import masksJson from "./data/pixel-masks.json";

export interface MaskRectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A burned-in text mask (format: data/pixel-masks.json "note"). */
export interface PixelMaskRule {
  name: string;
  manufacturer: string;
  model?: string;
  modelRegex?: string;
  rows: number;
  columns: number;
  rectangles: MaskRectangle[];
}

export const DEFAULT_PIXEL_MASKS: readonly PixelMaskRule[] = masksJson.rules as PixelMaskRule[];

const dimension = (v: unknown) =>
  Number.isInteger(v) && (v as number) > 0 && (v as number) <= 65535;

/** Why a rule list is unusable, or null when it is fine. */
export function maskRulesProblem(rules: unknown): string | null {
  if (!Array.isArray(rules)) return "pixelMasks must be an array of rules";
  for (const [i, r] of rules.entries()) {
    const rule = r as Partial<PixelMaskRule>;
    const where = `pixel mask rule ${i + 1}`;
    if (typeof rule.name !== "string" || typeof rule.manufacturer !== "string") {
      return `${where}: name and manufacturer must be strings`;
    }
    if ((rule.model === undefined) === (rule.modelRegex === undefined)) {
      return `${where}: exactly one of model and modelRegex is required`;
    }
    if (rule.modelRegex !== undefined) {
      try {
        new RegExp(rule.modelRegex);
      } catch {
        return `${where}: modelRegex is not a valid regular expression`;
      }
    }
    if (!dimension(rule.rows) || !dimension(rule.columns)) {
      return `${where}: rows and columns must be whole numbers from 1 to 65535`;
    }
    if (!Array.isArray(rule.rectangles) || rule.rectangles.length === 0) {
      return `${where}: rectangles must be a non-empty array`;
    }
    for (const rect of rule.rectangles) {
      const ok =
        Number.isInteger(rect?.x) &&
        rect.x >= 0 &&
        Number.isInteger(rect?.y) &&
        rect.y >= 0 &&
        dimension(rect?.width) &&
        dimension(rect?.height);
      if (!ok) return `${where}: each rectangle needs whole x, y >= 0 and width, height >= 1`;
    }
  }
  return null;
}

const regexes = new WeakMap<PixelMaskRule, RegExp>();

function modelMatches(rule: PixelMaskRule, model: string): boolean {
  if (rule.model !== undefined) return rule.model === model;
  let re = regexes.get(rule);
  if (!re) {
    re = new RegExp(rule.modelRegex ?? "");
    regexes.set(rule, re);
  }
  return re.test(model);
}

/** The first rule for this make, model and image size. */
export function findMaskRule(
  rules: readonly PixelMaskRule[],
  manufacturer: string,
  model: string,
  rows: number,
  columns: number,
): PixelMaskRule | undefined {
  const make = manufacturer.trim().toUpperCase();
  return rules.find(
    (r) =>
      r.rows === rows &&
      r.columns === columns &&
      r.manufacturer.trim().toUpperCase() === make &&
      modelMatches(r, model),
  );
}

export interface NativeLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bytesPerSample: number;
  /** 0: samples interleaved per pixel; 1: one plane per sample. */
  planar: number;
  frames: number;
}

export const frameBytes = (l: NativeLayout): number =>
  l.rows * l.columns * l.samplesPerPixel * l.bytesPerSample;

/** Zeroes the rectangles (clipped to the image) in every frame and sample of native pixel data. */
export function maskPixels(pixels: Buffer, l: NativeLayout, rects: readonly MaskRectangle[]): void {
  const frame = frameBytes(l);
  const pixel = l.bytesPerSample * (l.planar === 0 ? l.samplesPerPixel : 1);
  const planes = l.planar === 0 ? 1 : l.samplesPerPixel;
  const plane = l.rows * l.columns * l.bytesPerSample;
  for (let f = 0; f < l.frames; f++) {
    for (let s = 0; s < planes; s++) {
      const base = f * frame + s * plane;
      for (const r of rects) {
        const x0 = Math.min(r.x, l.columns);
        const x1 = Math.min(r.x + r.width, l.columns);
        const y1 = Math.min(r.y + r.height, l.rows);
        if (x1 <= x0) continue;
        for (let y = r.y; y < y1; y++) {
          const row = base + y * l.columns * pixel;
          pixels.fill(0, row + x0 * pixel, row + x1 * pixel);
        }
      }
    }
  }
}
