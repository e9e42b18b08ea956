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

/**
 * SOP classes whose IOD the 2020 PS3.3 extraction names differently (sops.json is from 2025):
 * the same IOD under its older name. SOP classes of IODs newer than that extraction stay
 * unmapped; the engine then applies the most demanding Type of every IOD (see iodTypes).
 */
const IOD_ALIASES = {
  "Computed Radiography Image": "CR Image",
  "Ultrasound Image": "US Image",
  "Ultrasound Multi-frame Image": "US Multi-frame Image",
  "Nuclear Medicine Image": "NM Image",
  "Positron Emission Tomography Image": "PET Image",
  "Multi-frame Single Bit Secondary Capture Image": "Multi-frame Single Bit SC Image",
  "Multi-frame Grayscale Byte Secondary Capture Image": "Multi-frame Grayscale Byte SC Image",
  "Multi-frame Grayscale Word Secondary Capture Image": "Multi-frame Grayscale Word SC Image",
  "Multi-frame True Color Secondary Capture Image": "Multi-frame True Color SC Image",
  "Patient Radiation Dose SR": "Patient Radiation Dose Structured Report",
};

/** The functional group sequences whose items hold a functional group macro's attributes. */
const FUNCTIONAL_GROUP_SEQUENCES = ["52009229", "52009230"]; // Shared, Per-frame

/** PS3.3 Type -> the Type the engine needs: 1C counts as 1, 2C as 2; 3 (and none) are left out. */
const TYPE = { 1: 1, "1C": 1, 2: 2, "2C": 2 };

/**
 * Attribute Types per IOD from PS3.3 (ciods, ciod-modules, module-attributes, macro-attributes,
 * ciod-functional-group-macros) and SOP Class UID -> IOD (sops). Only Types 1 and 2 are kept
 * (anything absent is Type 3), keyed by the attribute's parent sequence ("0": the top level), the
 * most demanding Type winning when an attribute appears several times under the same parent.
 * Tables (modules, and functional group macros as "fg/<id>", whose top level lies inside the
 * Shared and Per-frame Functional Groups Sequences) name shared child sets by index.
 */
function iodTypes(ciods, ciodModules, moduleAttributes, macroAttributes, fgMacros, sops) {
  const tagOf = (t) => t.replace(/[(),]/g, "").toUpperCase();
  const byName = new Map(ciods.map((c) => [c.name, c.id]));
  const iods = {};
  for (const c of ciods) iods[c.id] = [];
  const add = (iod, table) => {
    if (!iods[iod]) throw new Error(`unknown IOD ${iod}`);
    if (!iods[iod].includes(table)) iods[iod].push(table);
  };
  for (const r of ciodModules) add(r.ciodId, r.moduleId);
  for (const r of fgMacros) add(r.ciodId, `fg/${r.macroId}`);
  const used = new Set(Object.values(iods).flat());

  /** table -> parent -> tag -> Type */
  const raw = new Map();
  const collect = (table, path, tag, type, fg) => {
    const t = TYPE[type];
    if (!t || !used.has(table)) return;
    const parts = path.split(":").slice(1);
    if (tagOf(parts[parts.length - 1]) !== tagOf(tag)) throw new Error(`path ${path} vs ${tag}`);
    const parents =
      parts.length > 1 ? [tagOf(parts[parts.length - 2])] : fg ? FUNCTIONAL_GROUP_SEQUENCES : ["0"];
    if (!raw.has(table)) raw.set(table, new Map());
    for (const parent of parents) {
      const children = raw.get(table).get(parent) ?? new Map();
      raw.get(table).set(parent, children);
      const key = tagOf(tag);
      children.set(key, Math.min(children.get(key) ?? 3, t));
    }
  };
  for (const r of moduleAttributes) collect(r.moduleId, r.path, r.tag, r.type, false);
  for (const r of macroAttributes) collect(`fg/${r.macroId}`, r.path, r.tag, r.type, true);

  const sets = [];
  const setIndex = new Map();
  const tables = {};
  for (const table of [...raw.keys()].sort()) {
    const parents = raw.get(table);
    tables[table] = [...parents.keys()]
      .sort()
      .map((parent) => {
        const set = [...parents.get(parent)]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([tag, t]) => `${tag}=${t}`)
          .join(" ");
        if (!setIndex.has(set)) {
          setIndex.set(set, sets.length);
          sets.push(set);
        }
        return `${parent}=${setIndex.get(set)}`;
      })
      .join(" ");
  }
  for (const list of Object.values(iods))
    list.splice(0, list.length, ...list.filter((t) => tables[t]));

  const sopToIod = {};
  for (const s of sops) {
    const iod = byName.get(s.ciod) ?? byName.get(IOD_ALIASES[s.ciod]);
    if (iod) sopToIod[s.id] = iod;
  }
  return {
    source:
      "DICOM PS3.3 IODs, modules, macros and functional group macros (innolitics/dicom-standard, PyPI dicom-standard 0.1.0, 2020) and SOP classes (innolitics/dicom-standard, 2025)",
    note: "Generated by scripts/convert-reference.js; do not edit. Attribute Types (PS3.3) per IOD, for the de-identification engine: a Type 1 attribute gets a dummy value, a Type 2 attribute stays present and empty, where the Basic Profile or the retention rules would remove it. `sops`: SOP Class UID -> IOD (SOP classes of IODs newer than the 2020 extraction are absent: the engine then takes the most demanding Type over every IOD). `iods`: IOD -> its modules (usage M, C and U alike: a Type applies whenever the attribute is present) and functional group macros (`fg/<id>`). `tables`: module or macro -> space-separated `parent=set`, where parent is the tag of the enclosing sequence (0: the top level of the data set; a functional group macro's own attributes sit under the Shared and Per-frame Functional Groups Sequences, 5200,9229 and 5200,9230). `sets`: space-separated `tag=Type`, Type 1 (1 and 1C) or 2 (2 and 2C); an attribute not listed is Type 3. Under one parent the most demanding Type over every path wins (the safe side for validity).",
    sops: sopToIod,
    iods,
    tables,
    sets,
  };
}

/**
 * Each conversion: source file under shared/, target under the repo, and a pure transform (or
 * `verbatim`: the source copied as it is).
 */
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
    source: [
      "dicom/ciods.json",
      "dicom/ciod-modules.json",
      "dicom/module-attributes.json",
      "dicom/macro-attributes.json",
      "dicom/ciod-functional-group-macros.json",
      "dicom/sops.json",
    ],
    target: "handlers/dicom/data/iods.json",
    transform: iodTypes,
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
  {
    // NIST's schema as ../shared holds it, byte for byte (not reformatted, so its digest can be
    // compared with the published file): the report's OSCAL output is validated against it.
    source: "oscal/oscal-ar-1.1.3_schema.json",
    target: "compliance/schema/oscal-ar-1.1.3_schema.json",
    verbatim: true,
  },
];

/** One conversion's sources, parsed; `source` is one path or a list of paths under shared/. */
const sourcesOf = (c) => (Array.isArray(c.source) ? c.source : [c.source]);

function render(c) {
  if (c.verbatim) return readFileSync(join(SHARED, c.source), "utf8");
  const sources = sourcesOf(c).map((s) => JSON.parse(readFileSync(join(SHARED, s), "utf8")));
  return JSON.stringify(c.transform(...sources), null, 1) + "\n";
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
      process.stderr.write(
        `stale: ${c.target} differs from ../shared/${sourcesOf(c).join(", ")}\n`,
      );
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
