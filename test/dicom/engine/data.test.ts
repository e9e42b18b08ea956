import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { OPTION_NAMES, PROFILES } from "../../../handlers/dicom";
import burnedIn from "../../../handlers/dicom/data/burned-in.json";
import cleanWords from "../../../handlers/dicom/data/clean-words.json";
import dictionary from "../../../handlers/dicom/data/dictionary.json";
import iods from "../../../handlers/dicom/data/iods.json";
import pixelMasks from "../../../handlers/dicom/data/pixel-masks.json";
import profile from "../../../handlers/dicom/data/profile.json";
import safeText from "../../../handlers/dicom/data/safe-text.json";
import safePrivate from "../../../handlers/dicom/data/safe-private.json";
import { maskRulesProblem } from "../../../handlers/dicom/mask";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CONVERSIONS, render, SHARED } = require("../../../scripts/convert-reference.js");

const ROOT = join(__dirname, "..", "..", "..");
const DICT = dictionary as Record<string, string[]>;
const byKeyword = new Map(Object.entries(DICT).map(([tag, [kw]]) => [kw, tag]));
const tableTags = new Set(profile.rows.map((r) => r.tag));
const UID = /^[0-9]+(\.[0-9]+)*$/;
const TEXT_VRS = ["PN", "LO", "SH", "LT", "ST", "UT", "UC", "UN", "UR"];
const SOPS = iods.sops as Record<string, string>;
const IODS = iods.iods as Record<string, string[]>;

const haveShared = existsSync(SHARED);
(haveShared || process.env.CI === "true" ? describe : describe.skip)(
  // The marker names what is missing in the end-of-run list (test/reporters/skipped-tools.js).
  "generated DICOM data matches ../shared (scripts/convert-reference.js)" +
    (haveShared || process.env.CI === "true" ? "" : " [SKIPPED: ../shared reference data missing]"),
  () => {
    const dicom = (CONVERSIONS as { target: string }[]).filter((c) =>
      c.target.startsWith("handlers/dicom/data/"),
    );
    test("profile, dictionary, CID 7050 and the IOD Types are converted", () => {
      expect(dicom.map((c) => c.target).sort()).toEqual([
        "handlers/dicom/data/cid-7050.json",
        "handlers/dicom/data/dictionary.json",
        "handlers/dicom/data/iods.json",
        "handlers/dicom/data/profile.json",
      ]);
    });

    test("iods.json: every IOD of ../shared, every SOP class whose IOD it names", () => {
      const read = (f: string) => JSON.parse(readFileSync(join(SHARED, "dicom", f), "utf8"));
      const ciods = read("ciods.json") as { id: string; name: string }[];
      const sops = read("sops.json") as { id: string; ciod: string }[];
      expect(Object.keys(iods.iods).sort()).toEqual(ciods.map((c) => c.id).sort());
      const names = new Set(ciods.map((c) => c.name));
      for (const s of sops) {
        if (names.has(s.ciod)) expect([s.id, SOPS[s.id]]).toEqual([s.id, expect.any(String)]);
      }
      // The renamed IODs are mapped too (e.g. "Computed Radiography Image" is "CR Image").
      expect(SOPS["1.2.840.10008.5.1.4.1.1.1"]).toBe("cr-image");
      expect(SOPS["1.2.840.10008.5.1.4.1.1.128"]).toBe("pet-image");
    });
    test.each(dicom.map((c) => [c.target, c]))("%s", (target, c) => {
      expect(readFileSync(join(ROOT, target as string), "utf8")).toBe(render(c));
    });
  },
);

