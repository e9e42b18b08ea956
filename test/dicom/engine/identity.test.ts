import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PseudonymMapping } from "../../../handlers/dicom";
import {
  KEY,
  OTHER_KEY,
  deid,
  fakeCt,
  first,
  items,
  part10,
  pn,
  rawDict,
  seq,
  str,
} from "./helpers";

const hmac = (key: Buffer, ...parts: (string | Buffer)[]) => {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return h.digest();
};
const expectedUid = (key: Buffer, old: string) =>
  `2.25.${BigInt(`0x${hmac(key, "uid\0", old).toString("hex", 0, 16)}`).toString(10)}`;

/** RFC 4648 base32, written independently of the engine's. */
function base32(b: Buffer): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bits = [...b].map((x) => x.toString(2).padStart(8, "0")).join("");
  let out = "";
  for (let i = 0; i < bits.length; i += 5)
    out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, "0"), 2)];
  return out;
}

const STUDY = "1.2.826.0.1.3680043.10.999.1";
const SLICE_1 = "1.2.826.0.1.3680043.10.999.1.1";
const SLICE_2 = "1.2.826.0.1.3680043.10.999.1.4";

function slice(sop: string, extra = {}) {
  return part10(fakeCt({ "00080018": str("UI", sop), ...extra }));
}

describe("UIDs", () => {
  test("2.25 + first 128 bits of HMAC(key, uid\\0 + old), at most 64 characters", async () => {
    const { ds, meta, result } = await deid(slice(SLICE_1));
    const sop = first(rawDict(await deid(slice(SLICE_1)).then((r) => r.out)), "00080018");
    expect(sop).toBe(expectedUid(KEY, SLICE_1));
    expect(result.sopInstanceUid).toBe(expectedUid(KEY, SLICE_1));
    expect(meta.MediaStorageSOPInstanceUID).toBe(result.sopInstanceUid);
    expect(ds.StudyInstanceUID).toBe(expectedUid(KEY, STUDY));
    for (const uid of [result.sopInstanceUid, ds.StudyInstanceUID as string]) {
      expect(uid.length).toBeLessThanOrEqual(64);
    }
  });

  test("consistent across files and calls; references map to the referenced object's new UID", async () => {
    const a = await deid(slice(SLICE_1));
    const b = await deid(
      slice(SLICE_2, {
        "00081140": seq({
          "00081150": str("UI", "1.2.840.10008.5.1.4.1.1.2"),
          "00081155": str("UI", SLICE_1),
        }),
      }),
      { options: ["retain-uids"] },
    );
    const c = await deid(
      slice(SLICE_2, {
        "00081115": seq({
          "0020000E": str("UI", "1.2.826.0.1.3680043.10.999.1.2"),
          "0008114A": seq({ "00081155": str("UI", SLICE_1) }),
        }),
      }),
    );
    const again = await deid(slice(SLICE_1));
    expect(again.result.sopInstanceUid).toBe(a.result.sopInstanceUid);
    const cds = rawDict(c.out);
    expect(first(cds, "0020000D")).toBe(a.ds.StudyInstanceUID);
    expect(first(cds, "0020000E")).toBe(a.ds.SeriesInstanceUID);
    expect(first(cds, "00200052")).toBe(a.ds.FrameOfReferenceUID);
    const [series] = items(cds, "00081115");
    expect(first(series, "0020000E")).toBe(a.ds.SeriesInstanceUID);
    expect(first(items(series, "0008114A")[0], "00081155")).toBe(a.result.sopInstanceUid);
    // retain-uids keeps every UID, the references too.
    const bds = rawDict(b.out);
    expect(b.result.sopInstanceUid).toBe(SLICE_2);
    expect(first(items(bds, "00081140")[0], "00081155")).toBe(SLICE_1);
    expect(first(bds, "0020000D")).toBe(STUDY);
    expect(b.result.methodCodes).toContain("113110");
  });

  test("another key gives other UIDs; class UIDs are never replaced", async () => {
    const a = await deid(slice(SLICE_1));
    const b = await deid(slice(SLICE_1), { pseudonymizationKey: OTHER_KEY });
    expect(b.result.sopInstanceUid).not.toBe(a.result.sopInstanceUid);
    expect(b.ds.SOPClassUID).toBe("1.2.840.10008.5.1.4.1.1.2");
    expect(b.meta.MediaStorageSOPClassUID).toBe("1.2.840.10008.5.1.4.1.1.2");
  });
});

