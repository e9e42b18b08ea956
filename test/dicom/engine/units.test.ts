import { cleanText } from "../../../handlers/dicom/clean";
import { capAge, shiftDate, shiftDateTime, shiftValues } from "../../../handlers/dicom/dates";
import { base32 } from "../../../handlers/dicom/hasher";
import { ANY_IOD, attributeType, iodOf, typeTable } from "../../../handlers/dicom/profile";

const clean = (s: Buffer | string, vr = "LO") =>
  cleanText(typeof s === "string" ? Buffer.from(s, "latin1") : s, vr).toString("latin1");

describe("clean (C) for free text", () => {
  test.each([
    ["CT HEAD WO CONTRAST FAKE^DOCTOR 2024", "CT HEAD WO CONTRAST"],
    ["Chest PA/LAT 5mm", "Chest PA LAT 5mm"],
    ["T1 AX POST GAD 3.5MM", "T1 AX POST GAD 3.5MM"],
    ["FAKE-PID-0001 19010101 John", ""],
    ["L4-L5 spine 120 kV", "L4 L5 spine 120 kV"],
    ["Dr.Fake at 1234 FAKE STREET", ""],
  ])("%j -> %j", (input, expected) => {
    expect(clean(input)).toBe(expected);
  });

  test("values of multi-valued VRs are cleaned one by one; LT is one value", () => {
    expect(clean("HEAD\\FAKE NAME\\CHEST")).toBe("HEAD\\\\CHEST");
    expect(clean("HEAD\\CHEST", "LT")).toBe("HEAD CHEST");
  });

  test("CS output is upper case without decimals; the VR's length limit holds", () => {
    expect(clean("axial 2.5", "CS")).toBe("AXIAL");
    expect(clean("HEAD NECK CHEST ABDOMEN PELVIS", "SH")).toBe("HEAD NECK CHEST");
  });

  test("non-ASCII words and ISO 2022 multi-byte runs are dropped, including ASCII-looking bytes", () => {
    expect(clean(Buffer.from("CHEST Müller", "latin1"))).toBe("CHEST");
    expect(clean(Buffer.from("HEAD 山田 CT", "utf8"))).toBe("HEAD CT");
    // ESC $ B then the JIS bytes of two characters that read "CT" and "MR" in ASCII.
    const jis = Buffer.from([
      0x48, 0x45, 0x41, 0x44, 0x20, 0x1b, 0x24, 0x42, 0x43, 0x54, 0x20, 0x4d, 0x52, 0x1b, 0x28,
      0x42, 0x20, 0x4c, 0x55, 0x4e, 0x47,
    ]);
    expect(clean(jis)).toBe("HEAD LUNG");
    // Unterminated multi-byte run: the rest is dropped.
    expect(clean(Buffer.from([0x1b, 0x24, 0x42, 0x20, 0x43, 0x54]))).toBe("");
    // GB18030 trail bytes in the ASCII range do not survive as words.
    expect(clean(Buffer.from([0x81, 0x43, 0x20, 0x48, 0x45, 0x41, 0x44]))).toBe("HEAD");
  });
});

describe("dates and ages", () => {
  test("DA shift crosses months, years and leap days", () => {
    expect(shiftDate("19010301", 1)).toBe("19010228");
    expect(shiftDate("20000301", 1)).toBe("20000229");
    expect(shiftDate("19010101", 365)).toBe("19000101");
    expect(shiftDate("1901.01.10", 9)).toBe("19010101");
    expect(shiftDate("19010231", 1)).toBeNull();
    expect(shiftDate("1901", 1)).toBeNull();
  });

  test("DT shift keeps time, fraction and offset; partial dates refuse", () => {
    expect(shiftDateTime("19010102", 1)).toBe("19010101");
    expect(shiftDateTime("19010102235959.123456-0500", 1)).toBe("19010101235959.123456-0500");
    expect(shiftDateTime("190101", 1)).toBeNull();
    expect(shiftValues("19010102\\19010103", "DA", 1)).toBe("19010101\\19010102");
    expect(shiftValues("19010102\\FAKE", "DA", 1)).toBeNull();
  });

  test("ages over 89 years become 090Y", () => {
    expect(capAge("090Y")).toBe("090Y");
    expect(capAge("120Y")).toBe("090Y");
    expect(capAge("089Y")).toBe("089Y");
    expect(capAge("999M")).toBe("999M");
    expect(capAge("045Y\\095Y")).toBe("045Y\\090Y");
  });
});

describe("helpers", () => {
  test("base32 (RFC 4648 test vectors)", () => {
    expect(base32(Buffer.from("foobar"))).toBe("MZXW6YTBOI");
    expect(base32(Buffer.from("f"))).toBe("MY");
    expect(base32(Buffer.alloc(10, 0xff))).toBe("7".repeat(16));
  });

  test("SOP classes map to IODs; unknown ones to the most demanding Type of every IOD", () => {
    expect(iodOf("1.2.840.10008.5.1.4.1.1.88.22")).toBe("enhanced-sr");
    expect(iodOf("1.2.840.10008.5.1.4.1.1.2")).toBe("ct-image");
    expect(iodOf("1.2.840.10008.5.1.4.1.1.1")).toBe("cr-image"); // renamed IOD (alias)
    expect(iodOf("1.2.840.10008.5.1.4.1.1.9999")).toBeUndefined();
    expect(iodOf("toString")).toBeUndefined();
    const ct = typeTable("ct-image");
    expect(attributeType(ct, 0x00080023)).toBe(2); // Content Date
    expect(attributeType(typeTable("enhanced-ct-image"), 0x00080023)).toBe(1);
    expect(attributeType(ct, 0x00080080)).toBe(3); // Institution Name
    expect(attributeType(typeTable(ANY_IOD), 0x00080023)).toBe(1);
    expect(typeTable("no-such-iod")).toBe(typeTable(ANY_IOD));
    expect(typeTable("toString")).toBe(typeTable(ANY_IOD));
  });
});
