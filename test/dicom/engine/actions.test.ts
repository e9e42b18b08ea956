import { DeidConfigError } from "../../../handlers/dicom";
import { resolveCompound } from "../../../handlers/dicom/profile";
import {
  COMPREHENSIVE_SR,
  ENHANCED_CT,
  KEY,
  bytes,
  deidCt,
  fakeCt,
  first,
  items,
  num,
  part10,
  pn,
  run,
  seq,
  str,
} from "./helpers";

const UID_RE = /^2\.25\.\d{1,39}$/;

describe("action codes of Table E.1-1", () => {
  test("X removes: Other Patient IDs, Patient Address, Institution Name (Type 3 in CT)", async () => {
    const { ds } = await deidCt({
      "00101000": str("LO", "FAKE-OTHER-ID"),
      "00101040": str("LO", "1 FAKE STREET"),
      "00080080": str("LO", "FAKE HOSPITAL"),
    });
    expect(ds["00101000"]).toBeUndefined();
    expect(ds["00101040"]).toBeUndefined();
    expect(ds["00080080"]).toBeUndefined();
  });

  test("Z empties: Accession Number, Referring Physician's Name, Birth Date, Study Date", async () => {
    const { ds } = await deidCt({});
    for (const t of ["00080050", "00080090", "00100030", "00080020", "00080030"]) {
      expect(ds[t]).toBeDefined();
      expect(first(ds, t) ?? "").toBe("");
    }
  });

  test("D writes a dummy of the same VR (LO, PN, DT, UI, OB, SQ)", async () => {
    const { ds } = await deidCt({
      "00120010": str("LO", "FAKE SPONSOR"),
      "0040A123": pn("FAKE^OBSERVER"),
      "0040A120": str("DT", "19010101120000"),
      "006A0003": str("UI", "1.2.826.0.1.3680043.10.999.77"),
      "00420011": bytes("OB", new Uint8Array([1, 2, 3, 4])),
      "0040A073": seq({ "0040A075": pn("FAKE^VERIFIER"), "00080100": str("SH", "FAKE1") }),
    });
    expect(first(ds, "00120010")).toBe("ANONYMIZED");
    expect(first(ds, "0040A123")).toBe("ANONYMIZED");
    expect(first(ds, "0040A120")).toBe("19000101000000");
    expect(first(ds, "006A0003")).toMatch(UID_RE);
    expect(new Uint8Array(ds["00420011"].Value?.[0] as ArrayBuffer)).toEqual(new Uint8Array(2));
    // D on a sequence keeps its items, de-identified with the same rules.
    const [item] = items(ds, "0040A073");
    expect(first(item, "0040A075")).toBe("ANONYMIZED");
    expect(first(item, "00080100")).toBe("FAKE1");
  });

  test("K keeps (under an option), sequences still cleaned", async () => {
    const { ds } = await deidCt(
      {
        "00100040": str("CS", "O"),
        "00101010": str("AS", "045Y"),
        "00101030": str("DS", "70.5"),
      },
      ["retain-patient-characteristics"],
    );
    expect(first(ds, "00100040")).toBe("O");
    expect(first(ds, "00101010")).toBe("045Y");
    expect(Number(first(ds, "00101030"))).toBe(70.5);
  });

  test("C cleans free text to allow-listed words under clean-descriptors", async () => {
    const { ds } = await deidCt(
      {
        "0008103E": str("LO", "CT HEAD WO CONTRAST FAKE^DOCTOR 2024 5MM"),
        "00081030": str("LO", "FAKE^PATIENT^ALPHA ABDOMEN"),
        "00204000": str("LT", "Seen by Dr Fakename at FAKE HOSPITAL 19010101"),
      },
      ["clean-descriptors"],
    );
    expect(first(ds, "0008103E")).toBe("CT HEAD WO CONTRAST 5MM");
    expect(first(ds, "00081030")).toBe("ABDOMEN");
    expect(first(ds, "00204000") ?? "").toBe("");
  });

  test("C on dates under retain-longitudinal-modified-dates shifts, TM stays", async () => {
    const { ds } = await deidCt(
      { "00080021": str("DA", "19010110"), "00080031": str("TM", "101500") },
      ["retain-longitudinal-modified-dates"],
    );
    const study = first(ds, "00080020") as string;
    const series = first(ds, "00080021") as string;
    const day = (d: string) => Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8));
    expect(study).not.toBe("19010101");
    expect((day(series) - day(study)) / 86_400_000).toBe(9);
    expect(first(ds, "00080031")).toBe("101500");
  });

  test("U replaces UIDs with 2.25 UIDs, in the data set and in the file meta", async () => {
    const { ds, result } = await deidCt({});
    for (const t of ["00080018", "0020000D", "0020000E", "00200052"]) {
      expect(first(ds, t)).toMatch(UID_RE);
    }
    expect(result.sopInstanceUid).toBe(first(ds, "00080018"));
  });

  test("attributes outside the table and the safe list are removed; safe ones kept", async () => {
    const { ds } = await deidCt({
      "00181030": str("LO", "FAKE PROTOCOL"), // in the table (X/D): removed
      "00180015": str("CS", "HEAD"), // safe list: kept
      "00189004": str("CS", "PRODUCT"), // safe list: kept
      "00211010": str("LO", "FAKE"), // private: removed
      "00321033": str("LO", "FAKE REQUESTING SERVICE"), // neither: removed
      "00280301": str("CS", "NO"),
    });
    expect(ds["00181030"]).toBeUndefined();
    expect(first(ds, "00180015")).toBe("HEAD");
    expect(first(ds, "00189004")).toBe("PRODUCT");
    expect(ds["00211010"]).toBeUndefined();
    expect(ds["00321033"]).toBeUndefined();
    expect(first(ds, "00280301")).toBe("NO");
  });

  test("group lengths are dropped", async () => {
    const { ds } = await deidCt({ "00080000": num("UL", 1234), "00100000": num("UL", 12) });
    expect(ds["00080000"]).toBeUndefined();
    expect(ds["00100000"]).toBeUndefined();
  });
});

