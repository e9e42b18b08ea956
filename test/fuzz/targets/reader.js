"use strict";
/**
 * Fuzz target: the reader. scan() (handlers/dicom/scan.ts: preamble, file meta, transfer syntax,
 * header, pixel data extent, trailing elements) through a Buffer source, and the element parser
 * (handlers/dicom/dataset.ts: Parser) on the raw bytes in every encoding it reads (explicit and
 * implicit VR little endian; explicit big endian in the reader being rewritten). The only
 * exception allowed is Malformed with a fixed reason; a Layout points inside what it was read
 * from; what the parser reads, the writer writes back so that it reads and writes again to the
 * same bytes.
 */
const {
  ENCODINGS,
  check,
  checkLayout,
  checkReads,
  expectMalformed,
  parseAll,
  scanner,
  trackedSource,
  writeAll,
  writtenEncoding,
} = require("./common");

module.exports.fuzz = async function fuzz(data) {
  const src = trackedSource(data);
  try {
    const layout = await scanner.scan(src, () => true);
    checkLayout(layout, data, "scan");
  } catch (e) {
    expectMalformed(e, "scan");
  }
  checkReads(src, "scan");

  if (data.length === 0) return;
  for (const enc of ENCODINGS) {
    const what = `Parser (${enc === true ? "implicit" : enc === false ? "explicit" : enc})`;
    let ds;
    try {
      ds = parseAll(data, enc);
    } catch (e) {
      expectMalformed(e, what);
      continue;
    }
    const le = writtenEncoding(enc);
    const once = writeAll(ds, le);
    let again;
    try {
      again = writeAll(parseAll(once, le), le);
    } catch (e) {
      check(
        false,
        `${what}: what the writer wrote does not parse again: ${e && (e.reason || e.message)}`,
      );
    }
    check(
      once.equals(again),
      `${what}: write(parse(write(parse(x)))) differs from write(parse(x))`,
    );
  }
};
