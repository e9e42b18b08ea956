import words from "./data/clean-words.json";
import { maxLength } from "./vr";

const ALLOWED = new Set<string>(
  [...words.modalities, ...words.anatomy, ...words.views, ...words.contrast, ...words.findings].map(
    (w) => w.toUpperCase(),
  ),
);
const UNITS = new Set<string>(words.units.map((w) => w.toUpperCase()));
/** Numbers with at most 3 digits before the point: sizes and doses, never years, dates or IDs. */
const NUMBER = /^\d{1,3}(?:\.\d+)?$/;
const NUMBER_UNIT = /^\d{1,3}(?:\.\d+)?([A-Z]+)$/;
/** Vertebral levels such as C5, T12, L4, S1. */
const LEVEL = /^[CTLS]\d{1,2}$/;

function allowed(word: string): boolean {
  const u = word.toUpperCase();
  if (ALLOWED.has(u) || UNITS.has(u) || NUMBER.test(u) || LEVEL.test(u)) return true;
  const m = NUMBER_UNIT.exec(u);
  return m !== null && UNITS.has(m[1]);
}

const isWordByte = (b: number) =>
  (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2e;

/** VRs whose values are not split at "\" (PS3.5 6.2). */
const SINGLE_VALUED = new Set(["LT", "ST", "UT", "UR"]);

/**
 * Clean (C) for free text: keeps the allow-listed words of data/clean-words.json and drops the
 * rest. Works on the raw bytes: a byte above 0x7F marks its word foreign (and, for multi-byte
 * sets such as GB18030 whose trail bytes can look like ASCII, the byte after it too), and after an
 * ISO 2022 multi-byte escape (ESC $ ...) everything is foreign until ESC ( B or ESC ( J. Foreign
 * words are dropped, so the result is plain ASCII, valid in every character set.
 */
export function cleanText(raw: Buffer, vr: string): Buffer {
  const multiValued = !SINGLE_VALUED.has(vr);
  const values: string[][] = [[]];
  let word = "";
  let foreign = false;
  let multiByte = false;
  let trail = false;
  const flush = () => {
    const w = word.replace(/^\.+|\.+$/g, "");
    if (w && !foreign && allowed(w) && !(vr === "CS" && w.includes("."))) {
      values[values.length - 1].push(vr === "CS" ? w.toUpperCase() : w);
    }
    word = "";
    foreign = false;
  };
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (b === 0x1b) {
      flush();
      // ESC, intermediate bytes 0x20-0x2F, one final byte.
      let j = i + 1;
      while (j < raw.length && raw[j] >= 0x20 && raw[j] <= 0x2f) j++;
      const first = raw[i + 1];
      const second = raw[i + 2];
      if (
        first === 0x24 &&
        (second === 0x28 || second === 0x40 || second === 0x41 || second === 0x42)
      ) {
        multiByte = true; // ESC $ @, ESC $ A, ESC $ B, ESC $ ( D: a multi-byte set in G0
      } else if (first === 0x28) {
        multiByte = false; // ESC ( B (ASCII) or ESC ( J (JIS X 0201 Roman) in G0
      }
      i = j;
      trail = false;
      continue;
    }
    if (multiByte || trail || b >= 0x80) {
      foreign = true;
      word += "?";
      trail = b >= 0x80 && !trail;
      continue;
    }
    if (isWordByte(b)) {
      word += String.fromCharCode(b);
    } else {
      flush();
      if (b === 0x5c && multiValued) values.push([]);
    }
  }
  flush();
  const max = maxLength(vr);
  const text = values
    .map((ws) => {
      let out = "";
      for (const w of ws) {
        const next = out ? `${out} ${w}` : w;
        if (next.length > max) break;
        out = next;
      }
      return out;
    })
    .join("\\");
  return Buffer.from(text.replace(/^\\+$/, ""), "latin1");
}
