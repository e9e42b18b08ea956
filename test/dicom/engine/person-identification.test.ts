/**
 * Coded person and institution identifiers (PS3.15 Table E.1-1: Person Identification Code
 * Sequence D, Institution Code Sequence X/Z/D, Verifying Observer Identification Code Sequence
 * Z). Where the engine keeps such a sequence's items (D, or Z or X/Z/D on a Type 1 one), the code
 * that names someone (a practitioner's NPI or license, an institution's identifier, a name in Code
 * Meaning) must not survive, under the strict profile or the research profile; the item stays a
 * complete code item, and the same code gets the same dummy, so linkage survives.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROFILES } from "../../../handlers/dicom";
import type { DcmjsDataset } from "../corpus/dcmjs";
import { dciodvfy, describeWithDciodvfy, newErrors } from "../../helpers/dciodvfy";
import {
  OTHER_KEY,
  deid,
  fakeCt,
  first,
  items,
  num,
  part10,
  pn,
  rawDict,
  seq,
  str,
} from "./helpers";

const BREAST_TOMOSYNTHESIS = "1.2.840.10008.5.1.4.1.1.13.1.3";
const RT_PHYSICIAN_INTENT = "1.2.840.10008.5.1.4.1.1.481.10";
const COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33";

/** Obviously fake identifiers, each unique so a search for it in the output means it survived. */
const NPI = "ZZNPI0000000101";
const OTHER_NPI = "ZZNPI0000000202";
const LICENSE = "ZZFAKE-LICENSE-0000000000303"; // longer than 16: a Long Code Value
const URN = "urn:oid:1.2.826.0.1.3680043.10.999.404";
const INSTITUTION_CODE = "ZZINST0505";

/** A Code Sequence Macro item naming a practitioner. */
const code = (value: string, scheme = "NPI", meaning = `ZZFAKE DR ${value}`): DcmjsDataset => ({
  "00080100": str("SH", value),
  "00080102": str("SH", scheme),
  "00080103": str("SH", "ZZ1"),
  "00080104": str("LO", meaning),
});
const longCode = (value: string): DcmjsDataset => ({
  "00080119": str("UC", value),
  "00080102": str("SH", "99ZZLIC"),
  "00080104": str("LO", `ZZFAKE DR ${value}`),
});
const urnCode = (value: string): DcmjsDataset => ({
  "00080120": str("UR", value),
  "00080104": str("LO", `ZZFAKE DR ${value}`),
});
const personId = (...codes: DcmjsDataset[]): DcmjsDataset => ({ "00401101": seq(...codes) });

/** One Contributing Sources item (Breast Tomosynthesis: every attribute here is Type 1). */
function contributingSource(operator: DcmjsDataset): DcmjsDataset {
  return {
    "0008002A": str("DT", "19010101101010"),
    "00080070": str("LO", "ZZFAKE VENDOR"),
    "00081010": str("SH", "ZZSTATION"),
    "00081070": pn("ZZFAKE^OPERATOR"),
    "00081072": seq(operator),
    "00081090": str("LO", "ZZMODEL"),
    "00181000": str("LO", "ZZSERIAL"),
    "00181020": str("LO", "ZZ1.0"),
    "00181030": str("LO", "ZZFAKE PROTOCOL"),
    "00187004": str("CS", "DIRECT"),
    "0018700A": str("SH", "ZZDETECTOR"),
    "0018700C": str("DA", "19010101"),
    "0018700E": str("TM", "101010"),
    "00187020": str("DS", "0.1", "0.1"),
    "00189423": str("LO", "ZZFAKE ACQUISITION PROTOCOL"),
    "00280010": num("US", 4),
    "00280011": num("US", 4),
    "00280101": num("US", 12),
    "00282110": str("CS", "00"),
    // Not an identifying code: kept as it is.
    "00400260": seq({
      "00080100": str("SH", "ZZPROTO1"),
      "00080102": str("SH", "99ZZPROTO"),
      "00080104": str("LO", "Tomosynthesis protocol"),
    }),
  };
}

