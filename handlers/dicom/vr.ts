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

/**
 * VRs whose values can carry free text typed by a person: an attribute with one of them is kept
 * outside Table E.1-1 only if reviewed (data/safe-text.json). UN could hold anything; UR is a
 * URI, which can embed names, identifiers and the original UIDs.
 */
const TEXT_CAPABLE = new Set(["PN", "LO", "SH", "LT", "ST", "UT", "UC", "UN", "UR"]);
export const canCarryText = (vr: string): boolean => TEXT_CAPABLE.has(vr);

/**
 * Characters each number, date, time, age or UID VR allows (PS3.5 6.2, plus the "." of old
 * ACR-NEMA dates and ":" of old times): a kept value with any other byte is not what its VR says,
 * whatever wrote it, and may be text (a name in Exposure Time). Value separators and padding
 * (space, and NUL, which some writers pad with) are allowed everywhere.
 */
const REPERTOIRE: Record<string, string> = {
  AS: "0123456789DWMY",
  DA: "0123456789.",
  DS: "0123456789+-.eE",
  DT: "0123456789.+-",
  IS: "0123456789+-",
  TM: "0123456789.:",
  UI: "0123456789.",
};
const ALLOWED = new Map<string, Uint8Array>();
for (const [vr, chars] of Object.entries(REPERTOIRE)) {
  const table = new Uint8Array(256);
  for (const c of `${chars} \\\0`) table[c.charCodeAt(0)] = 1;
  ALLOWED.set(vr, table);
}
/** False when a value of one of those VRs holds a byte its VR does not allow. */
export function fitsRepertoire(vr: string, value: Buffer): boolean {
  const table = ALLOWED.get(vr);
  if (!table) return true;
  for (let i = 0; i < value.length; i++) if (table[value[i]] === 0) return false;
  return true;
}

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

/**
 * Unit by which a value of this VR changes byte order between big and little endian (PS3.5 7.3):
 * AT is a pair of 16-bit numbers, OW a stream of 16-bit words; OB, UN and text are byte streams.
 */
const SWAP: Record<string, 2 | 4 | 8> = {
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
export const swapUnit = (vr: string): 0 | 2 | 4 | 8 => SWAP[vr] ?? 0;

/** VRs whose value is read as characters (text, UIDs): the rules for dates, UIDs, ages, names. */
export const isCharacterVr = (vr: string): boolean => isText(vr) || vr === "UI";