describe("compound codes resolve by the attribute's Type in the IOD", () => {
  test("resolveCompound: first action for Type 3, keeping one for Type 2, a value for Type 1", () => {
    expect(resolveCompound("X/Z", 3)).toBe("X");
    expect(resolveCompound("X/Z", 2)).toBe("Z");
    expect(resolveCompound("X/D", 2)).toBe("D");
    expect(resolveCompound("X/D", 1)).toBe("D");
    expect(resolveCompound("Z/D", 3)).toBe("Z");
    expect(resolveCompound("Z/D", 2)).toBe("Z");
    expect(resolveCompound("Z/D", 1)).toBe("D");
    expect(resolveCompound("X/Z/D", 3)).toBe("X");
    expect(resolveCompound("X/Z/D", 2)).toBe("Z");
    expect(resolveCompound("X/Z/D", 1)).toBe("D");
    expect(resolveCompound("X/Z/U*", 3)).toBe("X");
    expect(resolveCompound("X/Z/U*", 2)).toBe("U"); // references kept (see profile.ts)
    expect(resolveCompound("X/Z/U*", 1)).toBe("U");
    expect(resolveCompound("U", 1)).toBe("U");
  });

  test("Content Date Z/D: emptied in CT (Type 2), dummy in Enhanced CT (Type 1)", async () => {
    const extra = { "00080023": str("DA", "19010102"), "00080033": str("TM", "101010") };
    const ct = await deidCt(extra);
    expect(first(ct.ds, "00080023") ?? "").toBe("");
    const enhanced = await deidCt(extra, [], ENHANCED_CT);
    expect(first(enhanced.ds, "00080023")).toBe("19000101");
    expect(first(enhanced.ds, "00080033")).toBe("000000");
  });

  test("Device Serial Number X/Z/D: removed in CT, dummy in Enhanced CT", async () => {
    const extra = { "00181000": str("LO", "FAKE-SN-1") };
    expect((await deidCt(extra)).ds["00181000"]).toBeUndefined();
    expect(first((await deidCt(extra, [], ENHANCED_CT)).ds, "00181000")).toBe("ANONYMIZED");
  });

  test("Source Image Sequence X/Z/U*: removed where Type 3, new UIDs where Type 2 or 1", async () => {
    const source = () =>
      seq({
        "00081150": str("UI", "1.2.840.10008.5.1.4.1.1.2"),
        "00081155": str("UI", "1.2.826.0.1.3680043.10.999.1.1"),
      });
    // CT: Type 3 at the top level, removed.
    expect((await deidCt({ "00082112": source() })).ds["00082112"]).toBeUndefined();
    // Enhanced CT: Type 2 inside the Derivation Image functional group: references kept with
    // new UIDs, as for Type 1 (an empty one would break the Common Instance Reference module).
    const enhanced = await deidCt(
      { "52009229": seq({ "00089124": seq({ "00082112": source() }) }) },
      [],
      ENHANCED_CT,
    );
    const [shared] = items(enhanced.ds, "52009229");
    const [derivation] = items(shared, "00089124");
    expect(first(items(derivation, "00082112")[0], "00081155")).toBe(
      first(enhanced.ds, "00080018"),
    );
    // Ophthalmic Thickness Map: Type 1 at the top level, kept with new UIDs.
    const map = await deidCt({ "00082112": source() }, [], "1.2.840.10008.5.1.4.1.1.81.1");
    const [item] = items(map.ds, "00082112");
    expect(first(item, "00081150")).toBe("1.2.840.10008.5.1.4.1.1.2");
    expect(first(item, "00081155")).toBe(first(map.ds, "00080018")); // same UID, same mapping
  });

  test("Treatment Machine Name X/Z: removed in CT, emptied in an RT Plan's beams (Type 2)", async () => {
    const beam = {
      "300A00B0": seq({ "300A00C0": str("IS", "1"), "300A00B2": str("SH", "FAKE LINAC") }),
    };
    const [ct] = items((await deidCt(beam)).ds, "300A00B0");
    expect(first(ct, "300A00C0")).toBe("1"); // an unlisted IS, kept by rule
    expect(ct["300A00B2"]).toBeUndefined();
    const rt = await deidCt(beam, [], "1.2.840.10008.5.1.4.1.1.481.5");
    const [item] = items(rt.ds, "300A00B0");
    expect(item["300A00B2"]).toBeDefined();
    expect(first(item, "300A00B2") ?? "").toBe("");
  });
});