describe("patient pseudonyms", () => {
  test("hmac mode: IMGSEC- + 16 base32 of HMAC(key, patient\\0 + issuer + \\0 + id), in name and ID", async () => {
    const { ds, result } = await deid(part10(fakeCt({ "00100021": str("LO", "FAKE-ISSUER") })));
    const expected = `IMGSEC-${base32(hmac(KEY, "patient\0", "FAKE-ISSUER", "\0", "FAKE-PID-0001").subarray(0, 10))}`;
    expect(result.patientPseudonym).toBe(expected);
    expect(ds.PatientID).toBe(expected);
    expect((ds.PatientName as { Alphabetic: string }[])[0].Alphabetic).toBe(expected);
    expect(ds.IssuerOfPatientID).toBeUndefined();
  });

  test("same patient, same pseudonym; another ID or issuer, another pseudonym", async () => {
    const p1 = (await deid(slice(SLICE_1))).result.patientPseudonym;
    const p2 = (await deid(slice(SLICE_2))).result.patientPseudonym;
    const other = (await deid(part10(fakeCt({ "00100020": str("LO", "FAKE-PID-0002") })))).result
      .patientPseudonym;
    const issued = (await deid(part10(fakeCt({ "00100021": str("LO", "FAKE-ISSUER-B") })))).result
      .patientPseudonym;
    expect(p1).toBe(p2);
    expect(new Set([p1, other, issued]).size).toBe(3);
  });

  test("empty Patient ID falls back to name and birth date", async () => {
    const noId = (name: string, birth: string) =>
      part10(
        fakeCt({ "00100020": str("LO", ""), "00100010": pn(name), "00100030": str("DA", birth) }),
      );
    const a = (await deid(noId("FAKE^PATIENT^BETA", "19010101"))).result.patientPseudonym;
    const b = (await deid(noId("FAKE^PATIENT^BETA", "19010101"))).result.patientPseudonym;
    const c = (await deid(noId("FAKE^PATIENT^BETA", "19020202"))).result.patientPseudonym;
    expect(a).toMatch(/^IMGSEC-[A-Z2-7]{16}$/);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  test("mapping mode: random codes, stable per patient, saved without patient data", async () => {
    const mapping = new PseudonymMapping();
    const cfg = { patientIdentity: { mode: "mapping" as const, mapping } };
    const a = await deid(slice(SLICE_1), cfg);
    const b = await deid(slice(SLICE_2), cfg);
    const other = await deid(part10(fakeCt({ "00100020": str("LO", "FAKE-PID-0002") })), cfg);
    expect(a.result.patientPseudonym).toMatch(/^IMGSEC-[A-Z2-7]{16}$/);
    expect(b.result.patientPseudonym).toBe(a.result.patientPseudonym);
    expect(other.result.patientPseudonym).not.toBe(a.result.patientPseudonym);
    expect(a.ds.PatientID).toBe(a.result.patientPseudonym);
    // Random, not derived: another mapping gives another code for the same patient.
    const fresh = await deid(slice(SLICE_1), {
      patientIdentity: { mode: "mapping", mapping: new PseudonymMapping() },
    });
    expect(fresh.result.patientPseudonym).not.toBe(a.result.patientPseudonym);

    const dir = mkdtempSync(join(tmpdir(), "imgsec-map-"));
    try {
      const file = join(dir, "map.json");
      mapping.save(file);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const text = readFileSync(file, "utf8");
      expect(text).not.toMatch(/FAKE/);
      const loaded = PseudonymMapping.load(file);
      expect(loaded.size).toBe(2);
      const again = await deid(slice(SLICE_1), {
        patientIdentity: { mode: "mapping", mapping: loaded },
      });
      expect(again.result.patientPseudonym).toBe(a.result.patientPseudonym);
      expect(() => PseudonymMapping.fromJSON({ format: "x" })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("dates", () => {
  const day = (d: string) =>
    Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8)) / 86_400_000;
  const modified = { options: ["retain-longitudinal-modified-dates" as const] };

  test("removed by default (per table), LongitudinalTemporalInformationModified REMOVED", async () => {
    const { ds } = await deid(slice(SLICE_1, { "00080021": str("DA", "19010101") }));
    expect(ds.SeriesDate).toBeUndefined();
    expect(ds.StudyDate).toBe("");
    expect(ds.LongitudinalTemporalInformationModified).toBe("REMOVED");
  });

  test("modified dates: one per-patient offset of 1-3650 days for every file, in sequences too", async () => {
    const a = await deid(slice(SLICE_1, { "00080020": str("DA", "19010101") }), modified);
    const b = await deid(
      slice(SLICE_2, {
        "00080020": str("DA", "19010301"),
        "0008002A": str("DT", "19010301123456.5+0100"),
        "0040A730": seq({ "0040A121": str("DA", "19010302") }),
      }),
      modified,
    );
    const shiftA = day("19010101") - day(a.ds.StudyDate as string);
    const shiftB = day("19010301") - day(b.ds.StudyDate as string);
    expect(shiftA).toBe(shiftB);
    expect(shiftA).toBeGreaterThanOrEqual(1);
    expect(shiftA).toBeLessThanOrEqual(3650);
    const identity = Buffer.concat([
      Buffer.alloc(0),
      Buffer.from([0]),
      Buffer.from("FAKE-PID-0001"),
    ]);
    expect(shiftA).toBe((hmac(KEY, "date-offset\0", identity).readUInt32BE(0) % 3650) + 1);
    expect(day(b.ds.StudyDate as string) - day(a.ds.StudyDate as string)).toBe(59);
    const dt = (b.ds.AcquisitionDateTime as string).trim(); // dcmjs keeps DT's pad space
    expect(dt).toMatch(/^\d{8}123456\.5\+0100$/);
    expect(day(dt.slice(0, 8))).toBe(day("19010301") - shiftA);
    const [content] = items(rawDict(b.out), "0040A730");
    expect(day(first(content, "0040A121") as string)).toBe(day("19010302") - shiftA);
    expect(b.ds.StudyTime).toBe("120000");
    expect(b.ds.LongitudinalTemporalInformationModified).toBe("MODIFIED");
    expect(b.result.methodCodes).toContain("113107");
  });

  test("full dates keep dates: UNMODIFIED, code 113106", async () => {
    const { ds, result } = await deid(slice(SLICE_1, { "00080021": str("DA", "19010101") }), {
      options: ["retain-longitudinal-full-dates"],
    });
    expect(ds.SeriesDate).toBe("19010101");
    expect(ds.StudyDate).toBe("19010101");
    expect(ds.LongitudinalTemporalInformationModified).toBe("UNMODIFIED");
    expect(result.methodCodes).toContain("113106");
  });

  test("a date that cannot be shifted is emptied, never kept", async () => {
    const { ds } = await deid(slice(SLICE_1, { "00080021": str("DA", "19011399") }), modified);
    expect(ds.SeriesDate).toBe("");
  });

  test.each([
    ["095Y", "090Y"],
    ["091Y", "090Y"],
    ["090Y", "090Y"],
    ["089Y", "089Y"],
    ["999M", "999M"],
    ["045Y", "045Y"],
  ])("age %s becomes %s under retain-patient-characteristics", async (age, expected) => {
    const { ds } = await deid(slice(SLICE_1, { "00101010": str("AS", age) }), {
      options: ["retain-patient-characteristics"],
    });
    expect(ds.PatientAge).toBe(expected);
  });
});
