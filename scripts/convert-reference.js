#!/usr/bin/env node
"use strict";
// Converts the reference data in ../shared into files the project ships, so nothing reads
// ../shared at run time. Run it when ../shared changes; test/reference.test.ts checks that the
// shipped files still match their sources.
//   node scripts/convert-reference.js [--check]
const { readFileSync, writeFileSync, renameSync, existsSync } = require("node:fs");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");
const SHARED = process.env.IMGSEC_SHARED || join(ROOT, "..", "shared");

/** Table E.1-1 option columns -> the option names of handlers/dicom (OptionName). */
const DICOM_OPTION_COLUMNS = {
  rtnSafePrivOpt: "retain-safe-private",
  rtnUIDsOpt: "retain-uids",
  rtnDevIdOpt: "retain-device-identity",
  rtnInstIdOpt: "retain-institution-identity",
  rtnPatCharsOpt: "retain-patient-characteristics",
  rtnLongFullDatesOpt: "retain-longitudinal-full-dates",
  rtnLongModifDatesOpt: "retain-longitudinal-modified-dates",
  cleanDescOpt: "clean-descriptors",
  cleanStructContOpt: "clean-structured-content",
  cleanGraphOpt: "clean-graphics",
};

/** "(0010,0010)" -> "00100010", "(50XX,XXXX)" -> "50XXXXXX", the odd-group row -> "private". */
function dicomTag(tag) {
  if (/^\(GGGG,EEEE\) WHERE GGGG IS ODD$/i.test(tag)) return "private";
  const m = /^\(([0-9A-FX]{4}),([0-9A-FX]{4})\)$/i.exec(tag);
  if (!m) throw new Error(`unexpected DICOM tag form: ${tag}`);
  return (m[1] + m[2]).toUpperCase();
}

/** Each conversion: source file under shared/, target under the repo, and a pure transform. */
const CONVERSIONS = [
  {
    source: "hipaa/security-rule.json",
    target: "compliance/hipaa-security-rule.json",
    transform: (src) => ({
      source: src.source,
      security_rule: src.security_rule.map((r) => ({
        citation: r.citation,
        title: r.title,
        kind: r.kind,
      })),
      safe_harbor_164_514_b_2_i: src.safe_harbor_164_514_b_2_i,
      re_identification_164_514_c: src.re_identification_164_514_c,
    }),
  },
  {
    source: "dicom/ps3.15-table-e1-1.json",
    target: "handlers/dicom/data/profile.json",
    transform: (rows) => ({
      source: "DICOM PS3.15 Table E.1-1, edition 2024b (innolitics/dicom-standard extraction)",
      rows: rows.map((r) => {
        const options = {};
        for (const [column, option] of Object.entries(DICOM_OPTION_COLUMNS)) {
          if (r[column]) options[option] = r[column];
        }
        return {
          tag: dicomTag(r.tag),
          name: r.name.replace(/\s+/g, " ").trim(),
          basic: r.basicProfile,
          options,
        };
      }),
    }),
  },
  {
    source: "dicom/attributes.json",
    target: "handlers/dicom/data/dictionary.json",
    // tag -> [keyword, VR]; "US or SS" keeps the first VR, anything allowing OW reads as OW
    // (what implicit VR little endian means), the item tags have no VR and are left out.
    transform: (rows) => {
      const out = {};
      for (const r of rows) {
        if (!r.keyword || r.tag.startsWith("(FFFE,")) continue;
        const vrs = r.valueRepresentation.split(" or ");
        out[dicomTag(r.tag)] = [r.keyword, vrs.includes("OW") ? "OW" : vrs[0] || "UN"];
      }
      return out;
    },
  },
  {
    source: "dicom/cid-7050.json",
    target: "handlers/dicom/data/cid-7050.json",
    transform: (src) => ({
      source: src.source,
      codingSchemeDesignator: "DCM",
      codes: Object.fromEntries(src.codes.map((c) => [c.value, c.meaning])),
    }),
  },
];

function render(c) {
  const src = JSON.parse(readFileSync(join(SHARED, c.source), "utf8"));
  return JSON.stringify(c.transform(src), null, 1) + "\n";
}

function main() {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const c of CONVERSIONS) {
    const target = join(ROOT, c.target);
    const text = render(c);
    const current = existsSync(target) ? readFileSync(target, "utf8") : "";
    if (current === text) continue;
    if (check) {
      process.stderr.write(`stale: ${c.target} differs from ../shared/${c.source}\n`);
      stale++;
    } else {
      writeFileSync(`${target}.tmp`, text);
      renameSync(`${target}.tmp`, target);
      process.stderr.write(`wrote ${c.target}\n`);
    }
  }
  process.exitCode = stale ? 1 : 0;
}

module.exports = { CONVERSIONS, render, SHARED };
if (require.main === module) main();
