/**
 * Searches output bytes (files, and everything a command printed) for planted fake PHI, in every
 * spelling a de-identifier might leave behind:
 *
 *  - each variant of each planted value (`PlantedValue.variants` plus those derived here: date
 *    formats, name orders, name components of >= 4 characters, see ./planted.ts),
 *  - case-folded (ASCII case is ignored; non-ASCII text is searched as written, upper- and
 *    lower-cased),
 *  - as UTF-8, Latin-1 (ISO_IR 100), ISO 2022 IR 87 (JIS X 0208, the ISO-2022-JP bytes) and as
 *    JSON with \uXXXX escapes, for variants with non-ASCII characters,
 *  - inside the data set of deflated DICOM files (transfer syntax 1.2.840.10008.1.2.1.99), which
 *    is inflated and searched too (reported as `<name>#inflated`).
 *
 * One pass over each haystack finds all needles: a 64 Ki-entry table of folded 2-byte prefixes
 * filters positions, a map of 4-byte prefixes picks candidate needles.
 */
import { inflateRawSync } from "node:zlib";
import { encodeIso2022Jp, encodeLatin1, isAscii, jsonAsciiEscape } from "./charsets";
import { PlantedValue, deriveVariants } from "./planted";

export type { PlantedValue } from "./planted";

export type LeakEncoding = "utf-8" | "latin1" | "iso-2022-jp" | "json-escaped";

export interface Leak {
  /** The variant found (fake data), as text. */
  needle: string;
  /** The planted value it is a variant of. */
  value: string;
  /** Where the value was planted (joined with " | " when several planted values share it). */
  where: string;
  /** Every planted value (and place) this needle is a variant of. */
  sources: { value: string; where: string }[];
  /** Haystack name (`<name>#inflated` for the inflated data set of a deflated DICOM file). */
  file: string;
  /** Byte offset in the haystack (in its UTF-8 bytes for strings). */
  offset: number;
  /** Bytes matched. */
  length: number;
  encoding: LeakEncoding;
}

export interface Haystack {
  name: string;
  bytes: Buffer | string;
}

interface Needle {
  bytes: Buffer; // ASCII-folded
  text: string;
  value: string;
  where: Set<string>;
  sources: { value: string; where: string }[];
  encoding: LeakEncoding;
}

const FOLD = new Uint8Array(256);
for (let i = 0; i < 256; i++) FOLD[i] = i >= 0x41 && i <= 0x5a ? i | 0x20 : i;

function fold(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(b.length);
  for (let i = 0; i < b.length; i++) out[i] = FOLD[b[i] as number] as number;
  return out;
}

const MIN_NEEDLE_BYTES = 4;

/** Every (folded) byte needle for the planted values, de-duplicated. */
function buildNeedles(planted: PlantedValue[]): Needle[] {
  const byKey = new Map<string, Needle>();
  const add = (bytes: Buffer | undefined, text: string, p: PlantedValue, enc: LeakEncoding) => {
    if (!bytes || bytes.length < MIN_NEEDLE_BYTES) return;
    const folded = fold(bytes);
    const key = folded.toString("latin1");
    const known = byKey.get(key);
    const source = { value: p.value, where: p.where };
    if (known) {
      known.where.add(p.where);
      if (!known.sources.some((x) => x.value === p.value && x.where === p.where)) {
        known.sources.push(source);
      }
      return;
    }
    byKey.set(key, {
      bytes: folded,
      text,
      value: p.value,
      where: new Set([p.where]),
      sources: [source],
      encoding: enc,
    });
  };
  for (const p of planted) {
    const texts = new Set([...p.variants, ...deriveVariants(p.value, p.kind)]);
    for (const t of texts) {
      const forms = isAscii(t) ? [t] : [...new Set([t, t.toLowerCase(), t.toUpperCase()])];
      for (const f of forms) {
        add(Buffer.from(f, "utf8"), f, p, "utf-8");
        if (isAscii(f)) continue;
        add(encodeLatin1(f), f, p, "latin1");
        add(encodeIso2022Jp(f), f, p, "iso-2022-jp");
        add(Buffer.from(jsonAsciiEscape(f), "latin1"), f, p, "json-escaped");
      }
    }
  }
  return [...byKey.values()];
}

interface TrieNode {
  next: Map<number, TrieNode>;
  out?: Needle[];
}