describe("options and their precedence", () => {
  const calibration = { "0018700C": str("DA", "19010105") };

  test("a row naming several concerns keeps only what every concern allows", async () => {
    // Date of Last Detector Calibration: device identity K, dates K/C, Basic X/D.
    expect((await deidCt(calibration, ["retain-device-identity"])).ds["0018700C"]).toBeUndefined();
    const shifted = await deidCt(calibration, [
      "retain-device-identity",
      "retain-longitudinal-modified-dates",
    ]);
    expect(first(shifted.ds, "0018700C")).toMatch(/^\d{8}$/);
    expect(first(shifted.ds, "0018700C")).not.toBe("19010105");
    const kept = await deidCt(calibration, [
      "retain-device-identity",
      "retain-longitudinal-full-dates",
    ]);
    expect(first(kept.ds, "0018700C")).toBe("19010105");
  });

  test("Allergies: patient characteristics alone removes, with clean-descriptors cleans", async () => {
    const extra = { "00102110": str("LO", "CONTRAST FAKE^ALLERGY") };
    expect(
      (await deidCt(extra, ["retain-patient-characteristics"])).ds["00102110"],
    ).toBeUndefined();
    const both = await deidCt(extra, ["retain-patient-characteristics", "clean-descriptors"]);
    expect(first(both.ds, "00102110")).toBe("CONTRAST");
  });

  test("retain-institution-identity keeps Institution Name; device identity keeps Station Name", async () => {
    const extra = { "00080080": str("LO", "FAKE HOSPITAL"), "00081010": str("SH", "FAKESTATION") };
    const inst = await deidCt(extra, ["retain-institution-identity"]);
    expect(first(inst.ds, "00080080")).toBe("FAKE HOSPITAL");
    expect(inst.ds["00081010"]).toBeUndefined();
    const dev = await deidCt(extra, ["retain-device-identity"]);
    expect(first(dev.ds, "00081010")).toBe("FAKESTATION");
    expect(dev.ds["00080080"]).toBeUndefined();
  });

  test("AE titles under retain-device-identity are cleaned to a consistent code", async () => {
    const a = await deidCt({ "00080055": str("AE", "FAKE_SITE_AE") }, ["retain-device-identity"]);
    const b = await deidCt({ "00080055": str("AE", "FAKE_SITE_AE") }, ["retain-device-identity"]);
    expect(first(a.ds, "00080055")).toMatch(/^AE[A-Z2-7]{13}$/);
    expect(first(a.ds, "00080055")).toBe(first(b.ds, "00080055"));
    expect(
      (await deidCt({ "00080055": str("AE", "FAKE_SITE_AE") })).ds["00080055"],
    ).toBeUndefined();
  });

  test("binary descriptors cannot be cleaned: Maker Note is removed under clean-descriptors", async () => {
    const { ds } = await deidCt({ "0016002B": bytes("OB", new Uint8Array([1, 2])) }, [
      "clean-descriptors",
    ]);
    expect(ds["0016002B"]).toBeUndefined();
  });

  test("configuration errors throw DeidConfigError (never a result)", async () => {
    const input = part10(fakeCt());
    await expect(
      run(input, {
        options: ["retain-longitudinal-full-dates", "retain-longitudinal-modified-dates"],
      }),
    ).rejects.toBeInstanceOf(DeidConfigError);
    await expect(run(input, { options: ["retain-everything" as never] })).rejects.toBeInstanceOf(
      DeidConfigError,
    );
    await expect(run(input, { pseudonymizationKey: KEY.subarray(0, 16) })).rejects.toBeInstanceOf(
      DeidConfigError,
    );
    await expect(
      run(input, { pixelMasks: [{ name: "x", manufacturer: "y", rows: 1, columns: 1 }] as never }),
    ).rejects.toBeInstanceOf(DeidConfigError);
  });
});

