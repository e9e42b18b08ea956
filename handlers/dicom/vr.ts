/** Value Representations (PS3.5 6.2) as far as reading, writing and de-identifying need them. */

/** VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 7.1.2). */
const LONG = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"];
const SHORT = [
  "AE",
  "AS",
  "AT",
  "CS",
  "DA",
  "DS",
  "DT",
  "FL",
  "FD",
  "IS",
  "LO",
  "LT",
  "PN",
  "SH",
  "SL",
  "SS",
  "ST",
  "TM",
  "UI",
  "UL",
  "US",
];

/** Both VR bytes as one 16-bit number -> VR string, so the reader allocates no string per element. */
const BY_CODE = new Map<number, string>();
for (const vr of [...LONG, ...SHORT]) BY_CODE.set(vr.charCodeAt(0) * 256 + vr.charCodeAt(1), vr);
export const vrFromCode = (code: number): string | undefined => BY_CODE.get(code);

const LONG_SET = new Set(LONG);
export const hasLongLength = (vr: string): boolean => LONG_SET.has(vr);

/** Character-string VRs: padded with a space, split into values at "\" (except LT, ST, UT, UR). */
const TEXT = new Set([
  "AE",
  "AS",
  "CS",
  "DA",
  "DS",
  "DT",
  "IS",
  "LO",
  "LT",
  "PN",
  "SH",
  "ST",
  "TM",
  "UC",
  "UR",
  "UT",
]);
export const isText = (vr: string): boolean => TEXT.has(vr);

/** Free-text VRs that the Clean action filters word by word. */
const FREE_TEXT = new Set(["CS", "LO", "LT", "SH", "ST", "UC", "UT"]);
export const isFreeText = (vr: string): boolean => FREE_TEXT.has(vr);

/** Size of one value of a fixed-size binary VR; a length that is not a multiple is malformed. */
const FIXED: Record<string, number> = {
  AT: 4,
  FL: 4,
  FD: 8,
  SL: 4,
  SS: 2,
  SV: 8,
  UL: 4,
  US: 2,
  UV: 8,
  OD: 8,
  OF: 4,
  OL: 4,
  OV: 8,
  OW: 2,
};
export const fixedSize = (vr: string): number => FIXED[vr] ?? 0;

/** Maximum length of one value (PS3.5 Table 6.2-1), used when writing cleaned or dummy text. */
const MAX: Record<string, number> = {
  AE: 16,
  AS: 4,
  CS: 16,
  DA: 8,
  DS: 16,
  DT: 26,
  IS: 12,
  LO: 64,
  LT: 10240,
  PN: 64,
  SH: 16,
  ST: 1024,
  TM: 14,
  UI: 64,
};
export const maxLength = (vr: string): number => MAX[vr] ?? 0xfffffffe;

/** Byte used to pad a value to even length. */
export const padByte = (vr: string): number => (isText(vr) ? 0x20 : 0x00);