/** An operator in a Type 1 Operator Identification Sequence, with an institution code. */
const operator = (npi: string): DcmjsDataset => ({
  "00080082": seq(code(INSTITUTION_CODE, "99ZZHOSP", "ZZFAKE GENERAL HOSPITAL")),
  ...personId(code(npi)),
});

/** A Breast Tomosynthesis image whose Contributing Sources name operators (by NPI, or as given). */
function tomosynthesis(operators: (string | DcmjsDataset)[] = [NPI, OTHER_NPI]): DcmjsDataset {
  const ds = fakeCt({
    "00080060": str("CS", "MG"),
    "00189506": seq(
      ...operators.map((o) => contributingSource(typeof o === "string" ? operator(o) : o)),
    ),
  });
  ds["00080016"] = str("UI", BREAST_TOMOSYNTHESIS);
  return ds;
}

interface Case {
  where: string;
  sopClass?: string;
  extra: DcmjsDataset;
  /** Path from the top level to the code items in the output, or undefined when removed. */
  path?: string[];
}

const CASES: Case[] = [
  {
    where: "Person Identification Code Sequence at the top level (Type 3: D)",
    extra: personId(code(NPI)),
    path: ["00401101"],
  },
  {
    where:
      "Contributing Sources (Type 1) > Operator Identification (Type 1: D) > Person Identification Code Sequence",
    sopClass: BREAST_TOMOSYNTHESIS,
    extra: { "00189506": seq(contributingSource(operator(NPI))) },
    path: ["00189506", "00081072", "00401101"],
  },
  {
    where: "Requesting Physician Identification Sequence (outside the Table: kept, walked)",
    extra: { "00321031": seq(personId(code(NPI))) },
    path: ["00321031", "00401101"],
  },
  {
    where: "Author Identification Sequence of an RT Physician Intent (Type 2, outside the Table)",
    sopClass: RT_PHYSICIAN_INTENT,
    extra: { "30100019": seq({ "0040A084": str("CS", "PSN"), ...personId(code(NPI)) }) },
    path: ["30100019", "00401101"],
  },
  {
    where: "Performing Physician Identification Sequence (X: removed with its codes)",
    extra: { "00081052": seq(personId(code(NPI))) },
  },
  {
    where: "Operator Identification Sequence at the top level (Type 3: X)",
    extra: { "00081072": seq(personId(code(NPI))) },
  },
  {
    where: "Physician(s) of Record Identification Sequence (X)",
    extra: { "00081049": seq(personId(code(NPI))) },
  },
];

const PLANTED = [NPI, `ZZFAKE DR ${NPI}`];

/** The items at the end of `path` in a dcmjs raw dict (every item of every step). */
function itemsAt(ds: DcmjsDataset, path: string[]): DcmjsDataset[] {
  let level = [ds];
  for (const tag of path) level = level.flatMap((d) => items(d, tag));
  return level;
}

async function deidObject(ds: DcmjsDataset, options: readonly string[] = [], key?: Buffer) {
  const input = part10(ds);
  const extra = key ? { pseudonymizationKey: key } : {};
  const { out } = await deid(input, { options: [...options] as never, ...extra });
  return { input, out, ds: rawDict(out) };
}

const PROFILE_CASES: [string, readonly string[]][] = [
  ["strict", PROFILES.strict],
  ["research", PROFILES.research],
];