describe("repeating groups: curves (50xx) and overlays (60xx)", () => {
  const graphics = {
    "50000022": str("LO", "FAKE CURVE"),
    "501E3000": bytes("OW", new Uint8Array([1, 2, 3, 4])),
    "60000010": num("US", 4),
    "60003000": bytes("OW", new Uint8Array([1, 2, 3, 4])),
    "60024000": str("LT", "FAKE^PATIENT overlay comment"),
  };
  test.each([[[]], [["clean-graphics"]]])("removed with options %j", async (options) => {
    const { ds } = await deidCt(graphics, options as string[]);
    for (const t of Object.keys(graphics)) expect(ds[t]).toBeUndefined();
  });

  test("clean-graphics cleans presentation-state text", async () => {
    const extra = {
      "00700001": seq({
        "00700008": seq({ "00700006": str("ST", "LEFT KIDNEY FAKE^PATIENT 19010101") }),
      }),
    };
    const basic = await deidCt(extra);
    const [a] = items(basic.ds, "00700001");
    expect(items(a, "00700008")[0]?.["00700006"]).toBeUndefined();
    const cleaned = await deidCt(extra, ["clean-graphics"]);
    const [b] = items(cleaned.ds, "00700001");
    expect(first(items(b, "00700008")[0], "00700006")).toBe("LEFT KIDNEY");
  });
});

describe("private attributes", () => {
  const privates = {
    "00190010": str("LO", "GEMS_ACQU_01"),
    "00191023": str("DS", "39.37"), // listed: Table Speed
    "00191099": str("LO", "FAKE^PATIENT"), // not listed
    "00290010": str("LO", "FAKE CREATOR"),
    "00291010": str("LO", "FAKE PRIVATE"),
    "00431027": str("SH", "1.375:1"), // GEMS_PARM_01 offset 27, but no creator in (0043)
  };

  test("removed by default, creators included", async () => {
    const { ds } = await deidCt(privates);
    for (const t of Object.keys(privates)) expect(ds[t]).toBeUndefined();
  });

  test("retain-safe-private keeps listed elements with their creator, nothing else", async () => {
    const { ds, result } = await deidCt(privates, ["retain-safe-private"]);
    expect(first(ds, "00190010")).toBe("GEMS_ACQU_01");
    expect(Number(first(ds, "00191023"))).toBe(39.37);
    expect(ds["00191099"]).toBeUndefined();
    expect(ds["00290010"]).toBeUndefined();
    expect(ds["00291010"]).toBeUndefined();
    expect(ds["00431027"]).toBeUndefined(); // no creator element: dropped
    expect(result.methodCodes).toContain("113111");
  });

  test("the creator's block is honoured (creator in 0x11 reserves 11xx)", async () => {
    const { ds } = await deidCt(
      {
        "00190010": str("LO", "FAKE CREATOR"),
        "00190011": str("LO", "GEMS_ACQU_01"),
        "00191023": str("DS", "1"), // block 10: FAKE CREATOR, not safe
        "00191123": str("DS", "2"), // block 11: GEMS_ACQU_01 Table Speed
      },
      ["retain-safe-private"],
    );
    expect(ds["00191023"]).toBeUndefined();
    expect(ds["00190010"]).toBeUndefined();
    expect(Number(first(ds, "00191123"))).toBe(2);
    expect(first(ds, "00190011")).toBe("GEMS_ACQU_01");
  });
});

