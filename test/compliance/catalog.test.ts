/**
 * The compliance catalog (compliance/*.json joined with the rules' metadata by catalog.ts): the
 * shipped data checked against the Security Rule, the rules that cite it and the de-identification
 * engine, and the loader's refusals of a broken catalog.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadComplianceCatalog } from "../../compliance/catalog";
import { AUDIT_RULES } from "../../handlers/audit/rules";
import dictionary from "../../handlers/dicom/data/dictionary.json";
import profile from "../../handlers/dicom/data/profile.json";
import { resolverFor } from "../../handlers/dicom/profile";
import type { DcmjsDataset, DcmjsElement } from "../dicom/corpus/dcmjs";
import { bytes, deid, fakeCt, part10, pn, seq, str, CT_IMAGE } from "../dicom/engine/helpers";

const ROOT = join(__dirname, "..", "..");
const readJson = (rel: string) => JSON.parse(readFileSync(join(ROOT, rel), "utf8"));

interface Row {
  citation: string;
  title: string;
  kind: "standard" | "required" | "addressable";
}
interface RuleMeta {
  id: string;
  controls: string[];
}
const securityRule = readJson("compliance/hipaa-security-rule.json") as {
  security_rule: Row[];
  safe_harbor_164_514_b_2_i: { item: string; identifier: string }[];
};
type Controls = Record<
  string,
  { organizational: boolean; evidence?: string[]; inquiries: string[]; duty: string }
>;
type SafeHarborFile = {
  identifiers: Record<string, { handling: string; tags: string[]; caveat?: string }>;
};
const controls = readJson("compliance/controls.json") as Controls;
const safeHarborData = readJson("compliance/safe-harbor.json") as SafeHarborFile;
const CITATIONS = securityRule.security_rule.map((r) => r.citation);

/** Every rule that can cite a control, read independently of the loader, by where it comes from. */
const RULES: { id: string; controls: string[]; source: "deployment" | "package" | "audit" }[] = [
  ...(readJson("policies/dist/catalog.json") as RuleMeta[]).map((r) => ({
    ...r,
    source: "deployment" as const,
  })),
  ...(readJson("policies/dist/package-catalog.json") as RuleMeta[]).map((r) => ({
    ...r,
    source: "package" as const,
  })),
  ...Object.values(AUDIT_RULES).map((r) => ({
    id: r.rule,
    controls: [...r.controls],
    source: "audit" as const,
  })),
];

const catalog = loadComplianceCatalog();
const spec = (citation: string) => {
  const s = catalog.specs.find((x) => x.citation === citation);
  if (!s) throw new Error(`no spec ${citation}`);
  return s;
};