describe.each(PROFILE_CASES)("the %s profile", (_profile, options) => {
  test.each(CASES.map((c) => [c.where, c] as const))(
    "no planted code survives: %s",
    async (_where, c) => {
      const ds = fakeCt(c.extra);
      if (c.sopClass) ds["00080016"] = str("UI", c.sopClass);
      const { input, out, ds: outDs } = await deidObject(ds, options);
      for (const needle of PLANTED) {
        expect([needle, input.includes(needle)]).toEqual([needle, true]);
        expect([needle, out.includes(needle)]).toEqual([needle, false]);
      }
      if (!c.path) {
        expect(outDs[Object.keys(c.extra)[0]]).toBeUndefined();
        return;
      }
      // Kept: one complete code item, its scheme said, its code and meaning dummies.
      const [item, ...more] = itemsAt(outDs, c.path);
      expect(more).toHaveLength(0);
      expect(first(item, "00080100")).toMatch(/^[A-Z2-7]{16}$/);
      expect(first(item, "00080102")).toBe("NPI");
      expect(first(item, "00080103")).toBe("ZZ1");
      expect(first(item, "00080104")).toBe("ANONYMIZED");
    },
  );

  test("Long Code Value, URN Code Value and equivalent codes are replaced too", async () => {
    const withEquivalent = {
      ...code(NPI),
      "00080121": seq(code(OTHER_NPI, "99ZZLOCAL"), longCode(LICENSE)),
    };
    const { input, out, ds } = await deidObject(
      fakeCt(personId(withEquivalent, longCode(LICENSE), urnCode(URN))),
      options,
    );
    for (const needle of [NPI, OTHER_NPI, LICENSE, URN, `ZZFAKE DR ${LICENSE}`]) {
      expect([needle, input.includes(needle)]).toEqual([needle, true]);
      expect([needle, out.includes(needle)]).toEqual([needle, false]);
    }
    const [main, long, urn] = items(ds, "00401101");
    const [equivalent, equivalentLong] = items(main, "00080121");
    expect(first(main, "00080100")).toMatch(/^[A-Z2-7]{16}$/);
    expect(first(equivalent, "00080100")).toMatch(/^[A-Z2-7]{16}$/);
    expect(first(equivalent, "00080102")).toBe("99ZZLOCAL");
    // Longer than 16 characters, or Code Value would be required instead (PS3.3 8.8).
    expect(first(long, "00080119")).toMatch(/^[A-Z2-7]{32}$/);
    expect(first(long, "00080100")).toBeUndefined();
    expect(first(long, "00080102")).toBe("99ZZLIC");
    expect(first(equivalentLong, "00080119")).toBe(first(long, "00080119"));
    // UR pads an odd length with a space (PS3.5 6.2), which dcmjs leaves on.
    expect(first(urn, "00080120")?.trimEnd()).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(first(urn, "00080102")).toBeUndefined();
    for (const i of [main, long, urn, equivalent, equivalentLong]) {
      expect(first(i, "00080104")).toBe("ANONYMIZED");
    }
  });

  test("an institution coded where D keeps it is replaced the same way", async () => {
    const { out, ds } = await deidObject(tomosynthesis([NPI]), options);
    for (const needle of [INSTITUTION_CODE, "ZZFAKE GENERAL HOSPITAL"]) {
      expect([needle, out.includes(needle)]).toEqual([needle, false]);
    }
    const [institution] = itemsAt(ds, ["00189506", "00081072", "00080082"]);
    expect(first(institution, "00080100")).toMatch(/^[A-Z2-7]{16}$/);
    expect(first(institution, "00080102")).toBe("99ZZHOSP");
    expect(first(institution, "00080104")).toBe("ANONYMIZED");
    // A code that names no one, in the same kept item, is not touched.
    const [protocol] = itemsAt(ds, ["00189506", "00400260"]);
    expect(first(protocol, "00080100")).toBe("ZZPROTO1");
    expect(first(protocol, "00080104")).toBe("Tomosynthesis protocol");
  });
});

