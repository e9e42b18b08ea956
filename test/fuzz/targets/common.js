"use strict";
/**
 * Shared by the fuzz targets (reader.js, engine.js): the compiled engine from dist/ (build it with
 * `npx tsc -p tsconfig.build.json`; `npm test` and `npm run fuzz` do), the fixed test key, and the
 * properties every input must satisfy. A property that does not hold throws a FuzzFinding, which
 * Jazzer.js reports as a crash and saves the input for.
 */
const { readFileSync, readdirSync } = require("node:fs");
const { join } = require("node:path");

const ROOT = join(__dirname, "..", "..", "..");
const DIST = join(ROOT, "dist", "handlers", "dicom");

function load(name) {
  try {
    return require(join(DIST, name));
  } catch (e) {
    throw new Error(
      `cannot load dist/handlers/dicom/${name}.js: build the engine first (npx tsc -p tsconfig.build.json): ${e.message}`,
    );
  }
}

const engine = load("index.js");
const dataset = load("dataset.js");
const scanner = load("scan.js");
const tags = load("tags.js");
const burnedIn = load("burned-in.js");

/** A property of the engine that did not hold (not an input the engine refused). */
class FuzzFinding extends Error {
  constructor(message) {
    super(message);
    this.name = "FuzzFinding";
  }
}

function check(ok, message) {
  if (!ok) throw new FuzzFinding(message);
}

/** Fixed test key (never a real one): 32 bytes, not all zeros. */
const KEY = Buffer.alloc(32, 0x5a);

/** The reason deidentify() gives when something other than Malformed was thrown inside it. */
const UNEXPECTED = "unexpected error while reading the data set";

/**
 * Every string literal in the compiled engine. A reason is "fixed" when it is one of them: a
 * reason built from the input (or from an exception's message) is not a literal of the source.
 */
function engineLiterals() {
  const out = new Set();
  for (const f of readdirSync(DIST)) {
    if (!f.endsWith(".js")) continue;
    for (const line of readFileSync(join(DIST, f), "utf8").split("\n")) {
      for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
        try {
          out.add(JSON.parse(`"${m[1]}"`));
        } catch {
          // a quote inside a comment paired with another: not a literal
        }
      }
      for (const m of line.matchAll(/'((?:[^'\\]|\\.)*)'/g)) {
        out.add(m[1].replace(/\\'/g, "'").replace(/\\"/g, '"'));
      }
    }
  }
  return out;
}
const FIXED_REASONS = engineLiterals();
// The extractor must see the reasons we know of, or every check below would be vacuous.
for (const r of [
  ...Object.values(engine.SYNTAX_REASONS),
  ...Object.values(burnedIn.QUARANTINE),
  UNEXPECTED,
  "truncated data element",
  "no SOP Instance UID in the data set",
]) {
  if (!FIXED_REASONS.has(r)) throw new Error(`fixed reason not found in dist/: ${r}`);
}

function checkFixedReason(reason, what) {
  check(typeof reason === "string" && reason.length > 0, `${what}: reason is not a string`);
  check(FIXED_REASONS.has(reason), `${what}: reason is not one of the engine's fixed strings`);
}

/** Malformed (a fixed-reason refusal) is the only exception the reader may throw. */
function expectMalformed(e, what) {
  if (e instanceof FuzzFinding) throw e;
  if (!(e instanceof dataset.Malformed)) {
    const err = new FuzzFinding(
      `${what} threw ${e && e.name ? e.name : typeof e}, not Malformed: ${e && e.message}`,
    );
    if (e && e.stack) err.stack = `${err.name}: ${err.message}\ncaused by ${e.stack}`;
    throw err;
  }
  checkFixedReason(e.reason, what);
}

/**
 * A Buffer source that records what the engine asks for: every read must lie inside the source
 * (a length field claiming gigabytes must end in a refusal, never in a read or an allocation of
 * that size), and the bytes handed out in total stay proportional to the input.
 */