describe("Security Rule specifications", () => {
  test("controls.json has an entry for exactly every citation of hipaa-security-rule.json", () => {
    expect(CITATIONS).toHaveLength(65);
    expect(Object.keys(controls).sort()).toEqual([...CITATIONS].sort());
  });

  test("the catalog lists every specification once, in the order of the Security Rule file", () => {
    expect(catalog.specs.map((s) => s.citation)).toEqual(CITATIONS);
    for (const [i, row] of securityRule.security_rule.entries()) {
      expect(catalog.specs[i]).toMatchObject({ title: row.title, kind: row.kind });
    }
  });

  test("every rule's controls are citations spelled as in hipaa-security-rule.json", () => {
    expect(RULES.length).toBeGreaterThan(60);
    const known = new Set(CITATIONS);
    const unknown = RULES.flatMap((r) =>
      r.controls.filter((c) => !known.has(c)).map((c) => `${r.id}: ${c}`),
    );
    expect(unknown).toEqual([]);
  });

  test("a specification lists exactly the rules that cite it, and every rule is listed", () => {
    for (const s of catalog.specs) {
      const citing = RULES.filter((r) => r.controls.includes(s.citation)).map((r) => r.id);
      expect([s.citation, s.rules.map((r) => r.rule).sort()]).toEqual([s.citation, citing.sort()]);
      for (const r of s.rules) {
        expect(RULES.find((x) => x.id === r.rule)?.source).toBe(r.source);
        expect(r.title.length).toBeGreaterThan(0);
      }
    }
    const listed = new Set(catalog.specs.flatMap((s) => s.rules.map((r) => r.rule)));
    expect(RULES.map((r) => r.id).filter((id) => !listed.has(id))).toEqual([]);
    expect(spec("164.312(b)").rules.map((r) => r.rule)).toEqual(
      expect.arrayContaining(["IMGSEC-CT-001", "IMGSEC-AUDIT-001", "IMGSEC-AUDIT-008"]),
    );
  });

  test("runtime evidence: the kinds the rules imply plus controls.json's, sorted and unique", () => {
    const implied = { deployment: "iac", package: "packages", audit: "audit-log" } as const;
    for (const s of catalog.specs) {
      const kinds = new Set<string>(controls[s.citation].evidence ?? []);
      for (const r of RULES.filter((x) => x.controls.includes(s.citation))) {
        kinds.add(implied[r.source]);
      }
      expect([s.citation, s.runtime]).toEqual([s.citation, [...kinds].sort()]);
    }
    expect(spec("164.312(a)(2)(iv)").runtime).toEqual(["iac", "packages"]);
    expect(spec("164.312(c)(1)").runtime).toEqual(["audit-log", "iac", "packages"]);
    expect(spec("164.308(a)(1)(ii)(D)").runtime).toEqual(["audit-log", "iac"]);
    expect(spec("164.308(a)(1)(ii)(C)").runtime).toEqual([]);
  });

  test("extra evidence in controls.json adds a kind the rules do not already imply", () => {
    for (const [citation, entry] of Object.entries(controls)) {
      const fromRules = new Set(
        RULES.filter((r) => r.controls.includes(citation)).map(
          (r) => ({ deployment: "iac", package: "packages", audit: "audit-log" })[r.source],
        ),
      );
      for (const kind of entry.evidence ?? [])
        expect([citation, kind, fromRules.has(kind)]).toEqual([citation, kind, false]);
    }
  });

  test("required: a Required specification, or a standard without specifications of its own", () => {
    const expected: Record<string, boolean> = {
      "164.310(c)": true, // Workstation security: a standard with no specification
      "164.310(b)": true,
      "164.312(b)": true,
      "164.312(d)": true,
      "164.308(a)(2)": true,
      "164.316(a)": true,
      "164.308(a)(1)(ii)(A)": true, // Risk analysis: Required
      "164.312(a)(2)(iv)": false, // Encryption and decryption: Addressable
      "164.308(a)(1)(i)": false, // a standard whose specifications carry it
      "164.312(a)(1)": false,
      "164.316(b)(1)": false,
    };
    for (const [citation, required] of Object.entries(expected)) {
      expect([citation, spec(citation).required]).toEqual([citation, required]);
    }
    for (const s of catalog.specs) {
      if (s.kind === "addressable") expect(s.required).toBe(false);
      if (s.kind === "required") expect(s.required).toBe(true);
    }
    // 21 Required specifications and 7 standards without specifications of their own.
    expect(catalog.specs.filter((s) => s.required)).toHaveLength(28);
  });

  test("each implementation specification names the standard of its paragraph", () => {
    const paragraph = (c: string) => /^164\.\d{3}\([a-z]\)/.exec(c)?.[0];
    for (const s of catalog.specs) {
      if (s.kind === "standard") {
        expect(s.standard).toBeUndefined();
        continue;
      }
      expect(s.standard).toBeDefined();
      expect(spec(s.standard as string).kind).toBe("standard");
      expect([s.citation, paragraph(s.standard as string)]).toEqual([
        s.citation,
        paragraph(s.citation),
      ]);
    }
    expect(spec("164.308(b)(3)").standard).toBe("164.308(b)(1)");
    expect(spec("164.316(b)(2)(iii)").standard).toBe("164.316(b)(1)");
  });

  test("every specification has 2 to 4 inquiries of its own, phrased like the OCR audit protocol, and a duty", () => {
    const protocol =
      /^(Obtain and review|Inquire of management|Evaluate and determine|If (so|it does), obtain and review) /;
    const all: string[] = [];
    for (const s of catalog.specs) {
      expect([s.citation, s.inquiries.length >= 2 && s.inquiries.length <= 4]).toEqual([
        s.citation,
        true,
      ]);
      for (const q of s.inquiries) {
        expect([s.citation, q]).toEqual([s.citation, expect.stringMatching(protocol)]);
        expect(q).toMatch(/[.?]$/);
      }
      all.push(...s.inquiries);
      expect(s.organizationalDuty).toEqual(expect.any(String));
    }
    // Specific to each specification: no inquiry is copied from one to another.
    expect(new Set(all).size).toBe(all.length);
  });

  test("automated rules' citations live only in their metadata, never in controls.json", () => {
    expect(readFileSync(join(ROOT, "compliance", "controls.json"), "utf8")).not.toMatch(
      /IMGSEC-[A-Z0-9]+-\d{3}/,
    );
  });

  test("purely organizational specifications need an attestation; none is satisfied by evidence it lacks", () => {
    expect(spec("164.308(a)(3)(ii)(B)")).toMatchObject({
      needsAttestation: true,
      rules: [],
      runtime: [],
    });
    expect(spec("164.312(a)(2)(iv)").needsAttestation).toBe(true); // key custody stays a duty
    for (const s of catalog.specs.filter((x) => !x.needsAttestation)) {
      // Evidence alone can satisfy it only if there is evidence to give.
      expect([s.citation, s.rules.length > 0 && s.runtime.length > 0]).toEqual([s.citation, true]);
    }
    expect(catalog.specs.filter((s) => s.needsAttestation).length).toBeGreaterThan(55);
  });

  test("applicability is stated where a specification may not apply", () => {
    for (const c of [
      "164.308(a)(4)(ii)(A)",
      "164.314(a)(2)(ii)",
      "164.314(b)(1)",
      "164.314(b)(2)",
    ]) {
      expect([c, spec(c).applicability]).toEqual([c, expect.stringMatching(/^Only /)]);
    }
    expect(spec("164.312(a)(1)").applicability).toBeUndefined();
  });

  test("the catalog is cached and frozen", () => {
    expect(loadComplianceCatalog()).toBe(catalog);
    expect(loadComplianceCatalog({ root: ROOT })).toBe(catalog);
    expect(Object.isFrozen(catalog.specs[0].inquiries)).toBe(true);
    expect(() => (catalog.specs as unknown[]).push({})).toThrow();
  });
});