describe("the dummy code keeps linkage, not the code", () => {
  test("the same code gets the same dummy within an object, another code another", async () => {
    const ds = tomosynthesis([NPI, OTHER_NPI, NPI]);
    ds["00401101"] = seq(code(NPI), code(NPI, "99ZZOTHER"));
    const { ds: out } = await deidObject(ds);
    const operators = itemsAt(out, ["00189506", "00081072", "00401101"]).map((i) =>
      first(i, "00080100"),
    );
    const [topLevel, otherScheme] = items(out, "00401101").map((i) => first(i, "00080100"));
    expect(operators).toHaveLength(3);
    expect(operators[0]).toBe(operators[2]);
    expect(operators[1]).not.toBe(operators[0]);
    expect(topLevel).toBe(operators[0]);
    // The code is a value of its scheme: the same digits in another scheme are someone else.
    expect(otherScheme).not.toBe(topLevel);
  });

  test("the same in another object under the same key; different under another key", async () => {
    const a = await deidObject(fakeCt(personId(code(NPI))));
    const b = await deidObject({
      ...fakeCt(personId(code(NPI))),
      "00080018": str("UI", "1.2.826.0.1.3680043.10.999.1.99"),
    });
    const c = await deidObject(fakeCt(personId(code(NPI))), [], OTHER_KEY);
    const value = (r: { ds: DcmjsDataset }) => first(items(r.ds, "00401101")[0], "00080100");
    expect(value(b)).toBe(value(a));
    expect(value(c)).not.toBe(value(a));
  });

  test("retain-institution-identity keeps the institution's code: the option says so", async () => {
    const { ds } = await deidObject(tomosynthesis([NPI]), ["retain-institution-identity"]);
    const [institution] = itemsAt(ds, ["00189506", "00081072", "00080082"]);
    expect(first(institution, "00080100")).toBe(INSTITUTION_CODE);
    expect(first(institution, "00080104")).toBe("ZZFAKE GENERAL HOSPITAL");
    // The person's code is not institution identity: still replaced.
    const [person] = itemsAt(ds, ["00189506", "00081072", "00401101"]);
    expect(first(person, "00080100")).toMatch(/^[A-Z2-7]{16}$/);
  });

  test("an SR's Verifying Observer Identification Code Sequence (Type 2: Z) is emptied", async () => {
    const ds = fakeCt({
      "0040A073": seq({
        "0040A075": pn("ZZFAKE^VERIFIER"),
        "0040A027": str("LO", "ZZFAKE ORG"),
        "0040A030": str("DT", "19010101101010"),
        "0040A088": seq(code(NPI)),
      }),
    });
    ds["00080016"] = str("UI", COMPREHENSIVE_SR);
    const { out, ds: outDs } = await deidObject(ds);
    expect(out.includes(NPI)).toBe(false);
    const [verifier] = items(outDs, "0040A073");
    expect(verifier["0040A088"]).toBeDefined();
    expect(items(verifier, "0040A088")).toHaveLength(0);
  });
});

describeWithDciodvfy("dciodvfy: an affected IOD stays as valid as it was", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "imgsec-person-id-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(PROFILE_CASES)(
    "Breast Tomosynthesis with coded operators and institutions, %s profile",
    async (profile, options) => {
      // Every form of code: Code Value with an equivalent code, Long Code Value, URN Code Value.
      const everyForm = {
        ...operator(NPI),
        ...personId(
          { ...code(NPI), "00080121": seq(code(OTHER_NPI, "99ZZLOCAL")) },
          longCode(LICENSE),
          urnCode(URN),
        ),
      };
      const { input, out, ds } = await deidObject(tomosynthesis([everyForm, OTHER_NPI]), options);
      // The path under test is in the output: dciodvfy checks the dummied code items.
      const codes = itemsAt(ds, ["00189506", "00081072", "00401101"]);
      const slots = ["00080100", "00080119", "00080120"];
      expect(codes.map((c) => slots.filter((t) => c[t]))).toEqual([
        ["00080100"],
        ["00080119"],
        ["00080120"],
        ["00080100"],
      ]);
      for (const needle of [NPI, OTHER_NPI, LICENSE, URN, INSTITUTION_CODE]) {
        expect([needle, out.includes(needle)]).toEqual([needle, false]);
      }
      writeFileSync(join(dir, `${profile}-in.dcm`), input);
      writeFileSync(join(dir, `${profile}-out.dcm`), out);
      const before = dciodvfy(join(dir, `${profile}-in.dcm`));
      const after = dciodvfy(join(dir, `${profile}-out.dcm`));
      expect(before.iod).toBe("BreastTomosynthesisImage");
      expect(after.iod).toBe(before.iod);
      expect(newErrors(before, after)).toEqual([]);
    },
  );
});