describe("the IOD Types conversion (scripts/convert-reference.js)", () => {
  const convert = (
    CONVERSIONS as { target: string; transform: (...a: unknown[]) => unknown }[]
  ).find((c) => c.target === "handlers/dicom/data/iods.json")?.transform as (
    ...a: unknown[]
  ) => typeof iods;

  test("1C counts as 1, 2C as 2, 3 is left out; the most demanding Type wins; macros sit in FG sequences", () => {
    const out = convert(
      [
        { id: "x-image", name: "X Image" },
        { id: "us-image", name: "US Image" },
      ],
      [
        { ciodId: "x-image", moduleId: "m", usage: "M" },
        { ciodId: "us-image", moduleId: "m", usage: "U" },
      ],
      [
        { moduleId: "m", path: "m:00080023", tag: "(0008,0023)", type: "2C" },
        { moduleId: "m", path: "m:00080033", tag: "(0008,0033)", type: "3" },
        { moduleId: "m", path: "m:0040a730", tag: "(0040,A730)", type: "1C" },
        { moduleId: "m", path: "m:0040a730:0040a160", tag: "(0040,A160)", type: "3" },
        { moduleId: "m", path: "m:0040a730:0040a730:0040a160", tag: "(0040,A160)", type: "1C" },
      ],
      [{ macroId: "g", path: "g:00209111:00189074", tag: "(0018,9074)", type: "1C" }],
      [{ ciodId: "x-image", macroId: "g", usage: "M" }],
      [
        { id: "1.2.3.1", name: "X Image Storage", ciod: "X Image" },
        { id: "1.2.3.2", name: "Ultrasound Image Storage", ciod: "Ultrasound Image" },
        { id: "1.2.3.3", name: "Newer Storage", ciod: "Newer Image" },
      ],
    );
    expect(out.sops).toEqual({ "1.2.3.1": "x-image", "1.2.3.2": "us-image" });
    expect(out.iods).toEqual({ "x-image": ["m", "fg/g"], "us-image": ["m"] });
    const set = (table: string, parent: string) => {
      const pair = (out.tables as Record<string, string>)[table]
        .split(" ")
        .find((p) => p.startsWith(`${parent}=`));
      return pair ? out.sets[Number(pair.split("=")[1])] : undefined;
    };
    expect(set("m", "0")).toBe("00080023=2 0040A730=1");
    expect(set("m", "0040A730")).toBe("0040A160=1");
    expect(set("fg/g", "00209111")).toBe("00189074=1");
    expect(set("fg/g", "0")).toBeUndefined();
  });

  test("a functional group macro's own attributes go under the Shared and Per-frame sequences", () => {
    const out = convert(
      [{ id: "x", name: "X" }],
      [],
      [],
      [{ macroId: "g", path: "g:00289110", tag: "(0028,9110)", type: "1" }],
      [{ ciodId: "x", macroId: "g", usage: "C" }],
      [],
    );
    expect(out.tables).toEqual({ "fg/g": "52009229=0 52009230=0" });
    expect(out.sets).toEqual(["00289110=1"]);
  });
});

describe("hand-written data files", () => {
  test("safe-text.json: known free-text keywords outside Table E.1-1, never a person's name", () => {
    const safe = safeText.safe.flatMap((g) => g.keywords);
    const notSafe = safeText.notSafe.flatMap((g) => g.keywords);
    const all = [...safe, ...notSafe];
    expect(new Set(all).size).toBe(all.length); // no duplicates, none both safe and not
    for (const k of all) {
      const tag = byKeyword.get(k);
      expect([k, tag !== undefined]).toEqual([k, true]);
      expect([k, tableTags.has(tag as string)]).toEqual([k, false]);
      // Only free-text VRs need a review: any other VR is kept by rule.
      expect([k, TEXT_VRS.includes(DICT[tag as string][1])]).toEqual([k, true]);
    }
    expect(safe.filter((k) => DICT[byKeyword.get(k) as string][1] === "PN")).toEqual([]);
    for (const g of [...safeText.safe, ...safeText.notSafe])
      expect(g.why.length).toBeGreaterThan(20);
  });

  test("safe-text.json sameAs: attributes outside the Table take the row of one in it", () => {
    for (const [k, analog] of Object.entries(safeText.sameAs.rows)) {
      expect([k, tableTags.has(byKeyword.get(k) as string)]).toEqual([k, false]);
      expect([analog, tableTags.has(byKeyword.get(analog) as string)]).toEqual([analog, true]);
    }
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

  test("iods.json: SOP classes name IODs, IODs name tables, tables name sets of Types 1 and 2", () => {
    for (const [uid, iod] of Object.entries(SOPS)) {
      expect(uid).toMatch(UID);
      expect(IODS[iod]).toBeDefined();
    }
    const tables = iods.tables as Record<string, string>;
    for (const list of Object.values(IODS)) for (const t of list) expect(tables[t]).toBeDefined();
    for (const entry of Object.values(tables)) {
      for (const pair of entry.split(" ")) {
        expect(pair).toMatch(/^(0|[0-9A-F]{8})=\d+$/);
        expect(iods.sets[Number(pair.split("=")[1])]).toBeDefined();
      }
    }
    // Repeating groups keep their X digits (60XX0010: Overlay Rows of any overlay group).
    const entry = "[0-9A-FX]{8}=[12]";
    for (const set of iods.sets) expect(set).toMatch(new RegExp(`^${entry}( ${entry})*$`));
  });

  test("burned-in.json and clean-words.json are well formed", () => {
    for (const u of Object.keys(burnedIn.sopClasses)) expect(u).toMatch(UID);
    for (const m of burnedIn.modalities) expect(m).toMatch(/^[A-Z]{2,5}$/);
    const words = [
      ...cleanWords.modalities,
      ...cleanWords.anatomy,
      ...cleanWords.views,
      ...cleanWords.contrast,
      ...cleanWords.findings,
      ...cleanWords.units,
    ];
    for (const w of words) expect(w).toMatch(/^[A-Z0-9]+$/);
  });
});