type ProfileRow = { tag: string; name: string; basic: string };
const PROFILE = new Map((profile.rows as ProfileRow[]).map((r) => [r.tag, r]));
const DICT = dictionary as Record<string, string[]>;
const displayTag = (t: string) => `(${t.slice(0, 4)},${t.slice(4)})`;

describe("Safe Harbor (164.514(b)(2)(i))", () => {
  test("covers the 18 identifiers A to R, in order, with the regulation's text", () => {
    expect(catalog.safeHarbor.map((h) => h.letter)).toEqual("ABCDEFGHIJKLMNOPQR".split(""));
    expect(Object.keys(safeHarborData.identifiers)).toEqual("ABCDEFGHIJKLMNOPQR".split(""));
    for (const [i, h] of securityRule.safe_harbor_164_514_b_2_i.entries()) {
      expect(catalog.safeHarbor[i].identifier).toBe(h.identifier);
    }
    expect(catalog.reidentification).toMatch(/164\.514\(c\)\(1\)/);
    expect(catalog.reidentification).toMatch(/--map-out/);
  });

  test("every tag is a row of Table E.1-1, with its keyword and Basic Profile action", () => {
    for (const h of catalog.safeHarbor) {
      const tags = safeHarborData.identifiers[h.letter].tags;
      expect(h.attributes).toHaveLength(tags.length);
      for (const [i, tag] of tags.entries()) {
        const row = PROFILE.get(tag);
        expect([h.letter, tag, row !== undefined]).toEqual([h.letter, tag, true]);
        expect(h.attributes[i]).toEqual({
          tag: tag === "private" ? "private" : displayTag(tag),
          name: DICT[tag]?.[0] ?? row?.name,
          action: row?.basic,
        });
      }
      // A letter with nothing in the Table to point to says why in its caveat.
      if (tags.length === 0) expect(h.caveat).toEqual(expect.any(String));
    }
    const a = catalog.safeHarbor[0].attributes;
    expect(a[0]).toEqual({ tag: "(0010,0010)", name: "PatientName", action: "Z" });
    expect(a.map((x) => x.tag)).toContain("(0008,0090)");
  });

  test("no listed attribute is kept (K) by the strict profile unless the caveat says why", () => {
    const strict = resolverFor(new Set(), CT_IMAGE);
    const anyIod = resolverFor(new Set(), "");
    for (const h of catalog.safeHarbor) {
      for (const attr of h.attributes) {
        const kept = attr.action.split("/").includes("K");
        const exact = /^\(([0-9A-F]{4}),([0-9A-F]{4})\)$/.exec(attr.tag);
        const engineKeeps =
          exact !== null &&
          [strict, anyIod].some((r) => r.action(parseInt(exact[1] + exact[2], 16)) === "K");
        if (kept || engineKeeps)
          expect([h.letter, attr.tag, h.caveat ?? ""]).toEqual([
            h.letter,
            attr.tag,
            expect.stringContaining(attr.tag),
          ]);
      }
    }
  });
});