/**
 * A byte trie of the folded needles behind a 64 Ki-entry table of their first two bytes: most
 * positions cost one table look-up; at the others the trie is walked as far as the bytes match
 * (the needles share long prefixes such as "zzfake", so comparing needle by needle would not do).
 */
class Matcher {
  private readonly first2 = new Uint8Array(65536);
  private readonly root: TrieNode = { next: new Map() };

  constructor(needles: Needle[]) {
    for (const n of needles) {
      const b = n.bytes;
      this.first2[((b[0] as number) << 8) | (b[1] as number)] = 1;
      let node = this.root;
      for (const byte of b) {
        let child = node.next.get(byte);
        if (!child) {
          child = { next: new Map() };
          node.next.set(byte, child);
        }
        node = child;
      }
      (node.out ??= []).push(n);
    }
  }

  scan(h: Buffer, file: string, out: Leak[]): void {
    const last = h.length - MIN_NEEDLE_BYTES;
    const first2 = this.first2;
    for (let i = 0; i <= last; i++) {
      if (
        first2[((FOLD[h[i] as number] as number) << 8) | (FOLD[h[i + 1] as number] as number)] !== 1
      ) {
        continue;
      }
      let node: TrieNode | undefined = this.root;
      for (let j = i; j < h.length && node; j++) {
        node = node.next.get(FOLD[h[j] as number] as number);
        if (node?.out) {
          for (const n of node.out) {
            out.push({
              needle: n.text,
              value: n.value,
              where: [...n.where].join(" | "),
              sources: n.sources,
              file,
              offset: i,
              length: n.bytes.length,
              encoding: n.encoding,
            });
          }
        }
      }
    }
  }
}

/** Keeps, of matches overlapping at the same place, only the longest (the full value). */
function dropContained(leaks: Leak[]): Leak[] {
  const byFile = new Map<string, Leak[]>();
  for (const l of leaks) byFile.set(l.file, [...(byFile.get(l.file) ?? []), l]);
  const out: Leak[] = [];
  for (const list of byFile.values()) {
    list.sort((x, y) => x.offset - y.offset || y.length - x.length);
    let coveredTo = -1;
    for (const l of list) {
      const end = l.offset + l.length;
      if (end <= coveredTo) continue;
      out.push(l);
      coveredTo = Math.max(coveredTo, end);
    }
  }
  return out;
}

const DEFLATED_TS = Buffer.from("1.2.840.10008.1.2.1.99", "latin1");

/** The inflated data set of a deflated Part 10 file, or undefined. */
export function inflateDeflatedDicom(b: Buffer): Buffer | undefined {
  if (b.length < 144 || b.toString("latin1", 128, 132) !== "DICM") return undefined;
  if (b.readUInt16LE(132) !== 0x0002 || b.readUInt16LE(134) !== 0x0000) return undefined;
  const start = 144 + b.readUInt32LE(140);
  if (start > b.length || b.subarray(132, start).indexOf(DEFLATED_TS) < 0) return undefined;
  try {
    return inflateRawSync(b.subarray(start));
  } catch {
    return undefined;
  }
}

export interface ScanOptions {
  /** Report every needle found, also those inside a longer match (default false). */
  all?: boolean;
}

/** Every place where a variant of a planted value occurs in the haystacks. */
export function scanForLeaks(
  haystacks: Haystack[],
  planted: PlantedValue[],
  options: ScanOptions = {},
): Leak[] {
  const matcher = new Matcher(buildNeedles(planted));
  const found: Leak[] = [];
  for (const h of haystacks) {
    const bytes = typeof h.bytes === "string" ? Buffer.from(h.bytes, "utf8") : h.bytes;
    matcher.scan(bytes, h.name, found);
    const inflated = inflateDeflatedDicom(bytes);
    if (inflated) matcher.scan(inflated, `${h.name}#inflated`, found);
  }
  return options.all ? found : dropContained(found);
}

/** A short human-readable report of leaks (the needles are fake data, safe to print). */
export function formatLeaks(leaks: Leak[], max = 20): string {
  const lines = leaks
    .slice(0, max)
    .map((l) => `${l.file}@${l.offset}: "${l.needle}" (${l.encoding}) planted at ${l.where}`);
  if (leaks.length > max) lines.push(`... and ${leaks.length - max} more`);
  return lines.join("\n");
}