function trackedSource(data) {
  const inner = engine.bufferSource(data);
  const src = {
    size: inner.size,
    requested: 0,
    violation: "",
    read(offset, length) {
      if (
        !Number.isSafeInteger(offset) ||
        !Number.isSafeInteger(length) ||
        offset < 0 ||
        length < 0 ||
        offset + length > data.length
      ) {
        if (!src.violation) {
          src.violation = `read(${offset}, ${length}) outside a source of ${data.length} bytes`;
        }
      }
      src.requested += Math.max(0, Number(length) || 0);
      return inner.read(offset, length);
    },
  };
  return src;
}

function checkReads(src, what) {
  check(src.violation === "", `${what}: ${src.violation}`);
  // Doubling windows read a prefix a few times over; far more means re-reading in a loop.
  const bound = 16 * src.size + (1 << 20);
  check(
    src.requested <= bound,
    `${what}: read ${src.requested} bytes of a ${src.size}-byte source`,
  );
}

/** Where a Layout from scan() points must lie inside what it was read from. */
function checkLayout(layout, data, what) {
  const size = layoutBytes(layout, data).length;
  check(typeof layout.transferSyntax === "string", `${what}: no transfer syntax`);
  check(
    engine.transferSyntaxProblem(layout.transferSyntax) === null,
    `${what}: unsupported syntax`,
  );
  const px = layout.pixel;
  if (px) {
    check(
      Number.isSafeInteger(px.start) &&
        px.start >= 0 &&
        px.start < px.valueStart &&
        px.valueStart <= px.end &&
        px.end <= size,
      `${what}: pixel data extent [${px.start}, ${px.valueStart}, ${px.end}] outside 0..${size}`,
    );
  }
}

/** Each `unit`-byte word reversed (big endian input); a shorter tail stays as it is. */
function swapped(b, unit) {
  const out = Buffer.from(b);
  const whole = out.subarray(0, out.length - (out.length % unit));
  if (unit === 2) whole.swap16();
  else if (unit === 4) whole.swap32();
  else if (unit === 8) whole.swap64();
  return out;
}

/** Output bytes of a "deidentified" result: header, source ranges (maybe swapped), more bytes. */
function assemble(result, data) {
  const chunks = result.parts.map((p) => {
    if ("bytes" in p) return p.bytes;
    const range = data.subarray(p.sourceOffset, p.sourceOffset + p.length);
    return p.swap ? swapped(range, p.swap) : range;
  });
  return Buffer.concat(chunks);
}

/**
 * The bytes a Layout's offsets refer to: the source, or a deflated input's inflated data set
 * (the reader being rewritten reads deflate; older layouts have no `inflated`).
 */
const layoutBytes = (layout, data) => layout.inflated || data;

const RESULT_KEYS = {
  deidentified: [
    "methodCodes",
    "parts",
    "patientPseudonym",
    "pixelsMasked",
    "sopInstanceUid",
    "status",
    "uidsRetained",
  ],
  quarantined: ["reason", "status"],
  rejected: ["reason", "status"],
};
const UID = /^(?=.{1,64}$)[0-9]+(\.[0-9]+)*$/;

/** Exactly one outcome, of the documented shape. */
function checkResult(r, data, what) {
  check(r !== null && typeof r === "object", `${what}: result is not an object`);
  const keys = RESULT_KEYS[r.status];
  check(keys !== undefined, `${what}: status ${String(r.status)} is not an outcome`);
  check(
    Object.keys(r).sort().join() === keys.join(),
    `${what}: a ${r.status} result has keys ${Object.keys(r).sort().join()}`,
  );
  if (r.status !== "deidentified") {
    checkFixedReason(r.reason, what);
    check(r.reason !== UNEXPECTED, `${what}: an exception other than Malformed inside the engine`);
    return;
  }
  check(UID.test(r.sopInstanceUid), `${what}: output SOP Instance UID is not a UID`);
  check(
    typeof r.patientPseudonym === "string" && r.patientPseudonym.length > 0,
    `${what}: pseudonym`,
  );
  check(Array.isArray(r.methodCodes) && r.methodCodes.length > 0, `${what}: no method codes`);
  check(Array.isArray(r.parts) && r.parts.length > 0, `${what}: no output parts`);
  check("bytes" in r.parts[0], `${what}: the output does not start with header bytes`);
  for (const p of r.parts) {
    if ("bytes" in p) {
      check(Buffer.isBuffer(p.bytes), `${what}: a part's bytes are not a Buffer`);
      continue;
    }
    check(
      Number.isSafeInteger(p.sourceOffset) &&
        Number.isSafeInteger(p.length) &&
        p.sourceOffset >= 0 &&
        p.length >= 0 &&
        p.sourceOffset + p.length <= data.length,
      `${what}: source range [${p.sourceOffset}, +${p.length}) outside ${data.length} bytes`,
    );
    check(!("swap" in p) || [2, 4, 8].includes(p.swap), `${what}: swap unit ${p.swap}`);
  }
}