/** A planted value of `vr` that the output must not carry, and the text to look for. */
function planted(vr: string, i: number): { el: DcmjsElement; needle: string } | undefined {
  const n = String(i).padStart(3, "0");
  const day = new Date(Date.UTC(2023, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
  const date = day.replace(/-/g, "");
  switch (vr) {
    case "PN":
      return { el: pn(`PLANTED^N${n}`), needle: `PLANTED^N${n}` };
    case "LO":
    case "LT":
    case "SH":
    case "ST":
    case "UT":
    case "UC":
    case "CS":
      return { el: str(vr, `PLANTED${n}`), needle: `PLANTED${n}` };
    case "AE":
      return { el: str(vr, `PLANTAE${n}`), needle: `PLANTAE${n}` };
    case "UI":
      return { el: str(vr, `1.2.826.0.1.3680043.10.999.55.${i}`), needle: `999.55.${i}` };
    case "DA":
      return { el: str(vr, date), needle: date };
    case "DT":
      return { el: str(vr, `${date}101010`), needle: date };
    case "TM":
      return { el: str(vr, `10${n.slice(1)}59`), needle: `10${n.slice(1)}59` };
    case "AS":
      return { el: str(vr, "095Y"), needle: "095Y" };
    case "DS":
      return { el: str(vr, `47.6${n}`), needle: `47.6${n}` };
    case "SQ":
      return {
        el: seq({ "00080100": str("SH", `PLANTSQ${n}`), "00080102": str("SH", "99PLANT") }),
        needle: `PLANTSQ${n}`,
      };
    case "OB":
    case "OW":
      return { el: bytes(vr, new Uint8Array(Buffer.from(`PLANTBIN${n}`))), needle: `PLANTBIN${n}` };
    default:
      return undefined;
  }
}

describe("the strict profile, run through the engine", () => {
  test("no listed attribute's value survives, except those the caveats name", async () => {
    const survivors: string[] = [];
    let i = 0;
    for (const h of catalog.safeHarbor) {
      for (const tag of safeHarborData.identifiers[h.letter].tags) {
        i += 1;
        // Repeating groups and private attributes take one concrete tag, as the engine's row test does.
        const concrete = tag === "60XX3000" ? "60043000" : tag === "private" ? "00091010" : tag;
        const vr = tag === "private" ? "LO" : DICT[tag]?.[1];
        const value = vr === undefined ? undefined : planted(vr, i);
        if (!value) throw new Error(`no planted value for ${tag} (${vr})`);
        const extra: DcmjsDataset = { [concrete]: value.el };
        if (tag === "private") extra["00090010"] = str("LO", "PLANT CREATOR");
        const input = part10(fakeCt(extra));
        const needle = Buffer.from(value.needle, "latin1");
        expect([tag, input.includes(needle)]).toEqual([tag, true]);
        const { out } = await deid(input);
        if (out.includes(needle)) {
          survivors.push(`${h.letter} ${displayTag(tag)}`);
          expect([h.letter, h.caveat ?? ""]).toEqual([
            h.letter,
            expect.stringContaining(displayTag(tag)),
          ]);
        }
      }
    }
    // None today. Person Identification Code Sequence is D: its items are kept, their codes and
    // meanings replaced by keyed dummies (the K caveat). When the engine changes, update both.
    expect(survivors).toEqual([]);
  });
});

describe("a broken catalog is refused, naming what is wrong", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "imgsec-catalog-"));
    mkdirSync(join(root, "compliance"));
    mkdirSync(join(root, "policies", "dist"), { recursive: true });
    for (const file of ["hipaa-security-rule.json", "controls.json", "safe-harbor.json"]) {
      copyFileSync(join(ROOT, "compliance", file), join(root, "compliance", file));
    }
    for (const file of ["catalog.json", "package-catalog.json"]) {
      copyFileSync(join(ROOT, "policies", "dist", file), join(root, "policies", "dist", file));
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const edit = <T>(rel: string, change: (json: T) => void) => {
    const file = join(root, rel);
    const json = JSON.parse(readFileSync(file, "utf8")) as T;
    change(json);
    writeFileSync(file, JSON.stringify(json));
  };

  test("an intact copy loads, as its own cache entry", () => {
    const copy = loadComplianceCatalog({ root });
    expect(copy).not.toBe(catalog);
    expect(copy.specs).toHaveLength(65);
  });

  test("a rule citing a citation the Security Rule file does not spell that way", () => {
    edit<RuleMeta[]>("policies/dist/catalog.json", (rules) => {
      rules[0].controls.push("164.312(b)(1)");
    });
    expect(() => loadComplianceCatalog({ root })).toThrow(
      /rule IMGSEC-CT-001 .*cites 164\.312\(b\)\(1\), which is not a citation/,
    );
  });

  test("controls.json missing a citation", () => {
    edit<Controls>("compliance/controls.json", (c) => {
      delete c["164.310(c)"];
    });
    expect(() => loadComplianceCatalog({ root })).toThrow(
      /controls\.json has no entry for 164\.310\(c\)/,
    );
  });

  test("controls.json naming an unknown citation", () => {
    edit<Controls>("compliance/controls.json", (c) => {
      c["164.312(f)"] = c["164.312(b)"];
    });
    expect(() => loadComplianceCatalog({ root })).toThrow(
      /controls\.json has 164\.312\(f\), which is not a citation/,
    );
  });

  test("controls.json with a single inquiry", () => {
    edit<Controls>("compliance/controls.json", (c) => {
      c["164.310(c)"].inquiries = ["Obtain and review one thing."];
    });
    expect(() => loadComplianceCatalog({ root })).toThrow(
      /controls\.json at 164\.310\(c\)\.inquiries/,
    );
  });

  test("controls.json with an evidence kind that does not exist", () => {
    edit<Controls>("compliance/controls.json", (c) => {
      c["164.310(c)"].evidence = ["iac"];
    });
    expect(() => loadComplianceCatalog({ root })).toThrow(
      /controls\.json at 164\.310\(c\)\.evidence\.0/,
    );
  });

  test("safe-harbor.json naming a tag that is not a row of Table E.1-1", () => {
    edit<SafeHarborFile>("compliance/safe-harbor.json", (s) => {
      s.identifiers.A.tags.push("00280010");
    });
    expect(() => loadComplianceCatalog({ root })).toThrow(
      /identifier A names tag 00280010, which is not a row/,
    );
  });

  test("safe-harbor.json without an identifier", () => {
    edit<SafeHarborFile>("compliance/safe-harbor.json", (s) => {
      delete s.identifiers.R;
    });
    expect(() => loadComplianceCatalog({ root })).toThrow(/no entry for identifier R/);
  });

  test("a file that is missing or not JSON", () => {
    writeFileSync(join(root, "compliance", "safe-harbor.json"), "{");
    expect(() => loadComplianceCatalog({ root })).toThrow(/safe-harbor\.json is not valid JSON/);
    rmSync(join(root, "policies", "dist", "package-catalog.json"));
    writeFileSync(
      join(root, "compliance", "safe-harbor.json"),
      readFileSync(join(ROOT, "compliance", "safe-harbor.json")),
    );
    expect(() => loadComplianceCatalog({ root })).toThrow(
      /cannot read policies\/dist\/package-catalog\.json: ENOENT/,
    );
  });
});
