/**
 * Retention by rule (handlers/dicom/profile.ts, data/safe-text.json) and attribute Types per IOD
 * from PS3.3 (data/iods.json): a standard attribute outside Table E.1-1 is kept unless its VR can
 * carry free text and it is not on the reviewed list; Type 1 attributes that a rule would remove
 * get a dummy, Type 2 ones stay present and empty, at the top level and inside sequences.
 */
import type { DcmjsDataset } from "../corpus/dcmjs";
import { IOD_SOP_CLASS } from "../corpus/iods";
import { bytes, deidCt, fakeCt, first, items, num, part10, pn, run, seq, str } from "./helpers";

const SOP = { ...IOD_SOP_CLASS, unknown: "1.2.826.0.1.3680043.10.999.424242" };

async function out(extra: DcmjsDataset, options: string[] = [], sopClass?: string) {
  return (await deidCt(extra, options, sopClass)).ds;
}

/** Present with an empty value (Type 2). */
function expectEmpty(ds: DcmjsDataset, tag: string): void {
  expect([tag, ds[tag] !== undefined, first(ds, tag) ?? ""]).toEqual([tag, true, ""]);
}

describe("retention by rule: standard attributes outside Table E.1-1", () => {
  test("numbers and code strings are kept: RT Dose grid, RT Plan geometry, SR flags", async () => {
    const dose = await out(
      {
        "30040002": str("CS", "GY"),
        "30040004": str("CS", "PHYSICAL"),
        "3004000A": str("CS", "PLAN"),
        "3004000E": str("DS", "0.0001"),
        "3004000C": str("DS", "0", "2.5", "5"),
      },
      [],
      SOP.rtDose,
    );
    expect(first(dose, "30040002")).toBe("GY");
    expect(first(dose, "30040004")).toBe("PHYSICAL");
    expect(first(dose, "3004000A")).toBe("PLAN");
    expect(Number(first(dose, "3004000E"))).toBe(0.0001);
    expect(dose["3004000C"].Value?.map(Number)).toEqual([0, 2.5, 5]);
    const plan = await out({ "300A000C": str("CS", "PATIENT") }, [], SOP.rtPlan);
    expect(first(plan, "300A000C")).toBe("PATIENT");
    const sr = await out(
      { "0040A491": str("CS", "COMPLETE"), "0040A493": str("CS", "UNVERIFIED") },
      [],
      SOP.comprehensiveSr,
    );
    expect(first(sr, "0040A491")).toBe("COMPLETE");
    expect(first(sr, "0040A493")).toBe("UNVERIFIED");
  });

  test("sequences outside the Table are walked: an RT Structure Set keeps its ROIs", async () => {
    const frame = "1.2.826.0.1.3680043.10.999.1.3";
    const ds = await out(
      {
        "30060002": str("SH", "FAKESET"),
        "30060020": seq({
          "30060022": str("IS", "1"),
          "30060024": str("UI", frame),
          "30060026": str("LO", "FAKE^PATIENT LIVER"),
          "30060036": str("CS", "MANUAL"),
        }),
        "30060039": seq({
          "30060084": str("IS", "1"),
          "3006002A": str("IS", "255", "0", "0"),
          "30060040": seq({
            "30060042": str("CS", "CLOSED_PLANAR"),
            "30060046": str("IS", "3"),
            "30060050": str("DS", "0", "0", "0", "10", "0", "0", "10", "10", "0"),
          }),
        }),
        "30060080": seq({
          "30060082": str("IS", "1"),
          "30060084": str("IS", "1"),
          "300600A4": str("CS", "ORGAN"),
          "300600A6": pn("FAKE^INTERPRETER"),
        }),
      },
      [],
      SOP.rtStructureSet,
    );
    expect(first(ds, "30060002")).toBe("ANONYMIZED"); // Structure Set Label: D
    const [roi] = items(ds, "30060020");
    expect(first(roi, "30060022")).toBe("1");
    expect(first(roi, "30060024")).toBe(first(ds, "00200052")); // mapped like the frame of reference
    expect(first(roi, "30060024")).not.toBe(frame);
    expect(first(roi, "30060026") ?? "").toBe(""); // ROI Name: Z (Type 2)
    expect(roi["30060026"]).toBeDefined();
    expect(first(roi, "30060036")).toBe("MANUAL");
    const [contour] = items(ds, "30060039");
    expect(contour["3006002A"].Value).toEqual(["255", "0", "0"].map(Number));
    const [c] = items(contour, "30060040");
    expect(first(c, "30060042")).toBe("CLOSED_PLANAR");
    expect(c["30060050"].Value?.map(Number)).toEqual([0, 0, 0, 10, 0, 0, 10, 10, 0]);
    const [obs] = items(ds, "30060080");
    expect(first(obs, "300600A4")).toBe("ORGAN");
    expect(first(obs, "300600A6") ?? "").toBe(""); // ROI Interpreter: Z
  });

  test("free text outside the Table is removed unless reviewed safe: PN LO SH LT ST UT UC UR UN", async () => {
    const ds = await out({
      "00142006": pn("FAKE^EVALUATOR"), // Evaluator Name
      "0040A492": str("LO", "FAKE COMPLETION NOTE"), // Completion Flag Description
      "00540400": str("SH", "FAKEIMAGEID"), // Image ID
      "00144006": str("LT", "FAKE PULSER NOTES"), // Pulser Notes
      "0018003A": str("ST", "FAKE INTERVENTION"), // Intervention Description
      "0040A160": str("UT", "FAKE TEXT VALUE"), // Text Value (Type 3 at the top of a CT)
      "00189908": str("UC", "FAKE REASONS"), // Potential Reasons for Procedure
      "00081190": str("UR", "http://fake.invalid/studies/1.2.3"), // Retrieve URL
      "0018FFF0": bytes("UN", new Uint8Array([0x46, 0x41, 0x4b, 0x45])), // not in the dictionary
      "0018FFF2": str("LO", "FAKE UNKNOWN"), // not in the dictionary
      // Reviewed safe: kept as they are.
      "00180024": str("SH", "*tfl3d1"), // Sequence Name
      "00181210": str("SH", "B30f"), // Convolution Kernel
      "00081090": str("LO", "FAKE MODEL"), // Manufacturer's Model Name
      "00281054": str("LO", "HU"), // Rescale Type
    });
    for (const t of [
      "00142006",
      "0040A492",
      "00540400",
      "00144006",
      "0018003A",
      "0040A160",
      "00189908",
      "00081190",
      "0018FFF0",
      "0018FFF2",
    ]) {
      expect([t, ds[t]]).toEqual([t, undefined]);
    }
    expect(first(ds, "00180024")).toBe("*tfl3d1");
    expect(first(ds, "00181210")).toBe("B30f");
    expect(first(ds, "00081090")).toBe("FAKE MODEL");
    expect(first(ds, "00281054")).toBe("HU");
  });

  test("clean-descriptors cleans unlisted free text instead; names and URLs stay out", async () => {
    const ds = await out(
      {
        "0040A492": str("LO", "LIVER FAKE^DOCTOR 19010101"),
        "0018003A": str("ST", "Contrast bolus by FAKE NURSE"),
        "00142006": pn("FAKE^EVALUATOR"),
        "00081190": str("UR", "http://fake.invalid/studies/1.2.3"),
      },
      ["clean-descriptors"],
    );
    expect(first(ds, "0040A492")).toBe("LIVER");
    expect(first(ds, "0018003A")).toBe("Contrast bolus");
    expect(ds["00142006"]).toBeUndefined();
    expect(ds["00081190"]).toBeUndefined();
  });

  test("a number, date, time or UID holding other characters is not kept (text in disguise)", async () => {
    const ds = await out(
      {
        "00181150": str("LO", "FAKE^PATIENT"), // Exposure Time is IS (read as IS)
        "00181152": str("IS", "25"), // Exposure, as it should be
        "00189306": str("DS", "1.25E-1"), // Single Collimation Width: a valid DS
        "00140103": str("TM", "FAKE NAME"), // Secondary Review Time
        "00080033": str("TM", "1010"),
        "0040A030": str("DT", "FAKE^PATIENT"), // Verification DateTime: D in the Table anyway
      },
      ["retain-longitudinal-full-dates", "retain-uids"],
    );
    expect(ds["00181150"]).toBeUndefined();
    expect(first(ds, "00181152")).toBe("25");
    expect(Number(first(ds, "00189306"))).toBe(0.125);
    expect(ds["00140103"]).toBeUndefined();
    expect(first(ds, "00080033")).toBe("1010");
    expect(first(ds, "0040A030")).not.toBe("FAKE^PATIENT");
  });

  test("unlisted dates follow the date options; times are kept", async () => {
    const extra = { "00140102": str("DA", "19010105"), "00140103": str("TM", "101500") };
    const basic = await out(extra);
    expect(basic["00140102"]).toBeUndefined();
    expect(first(basic, "00140103")).toBe("101500");
    const shifted = await out(extra, ["retain-longitudinal-modified-dates"]);
    expect(first(shifted, "00140102")).toMatch(/^\d{8}$/);
    expect(first(shifted, "00140102")).not.toBe("19010105");
    const kept = await out(extra, ["retain-longitudinal-full-dates"]);
    expect(first(kept, "00140102")).toBe("19010105");
  });

  test("sameAs rows: body measurements as Patient's Size and Weight, encrypted originals removed", async () => {
    const extra = {
      "00101022": str("DS", "24.5"), // Patient's Body Mass Index
      "00101023": str("DS", "210"), // Measured AP Dimension
      "04000500": seq({
        "04000510": str("UI", "1.2.840.10008.1.2.1"),
        "04000520": bytes("OB", new Uint8Array([1, 2, 3, 4])),
      }),
    };
    const basic = await out(extra);
    for (const t of Object.keys(extra)) expect([t, basic[t]]).toEqual([t, undefined]);
    const kept = await out(extra, ["retain-patient-characteristics"]);
    expect(Number(first(kept, "00101022"))).toBe(24.5);
    expect(Number(first(kept, "00101023"))).toBe(210);
    expect(kept["04000500"]).toBeUndefined();
  });

  test("waveforms are kept, so audio (speech) is quarantined like burned-in text", async () => {
    for (const sop of ["1.2.840.10008.5.1.4.1.1.9.4.1", "1.2.840.10008.5.1.4.1.1.9.4.2"]) {
      const ds = fakeCt({ "00080016": str("UI", sop), "00080060": str("CS", "AU") });
      expect((await run(part10(ds))).status).toBe("quarantined");
    }
    const au = fakeCt({ "00080060": str("CS", "AU") });
    expect((await run(part10(au))).status).toBe("quarantined");
  });

  test("private elements stay removed", async () => {
    const ds = await out({ "00190010": str("LO", "FAKE CREATOR"), "00191001": num("US", 7) });
    expect(ds["00190010"]).toBeUndefined();
    expect(ds["00191001"]).toBeUndefined();
  });
});

