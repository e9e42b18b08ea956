import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { OPTION_NAMES, PROFILES } from "../../../handlers/dicom";
import burnedIn from "../../../handlers/dicom/data/burned-in.json";
import cleanWords from "../../../handlers/dicom/data/clean-words.json";
import dictionary from "../../../handlers/dicom/data/dictionary.json";
import iodTypes from "../../../handlers/dicom/data/iod-types.json";
import pixelMasks from "../../../handlers/dicom/data/pixel-masks.json";
import profile from "../../../handlers/dicom/data/profile.json";
import safeAttributes from "../../../handlers/dicom/data/safe-attributes.json";
import safePrivate from "../../../handlers/dicom/data/safe-private.json";
import { maskRulesProblem } from "../../../handlers/dicom/mask";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CONVERSIONS, render, SHARED } = require("../../../scripts/convert-reference.js");

const ROOT = join(__dirname, "..", "..", "..");
const DICT = dictionary as Record<string, string[]>;
const byKeyword = new Map(Object.entries(DICT).map(([tag, [kw]]) => [kw, tag]));
const tableTags = new Set(profile.rows.map((r) => r.tag));
const UID = /^[0-9]+(\.[0-9]+)*$/;

const haveShared = existsSync(SHARED);
(haveShared || process.env.CI === "true" ? describe : describe.skip)(
  // The marker names what is missing in the end-of-run list (test/reporters/skipped-tools.js).
  "generated DICOM data matches ../shared (scripts/convert-reference.js)" +
    (haveShared || process.env.CI === "true" ? "" : " [SKIPPED: ../shared reference data missing]"),
  () => {
    const dicom = (CONVERSIONS as { target: string }[]).filter((c) =>
      c.target.startsWith("handlers/dicom/data/"),
    );
    test("profile, dictionary and CID 7050 are converted", () => {
      expect(dicom.map((c) => c.target).sort()).toEqual([
        "handlers/dicom/data/cid-7050.json",
        "handlers/dicom/data/dictionary.json",
        "handlers/dicom/data/profile.json",
      ]);
    });
    test.each(dicom.map((c) => [c.target, c]))("%s", (target, c) => {
      expect(readFileSync(join(ROOT, target as string), "utf8")).toBe(render(c));
    });
  },
);

describe("hand-written data files", () => {
  test("safe-attributes.json: known keywords, none in Table E.1-1, no duplicates", () => {
    const all = Object.values(safeAttributes.modules).flat();
    expect(new Set(all).size).toBe(all.length);
    for (const k of all) {
      const tag = byKeyword.get(k);
      expect([k, tag !== undefined]).toEqual([k, true]);
      expect([k, tableTags.has(tag as string)]).toEqual([k, false]);
    }
    // Nothing on the list is a date or a person's name.
    const risky = all.filter((k) =>
      ["DA", "DT", "PN"].includes(DICT[byKeyword.get(k) as string][1]),
    );
    expect(risky).toEqual([]);
  });

  test("safe-private.json: creator, odd group, element offsets with VR and name", () => {
    for (const e of safePrivate.entries) {
      expect(e.creator.length).toBeGreaterThan(0);
      expect(e.group).toMatch(/^[0-9A-F]{4}$/);
      expect(parseInt(e.group, 16) % 2).toBe(1);
      for (const [offset, what] of Object.entries(e.elements)) {
        expect(offset).toMatch(/^[0-9A-F]{2}$/);
        expect(what).toMatch(/^(AE|AS|CS|DS|FD|FL|IS|LO|SH|SL|SS|UL|US) /);
      }
    }
  });

  test("profiles.json: strict is empty, research is the four documented options", () => {
    expect(PROFILES.strict).toEqual([]);
    expect([...PROFILES.research].sort()).toEqual(
      [
        "clean-descriptors",
        "retain-device-identity",
        "retain-longitudinal-modified-dates",
        "retain-patient-characteristics",
      ].sort(),
    );
    for (const opts of Object.values(PROFILES)) {
      for (const o of opts) expect(OPTION_NAMES).toContain(o);
    }
  });

  test("pixel-masks.json rules are valid and are examples for a fictitious vendor", () => {
    expect(maskRulesProblem(pixelMasks.rules)).toBeNull();
    for (const r of pixelMasks.rules) expect(r.manufacturer).toBe("EXAMPLE-VENDOR");
  });

  test("iod-types.json: Types 1-3 for known tags in Table E.1-1 (or unlisted), families of UIDs", () => {
    for (const [tag, entry] of Object.entries(iodTypes.types)) {
      expect(DICT[tag]).toBeDefined();
      for (const [k, v] of Object.entries(entry)) {
        if (k === "name") continue;
        expect(["default", ...Object.keys(iodTypes.families)]).toContain(k);
        expect(["1", "2", "3"]).toContain(v);
      }
    }
    for (const uids of Object.values(iodTypes.families))
      for (const u of uids) expect(u).toMatch(UID);
  });

  test("burned-in.json and clean-words.json are well formed", () => {
    for (const u of Object.keys(burnedIn.sopClasses)) expect(u).toMatch(UID);
    for (const m of burnedIn.modalities) expect(m).toMatch(/^[A-Z]{2,5}$/);
    const words = [
      ...cleanWords.modalities,
      ...cleanWords.anatomy,
      ...cleanWords.views,
      ...cleanWords.contrast,
      ...cleanWords.units,
    ];
    for (const w of words) expect(w).toMatch(/^[A-Z0-9]+$/);
  });
});
