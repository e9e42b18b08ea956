import { OPTION_NAMES, PROFILES } from "../../../handlers/dicom";
import cid7050 from "../../../handlers/dicom/data/cid-7050.json";
import {
  assemble,
  deid,
  fakeCt,
  first,
  items,
  part10,
  patchBytes,
  rawDict,
  run,
  seq,
  str,
} from "./helpers";

const CODES: Record<string, string> = {
  "retain-safe-private": "113111",
  "retain-uids": "113110",
  "retain-device-identity": "113109",
  "retain-institution-identity": "113112",
  "retain-patient-characteristics": "113108",
  "retain-longitudinal-full-dates": "113106",
  "retain-longitudinal-modified-dates": "113107",
  "clean-descriptors": "113105",
  "clean-structured-content": "113104",
  "clean-graphics": "113103",
};

describe("attributes written afterwards (PS3.15 E.1.1 item 6)", () => {
  test("Basic Profile: identity removed, method text, exactly code 113100", async () => {
    const input = part10(
      fakeCt({
        "00120062": str("CS", "NO"),
        "00120063": str("LO", "FAKE OLD METHOD"),
      }),
    );
    const { out, result } = await deid(input);
    const ds = rawDict(out);
    expect(first(ds, "00120062")).toBe("YES");
    expect(ds["00120063"].Value).toEqual([
      "imgsec: DICOM PS3.15 Basic Application Confidentiality Profile",
    ]);
    const codes = items(ds, "00120064");
    expect(codes.map((c) => first(c, "00080100"))).toEqual(["113100"]);
    expect(first(codes[0], "00080102")).toBe("DCM");
    expect(first(codes[0], "00080104")).toBe("Basic Application Confidentiality Profile");
    expect(result.methodCodes).toEqual(["113100"]);
    expect(result.pixelsMasked).toBe(false);
  });

  test.each(OPTION_NAMES.map((o) => [o]))("option %s adds its CID 7050 code", async (option) => {
    const { out, result } = await deid(part10(fakeCt()), { options: [option] });
    const ds = rawDict(out);
    const codes = items(ds, "00120064").map((c) => first(c, "00080100"));
    expect(codes).toEqual(["113100", CODES[option]]);
    expect(result.methodCodes).toEqual(["113100", CODES[option]]);
    const meaning = first(items(ds, "00120064")[1], "00080104");
    expect(meaning).toBe((cid7050.codes as Record<string, string>)[CODES[option]]);
    expect(ds["00120063"].Value).toContain(`option: ${option}`);
  });

  test("the research profile is named in De-identification Method", async () => {
    const { out, result } = await deid(part10(fakeCt()), { options: PROFILES.research });
    const method = rawDict(out)["00120063"].Value as string[];
    expect(method).toContain("profile: research");
    for (const line of method) expect(line.length).toBeLessThanOrEqual(64);
    expect(result.methodCodes).toEqual(["113100", "113105", "113107", "113108", "113109"]);
  });
});

describe("Specific Character Set and text bytes round-trip unchanged", () => {
  // A kept text value (Code Meaning in a safe code sequence) in three encodings.
  async function roundTrip(charset: string, encoded: Buffer): Promise<Buffer> {
    const placeholder = Buffer.from("X".repeat(encoded.length), "latin1");
    const charsetPlaceholder = "Q".repeat(charset.length);
    let input = part10(
      fakeCt({
        "00080005": str("CS", charsetPlaceholder),
        "00082218": seq({
          "00080100": str("SH", "T-D1100"),
          "00080102": str("SH", "SRT"),
          "00080104": str("LO", placeholder.toString("latin1")),
        }),
      }),
    );
    input = patchBytes(input, Buffer.from(charsetPlaceholder), Buffer.from(charset, "latin1"));
    input = patchBytes(input, placeholder, encoded);
    const r = await run(input);
    if (r.status !== "deidentified") throw new Error(r.reason);
    const out = assemble(input, r);
    // The charset value, padded to even length, and the text bytes are in the output as they were.
    expect(out.includes(Buffer.from(charset, "latin1"))).toBe(true);
    expect(out.includes(encoded)).toBe(true);
    return out;
  }

  test("UTF-8 (ISO_IR 192)", async () => {
    await roundTrip("ISO_IR 192", Buffer.from("Région abdominale", "utf8"));
  });

  test("Latin-1 (ISO_IR 100)", async () => {
    await roundTrip("ISO_IR 100", Buffer.from("Région abdominale", "latin1"));
  });

  test("ISO 2022 with JIS X 0208 code extension (\\ISO 2022 IR 87)", async () => {
    // ESC $ B, two JIS X 0208 characters (7-bit byte pairs), ESC ( B.
    const jis = Buffer.from([0x1b, 0x24, 0x42, 0x3b, 0x33, 0x45, 0x44, 0x1b, 0x28, 0x42]);
    await roundTrip("\\ISO 2022 IR 87", jis);
  });
});
