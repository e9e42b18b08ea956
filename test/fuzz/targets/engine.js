"use strict";
/**
 * Fuzz target: the whole engine, deidentify(bufferSource(data), config) under a fixed test key,
 * with the strict default and with every option (full dates excluded: it excludes modified
 * dates). Each input must end in exactly one documented outcome, deterministically: a refusal
 * with one of the engine's fixed reasons (never the catch-all that stands for an unplanned
 * exception), or an output whose source ranges lie inside the input, that the engine's own
 * reader parses again, and that the engine de-identifies again without refusing it.
 */
const {
  KEY,
  check,
  checkOutputReadsBack,
  checkReads,
  checkResult,
  engine,
  expectMalformed,
  scanner,
  trackedSource,
} = require("./common");

const STRICT = { options: [], pseudonymizationKey: KEY };
const EVERY_OPTION = {
  options: engine.OPTION_NAMES.filter((o) => o !== "retain-longitudinal-full-dates"),
  pseudonymizationKey: KEY,
};

async function once(data, config, what) {
  const src = trackedSource(data);
  const r = await engine.deidentify(src, config);
  checkReads(src, what);
  checkResult(r, data, what);
  return r;
}

async function fuzzOne(data, config, what) {
  const r = await once(data, config, what);
  // One input, one outcome: a second run says the same, byte for byte.
  const again = await once(data, config, `${what} (second run)`);
  check(
    again.status === r.status && again.reason === r.reason,
    `${what}: outcome not deterministic`,
  );
  if (r.status !== "deidentified") return;

  // The input's layout as the engine saw it: elements after the pixel data that it drops are
  // skipped unread (by design), so ask to keep none of them.
  let inputLayout;
  try {
    inputLayout = await scanner.scan(engine.bufferSource(data), () => false);
  } catch (e) {
    expectMalformed(e, `${what}: scan of an input the engine de-identified`);
    check(false, `${what}: the engine de-identified an input its reader refuses`);
  }
  const out = await checkOutputReadsBack(r, data, inputLayout, what);
  const out2 = await checkOutputReadsBack(again, data, inputLayout, what);
  check(out.equals(out2), `${what}: output bytes not deterministic`);

  const r2 = await once(out, config, `${what}, on its own output`);
  check(r2.status !== "rejected", `${what}: the engine rejects its own output (${r2.reason})`);
}

module.exports.fuzz = async function fuzz(data) {
  await fuzzOne(data, STRICT, "deidentify (strict)");
  await fuzzOne(data, EVERY_OPTION, "deidentify (every option)");
};
