/**
 * What the synthetic corpus plants (fake PHI) and the text variants a leak scanner must look for.
 * Case folding and byte encodings (UTF-8, Latin-1, ISO 2022 IR 87, JSON \u escapes) are applied
 * to every variant by the scanner itself; `variants` holds only re-formattings of the text.
 */

export type PlantedKind =
  | "name" // PN: Family^Given^Middle^Prefix^Suffix, optionally =Ideographic=Phonetic groups
  | "date" // DA: YYYYMMDD
  | "time" // TM: HHMMSS.FFFFFF
  | "datetime" // DT: YYYYMMDDHHMMSS.FFFFFF
  | "id" // identifiers: MRN, accession, study ID, serial numbers, ...
  | "text" // addresses, descriptions, comments, free text
  | "binary"; // ASCII markers inside OB/OW/UN values (overlay/curve data, private blobs)

export interface PlantedValue {
  /** The fake value exactly as planted (Unicode; the file may hold it in another encoding). */
  value: string;
  /** Where it was planted: a tag path, e.g. "RequestAttributesSequence (0040,0275) > ...". */
  where: string;
  /** Other spellings of the same value (date formats, name orders, name components). */
  variants: string[];
  kind: PlantedKind;
}

const MIN_ASCII_PART = 4; // shorter ASCII parts ("DR", "IV", "MX") would match innocent text
const MIN_NON_ASCII_PART = 2; // 2 CJK characters are already 6 UTF-8 / 10 ISO 2022 bytes

function nonAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return true;
  return false;
}

/** A part of a name long enough to be searched for on its own. */
export function searchable(part: string): boolean {
  const n = Array.from(part).length;
  return nonAscii(part) ? n >= MIN_NON_ASCII_PART : n >= MIN_ASCII_PART;
}

function dateVariants(da: string): string[] {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da);
  if (!m) return [];
  const [, y, mo, d] = m;
  return [
    `${y}${mo}${d}`,
    `${y}-${mo}-${d}`,
    `${y}/${mo}/${d}`,
    `${mo}/${d}/${y}`,
    `${d}/${mo}/${y}`,
    `${d}.${mo}.${y}`,
  ];
}

function timeVariants(tm: string): string[] {
  const m = /^(\d{2})(\d{2})(\d{2})(\.\d{1,6})?$/.exec(tm);
  if (!m) return [];
  const [, h, mi, s, frac = ""] = m;
  // HH:MM:SS alone is left out: a clock time printed by a tool would match it by chance.
  return frac ? [`${h}:${mi}:${s}${frac}`] : [];
}

function dateTimeVariants(dt: string): string[] {
  const m = /^(\d{8})(\d{2})?(\d{2})?(\d{2})?(\.\d{1,6})?/.exec(dt);
  if (!m) return [];
  const [, date, h, mi, s] = m;
  const out = dateVariants(date);
  if (h && mi && s) {
    const iso = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
    out.push(`${iso}T${h}:${mi}:${s}`, `${iso} ${h}:${mi}:${s}`);
  }
  return out;
}

function nameVariants(pn: string): string[] {
  const out: string[] = [];
  for (const group of pn.split("=")) {
    if (!group) continue;
    out.push(group);
    const parts = group.split("^");
    const comps = parts.filter((c) => c.length > 0);
    const [family = "", given = ""] = parts;
    if (comps.length > 1) {
      out.push(comps.join(" "));
      if (family && given) {
        const rest = parts.slice(1).filter((c) => c.length > 0);
        out.push(
          `${family}^${given}`,
          `${family} ${given}`,
          `${given} ${family}`,
          `${family}, ${rest.join(" ")}`,
          `${family},${rest.join(" ")}`,
          `${rest.join(" ")} ${family}`,
        );
      }
    }
    for (const c of comps) if (searchable(c)) out.push(c);
  }
  return out;
}

/** The text variants of a planted value (including the value itself, first). */
export function deriveVariants(value: string, kind: PlantedKind): string[] {
  let extra: string[] = [];
  switch (kind) {
    case "name":
      extra = nameVariants(value);
      break;
    case "date":
      extra = dateVariants(value);
      break;
    case "time":
      extra = timeVariants(value);
      break;
    case "datetime":
      extra = dateTimeVariants(value);
      break;
    default:
      break;
  }
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of [value, ...extra]) {
    const t = v.trim();
    if (t && searchable(t) && !seen.has(t)) {
      seen.add(t);
      out.push(t);
    }
  }
  return out;
}