describe("sequences are de-identified at every depth", () => {
  test("three levels: UIDs replaced, names emptied, safe codes kept", async () => {
    const { ds } = await deidCt({
      "00081115": seq({
        "0020000E": str("UI", "1.2.826.0.1.3680043.10.999.1.2"),
        "0008114A": seq({
          "00081150": str("UI", "1.2.840.10008.5.1.4.1.1.2"),
          "00081155": str("UI", "1.2.826.0.1.3680043.10.999.1.1"),
          "0040A170": seq({
            "00080100": str("SH", "121311"),
            "00080102": str("SH", "DCM"),
            "00080104": str("LO", "Localizer"),
            "00100010": pn("FAKE^PATIENT^ALPHA"),
            "00080080": str("LO", "FAKE HOSPITAL"),
            "00080020": str("DA", "19010101"),
          }),
        }),
      }),
    });
    const [l1] = items(ds, "00081115");
    expect(first(l1, "0020000E")).toBe(first(ds, "0020000E"));
    const [l2] = items(l1, "0008114A");
    expect(first(l2, "00081150")).toBe("1.2.840.10008.5.1.4.1.1.2");
    expect(first(l2, "00081155")).toBe(first(ds, "00080018"));
    const [l3] = items(l2, "0040A170");
    expect(first(l3, "00080100")).toBe("121311");
    expect(first(l3, "00080104")).toBe("Localizer");
    expect(first(l3, "00100010") ?? "").toBe("");
    expect(l3["00080080"]).toBeUndefined();
    expect(first(l3, "00080020") ?? "").toBe("");
  });

  test("SR TEXT items stay valid: dummy Text Value (Basic), cleaned (clean-structured-content)", async () => {
    const content = {
      "0040A730": seq({
        "0040A040": str("CS", "TEXT"),
        "0040A010": str("CS", "CONTAINS"),
        "0040A160": str("UT", "Liver lesion 12 MM seen by FAKE^DOCTOR"),
        "0040A123": pn("FAKE^DOCTOR"),
      }),
    };
    const basic = await deidCt(content, [], COMPREHENSIVE_SR);
    const [a] = items(basic.ds, "0040A730");
    expect(first(a, "0040A040")).toBe("TEXT");
    expect(first(a, "0040A160")).toBe("ANONYMIZED"); // Type 1C in a TEXT content item
    expect(first(a, "0040A123")).toBe("ANONYMIZED");
    const cleaned = await deidCt(content, ["clean-structured-content"], COMPREHENSIVE_SR);
    const [b] = items(cleaned.ds, "0040A730");
    expect(first(b, "0040A160")).toBe("Liver lesion 12 MM");
    expect(first(b, "0040A123")).toBe("ANONYMIZED");
    // Nothing left after cleaning: a dummy, never an empty Type 1 value.
    const names = {
      "0040A730": seq({
        "0040A040": str("CS", "TEXT"),
        "0040A010": str("CS", "CONTAINS"),
        "0040A160": str("UT", "FAKE^DOCTOR"),
      }),
    };
    const onlyNames = await deidCt(names, ["clean-structured-content"], COMPREHENSIVE_SR);
    expect(first(items(onlyNames.ds, "0040A730")[0], "0040A160")).toBe("ANONYMIZED");
  });

  test("Z on a sequence leaves it present and empty", async () => {
    const { ds } = await deidCt({
      "00081080": str("LO", "FAKE DIAGNOSIS"),
      "00081084": seq({ "00080100": str("SH", "FAKE1") }),
      "00400610": seq({ "00080100": str("SH", "FAKE2") }),
    });
    expect(ds["00400610"]).toBeDefined();
    expect(items(ds, "00400610")).toHaveLength(0);
    expect(ds["00081084"]).toBeUndefined();
  });
});
