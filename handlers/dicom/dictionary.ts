import dictionaryJson from "./data/dictionary.json";

/** The DICOM data dictionary (data/dictionary.json): tag -> keyword and VR. */
interface Pattern {
  mask: number;
  value: number;
  vr: string;
}

let exact: Map<number, string> | undefined;
let byKeyword: Map<string, number> | undefined;
let patterns: Pattern[] = [];

/** Built on first use: the 5,000 entries cost a few milliseconds that a Buffer-only user never pays. */
function load(): Map<number, string> {
  if (exact) return exact;
  exact = new Map();
  byKeyword = new Map();
  const entries = dictionaryJson as Record<string, string[]>;
  for (const key in entries) {
    const [keyword, vr] = entries[key];
    if (key.includes("X") || key.includes("x")) {
      // Repeating groups such as (60XX,0010): X digits are wildcards.
      const mask = parseInt(key.replace(/[0-9A-F]/gi, "F").replace(/X/gi, "0"), 16) >>> 0;
      patterns.push({ mask, value: (parseInt(key.replace(/X/gi, "0"), 16) & mask) >>> 0, vr });
    } else {
      const tag = parseInt(key, 16);
      exact.set(tag, vr);
      byKeyword.set(keyword, tag);
    }
  }
  patterns = patterns.sort((a, b) => b.mask - a.mask);
  return exact;
}

/** VR of a standard tag, or undefined when the dictionary does not know it. */
export function dictionaryVr(t: number): string | undefined {
  const vr = load().get(t);
  if (vr !== undefined) return vr;
  for (const p of patterns) if ((t & p.mask) >>> 0 === p.value) return p.vr;
  return undefined;
}

export function tagOfKeyword(keyword: string): number | undefined {
  load();
  return byKeyword?.get(keyword);
}