const text = (ds, tag) => dataset.text(dataset.find(ds, tag));

/**
 * The assembled output parses again with the engine's own reader (no exception at all), says
 * what the result says, keeps the input's transfer syntax, and carries the pixel bytes unchanged
 * unless they were masked.
 */
async function checkOutputReadsBack(r, data, inputLayout, what) {
  const out = assemble(r, data);
  let layout;
  try {
    layout = await scanner.scan(engine.bufferSource(out), () => true);
  } catch (e) {
    const err = new FuzzFinding(
      `${what}: the engine's own reader refuses its output: ${e && (e.reason || e.message)}`,
    );
    if (e && e.stack) err.stack = `${err.name}: ${err.message}\ncaused by ${e.stack}`;
    throw err;
  }
  check(out.toString("latin1", 128, 132) === "DICM", `${what}: output has no DICM marker`);
  check(layout.transferSyntax === inputLayout.transferSyntax, `${what}: transfer syntax changed`);
  const T = tags.TAG;
  check(
    text(layout.sourceMeta, T.MediaStorageSOPInstanceUID) === r.sopInstanceUid &&
      text(layout.header, T.SOPInstanceUID) === r.sopInstanceUid,
    `${what}: the output's SOP Instance UID is not the one reported`,
  );
  check(text(layout.header, T.PatientIdentityRemoved) === "YES", `${what}: PatientIdentityRemoved`);
  const a = inputLayout.pixel;
  const b = layout.pixel;
  check(Boolean(a) === Boolean(b), `${what}: pixel data appeared or vanished`);
  if (a && b && !r.pixelsMasked) {
    // The value as the output must have it: little endian, maybe padded to an even length.
    let value = layoutBytes(inputLayout, data).subarray(a.valueStart, a.end);
    if (a.swap) value = swapped(value, a.swap);
    const written = out.subarray(b.valueStart, b.end);
    check(
      written.subarray(0, value.length).equals(value) &&
        written.length - value.length >= 0 &&
        written.length - value.length <= 1,
      `${what}: pixel data changed`,
    );
  }
  return out;
}

/**
 * The reader's encodings and a parser over a whole buffer, for both the reader in HEAD
 * (`new Parser(buf, complete)`, `dataset(end, implicit, depth)`) and the one being rewritten
 * (`new Parser(buf, limit)`, `dataset(end, encoding, depth)` with explicit, implicit, big-endian).
 */
const NEW_READER = typeof dataset.tagAt === "function";
const ENCODINGS = NEW_READER ? ["explicit", "implicit", "big-endian"] : [false, true];
const isImplicit = (enc) => enc === true || enc === "implicit";
/** The little endian encoding written for `enc` (big endian input is written little endian). */
const writtenEncoding = (enc) =>
  NEW_READER ? (isImplicit(enc) ? "implicit" : "explicit") : isImplicit(enc);

function parseAll(b, enc) {
  // Old: a truthy second argument says the buffer is the whole input. New: where the input ends.
  const p = new dataset.Parser(b, b.length);
  return p.dataset(b.length, enc, 0);
}

function writeAll(ds, enc) {
  const w = new dataset.Writer(1024);
  dataset.writeDataset(w, ds, isImplicit(enc));
  return w.result();
}

module.exports = {
  ENCODINGS,
  parseAll,
  writeAll,
  writtenEncoding,
  FuzzFinding,
  KEY,
  UNEXPECTED,
  assemble,
  check,
  checkLayout,
  checkOutputReadsBack,
  checkReads,
  checkResult,
  dataset,
  engine,
  expectMalformed,
  scanner,
  trackedSource,
};
