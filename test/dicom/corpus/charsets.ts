/**
 * Text encodings the synthetic corpus writes and the leak scanner searches for: UTF-8 (ISO_IR 192),
 * Latin-1 (ISO_IR 100) and ISO 2022 with JIS X 0208 (DICOM "ISO 2022 IR 87", the same bytes as
 * ISO-2022-JP). Node can decode ISO-2022-JP (TextDecoder, full ICU) but not encode it, so the
 * encoder here is built from the decoder's own table.
 */

const ESC_JIS_X_0208 = [0x1b, 0x24, 0x42]; // ESC $ B: switch to JIS X 0208 (ISO 2022 IR 87)
const ESC_ASCII = [0x1b, 0x28, 0x42]; // ESC ( B: back to ASCII (ISO 2022 IR 6)

let jisTable: Map<string, [number, number]> | undefined;

/** char -> its two 7-bit JIS X 0208 bytes, read off Node's ISO-2022-JP decoder. */
function jis0208(): Map<string, [number, number]> {
  if (jisTable) return jisTable;
  const pairs: number[] = [...ESC_JIS_X_0208];
  for (let hi = 0x21; hi <= 0x7e; hi++) {
    for (let lo = 0x21; lo <= 0x7e; lo++) pairs.push(hi, lo);
  }
  pairs.push(...ESC_ASCII);
  const decoded = new TextDecoder("iso-2022-jp").decode(Uint8Array.from(pairs));
  const chars = Array.from(decoded);
  const table = new Map<string, [number, number]>();
  let i = 0;
  for (let hi = 0x21; hi <= 0x7e; hi++) {
    for (let lo = 0x21; lo <= 0x7e; lo++, i++) {
      const c = chars[i];
      if (c !== undefined && c !== "\ufffd" && !table.has(c)) table.set(c, [hi, lo]);
    }
  }
  jisTable = table;
  return table;
}

/**
 * `text` in ISO 2022 IR 6 + IR 87 (ASCII plus JIS X 0208 after ESC $ B), returning to ASCII
 * before every ASCII character (so before the ^ = \ delimiters, as DICOM requires) and at the end.
 * Undefined when a character has no JIS X 0208 code.
 */
export function encodeIso2022Jp(text: string): Buffer | undefined {
  const table = jis0208();
  const out: number[] = [];
  let jis = false;
  for (const c of text) {
    const code = c.codePointAt(0) ?? 0;
    if (code < 0x80) {
      if (jis) out.push(...ESC_ASCII);
      jis = false;
      out.push(code);
      continue;
    }
    const pair = table.get(c);
    if (!pair) return undefined;
    if (!jis) out.push(...ESC_JIS_X_0208);
    jis = true;
    out.push(pair[0], pair[1]);
  }
  if (jis) out.push(...ESC_ASCII);
  return Buffer.from(out);
}

export function decodeIso2022Jp(bytes: Uint8Array): string {
  return new TextDecoder("iso-2022-jp").decode(bytes);
}

/** `text` in ISO 8859-1 (ISO_IR 100), or undefined when a character is outside Latin-1. */
export function encodeLatin1(text: string): Buffer | undefined {
  for (const c of text) if ((c.codePointAt(0) ?? 0) > 0xff) return undefined;
  return Buffer.from(text, "latin1");
}

export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** `text` as JSON writes it with every non-ASCII character escaped (\uXXXX), without quotes. */
export function jsonAsciiEscape(text: string): string {
  return JSON.stringify(text)
    .slice(1, -1)
    .replace(/[\u0080-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}