describe("Types from PS3.3, per IOD, at the top level and inside sequences", () => {
  test("RT Dose: Operators' Name X/Z/D is Type 2 (empty); in CT Type 3 (removed)", async () => {
    const extra = { "00081070": pn("FAKE^OPERATOR") };
    expect((await out(extra))["00081070"]).toBeUndefined();
    const dose = await out(extra, [], SOP.rtDose);
    expect(dose["00081070"]).toBeDefined();
    expect(first(dose, "00081070") ?? "").toBe("");
  });

  test("RT Structure Set: Reviewer Name X/Z is Type 2 (empty); in CT removed", async () => {
    const extra = { "300E0008": pn("FAKE^REVIEWER") };
    expect((await out(extra))["300E0008"]).toBeUndefined();
    const rt = await out(extra, [], SOP.rtStructureSet);
    expect(rt["300E0008"]).toBeDefined();
    expect(first(rt, "300E0008") ?? "").toBe("");
  });

  test("Comprehensive SR: Type 1 dummies for Content Date, Observation DateTime, Text Value", async () => {
    const ds = await out(
      {
        "00080023": str("DA", "19010102"),
        "0040A032": str("DT", "19010102101010"),
        "0040A730": seq({
          "0040A010": str("CS", "CONTAINS"),
          "0040A040": str("CS", "TEXT"),
          "0040A043": seq({
            "00080100": str("CS", "121071"),
            "00080102": str("SH", "DCM"),
            "00080104": str("LO", "Finding"),
          }),
          "0040A160": str("UT", "FAKE^PATIENT seen 19010102"),
        }),
      },
      [],
      SOP.comprehensiveSr,
    );
    expect(first(ds, "00080023")).toBe("19000101");
    expect(first(ds, "0040A032")).toBe("19000101000000");
    const [item] = items(ds, "0040A730");
    expect(first(item, "0040A160")).toBe("ANONYMIZED");
    expect(first(items(item, "0040A043")[0], "00080104")).toBe("Finding");
  });

  test("Segmentation: Segment Label Type 1 (dummy, or cleaned), algorithm name kept, Type 2 empty", async () => {
    const extra = {
      "00700081": str("LO", "FAKE CONTENT DESCRIPTION"),
      "00700084": pn("FAKE^CREATOR"),
      "00620002": seq({
        "00620004": num("US", 1),
        "00620005": str("LO", "Liver FAKE^PATIENT"),
        "00620008": str("CS", "AUTOMATIC"),
        "00620009": str("LO", "FAKE-SEGMENTER 2.1"),
      }),
    };
    const ds = await out(extra, [], SOP.segmentation);
    expectEmpty(ds, "00700081"); // Content Description: unlisted LO, Type 2
    expectEmpty(ds, "00700084"); // Content Creator's Name Z/D, Type 2
    const [segment] = items(ds, "00620002");
    expect(first(segment, "00620005")).toBe("ANONYMIZED");
    expect(first(segment, "00620008")).toBe("AUTOMATIC");
    expect(first(segment, "00620009")).toBe("FAKE-SEGMENTER 2.1");
    const cleaned = await out(extra, ["clean-descriptors"], SOP.segmentation);
    expect(first(items(cleaned, "00620002")[0], "00620005")).toBe("Liver");
    // Outside Segmentation, Segment Label has no Type: removed.
    expect(items(await out(extra), "00620002")[0]["00620005"]).toBeUndefined();
  });

  test("12-lead ECG: Type 1 dates get dummies, waveform and labels kept", async () => {
    const ds = await out(
      {
        "00080023": str("DA", "19010102"),
        "00080033": str("TM", "101010"),
        "0008002A": str("DT", "19010102101010"),
        "00400555": seq({ "0040A040": str("CS", "TEXT"), "0040A160": str("UT", "FAKE") }),
        "54000100": seq({
          "003A0005": num("US", 1),
          "003A0010": num("UL", 2),
          "003A0020": str("SH", "RHYTHM"),
          "003A0200": seq({ "003A0203": str("SH", "Lead I") }),
          "54001010": bytes("OW", new Uint8Array([1, 0, 2, 0])),
        }),
      },
      [],
      SOP.twelveLeadEcg,
    );
    expect(first(ds, "00080023")).toBe("19000101");
    expect(first(ds, "00080033")).toBe("000000");
    expect(first(ds, "0008002A")).toBe("19000101000000");
    expect(ds["00400555"]).toBeDefined(); // Acquisition Context Sequence X/Z, Type 2: empty
    expect(items(ds, "00400555")).toHaveLength(0);
    const [wave] = items(ds, "54000100");
    expect(first(wave, "003A0020")).toBe("RHYTHM");
    expect(first(items(wave, "003A0200")[0], "003A0203")).toBe("Lead I");
    expect(new Uint8Array(wave["54001010"].Value?.[0] as ArrayBuffer)).toEqual(
      new Uint8Array([1, 0, 2, 0]),
    );
  });

  test("Enhanced CT: Type 1 dummies at the top, references in functional groups kept", async () => {
    const ds = await out(
      {
        "0008002A": str("DT", "19010102101010"),
        "00181000": str("LO", "FAKE-SERIAL"),
        "52009230": seq({
          "00081140": seq({
            "00081150": str("UI", "1.2.840.10008.5.1.4.1.1.2"),
            "00081155": str("UI", "1.2.826.0.1.3680043.10.999.1.1"),
          }),
          "00209111": seq({ "00209157": num("UL", 1) }),
        }),
      },
      [],
      SOP.enhancedCt,
    );
    expect(first(ds, "0008002A")).toBe("19000101000000");
    expect(first(ds, "00181000")).toBe("ANONYMIZED");
    const [frame] = items(ds, "52009230");
    const [ref] = items(frame, "00081140");
    expect(first(ref, "00081155")).toBe(first(ds, "00080018"));
    expect(items(frame, "00209111")[0]["00209157"].Value).toEqual([1]);
  });

  test("an unknown SOP class takes the most demanding Type of every IOD", async () => {
    const ds = await out(
      { "00080023": str("DA", "19010102"), "00081070": pn("FAKE^OPERATOR") },
      [],
      SOP.unknown,
    );
    expect(first(ds, "00080023")).toBe("19000101"); // Type 1 somewhere (e.g. Enhanced CT)
    expect(ds["00081070"]).toBeDefined(); // Type 2 somewhere (e.g. RT Dose)
    expect(first(ds, "00081070") ?? "").toBe("");
  });
});
