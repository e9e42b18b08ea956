import { ByteSource, bufferSource } from "../../../handlers/dicom";
import {
  BIG_ENDIAN,
  DEFLATED,
  EXPLICIT,
  IMPLICIT,
  JPEG_BASELINE,
  assemble,
  datasetOffset,
  deid,
  fakeCt,
  first,
  items,
  num,
  part10,
  rawDict,
  readPart10,
  run,
  str,
} from "./helpers";
import {
  ITEM_END,
  SEQ_END,
  UNDEFINED,
  delimiter,
  encapsulatedPixelData,
  explicit,
  implicit,
  item,
  textValue,
} from "./bytes";

function withoutPixels(extra = {}) {
  const ds = fakeCt(extra);
  delete ds["7FE00010"];
  return ds;
}

/** Every fixed reason the engine may give for bad input. */
const REASONS = new Set([
  "not a DICOM file",
  "file meta information missing",
  "DICOMDIR is not copied: it names patients",
  "data set is not encoded as its transfer syntax says",
  "big endian pixel data of more than 8 bits is not OW",
  "big endian pixel data of more than 16 bits allocated is not supported",
  "deflated data set inflates beyond the size limit",
  "deflated data set cannot be inflated",
  "a sequence attribute is not encoded as a sequence",
  "too many data elements",
  "referenced pixel data (JPIP transfer syntax) is not supported",
  "transfer syntax is not one imgsec supports",
  "encapsulated pixel data under an uncompressed transfer syntax",
  "pixel data is not encapsulated as its transfer syntax requires",
  "truncated data element",
  "truncated pixel data",
  "invalid value representation",
  "element length does not fit its value representation",
  "sequence item overruns its sequence",
  "data element overruns its item",
  "sequence item expected",
  "sequence delimiter in a sequence of defined length",
  "item delimiter in an item of defined length",
  "unexpected item or delimiter",
  "undefined length on an element that cannot have one",
  "invalid encapsulated pixel data item",
  "sequences nested too deeply",
  "no SOP Instance UID in the data set",
  "SOP Instance UID has more than one value",
  "no SOP Class UID",
  "cannot read the input",
]);

describe("transfer syntaxes and file forms", () => {
  test("implicit VR input gives implicit VR output with the same content", async () => {
    const a = await deid(part10(fakeCt(), EXPLICIT));
    const b = await deid(part10(fakeCt(), IMPLICIT));
    expect(b.meta.TransferSyntaxUID).toBe(IMPLICIT);
    expect(a.meta.TransferSyntaxUID).toBe(EXPLICIT);
    const strip = (ds: Record<string, unknown>) => {
      const { _vrMap, PixelData, ...rest } = ds;
      void _vrMap;
      return { rest, pixels: Buffer.from((PixelData as ArrayBuffer[])[0]) };
    };
    expect(strip(b.ds).rest).toEqual(strip(a.ds).rest);
    expect(strip(b.ds).pixels).toEqual(strip(a.ds).pixels);
  });

  test.each([
    ["no preamble, file meta first", (f: Buffer) => f.subarray(132)],
    ["bare explicit VR data set", (f: Buffer) => f.subarray(datasetOffset(f))],
  ])("%s", async (_name, cut) => {
    const full = part10(fakeCt(), EXPLICIT);
    const expected = await deid(full);
    const { ds, meta } = await deid(cut(full));
    expect(ds).toEqual(expected.ds);
    expect(meta.TransferSyntaxUID).toBe(EXPLICIT);
  });

  test("bare implicit VR data set", async () => {
    const full = part10(fakeCt(), IMPLICIT);
    const { ds, meta } = await deid(full.subarray(datasetOffset(full)));
    expect(meta.TransferSyntaxUID).toBe(IMPLICIT);
    expect(ds.Rows).toBe(4);
    expect(ds.PatientName).toEqual((await deid(full)).ds.PatientName);
  });

  test("deflated and explicit big endian are read, written as explicit VR little endian", async () => {
    // (transfer-syntaxes.test.ts compares them with their little endian twins.)
    const big = await deid(part10(fakeCt(), BIG_ENDIAN));
    expect(big.meta.TransferSyntaxUID).toBe(EXPLICIT);
    expect(big.ds.Rows).toBe(4);
    // dcmjs writes a "deflated" data set uncompressed: that is not a deflate stream.
    expect(await run(part10(fakeCt(), DEFLATED))).toEqual({
      status: "rejected",
      reason: "deflated data set cannot be inflated",
    });
  });
});

describe("encapsulated pixel data and elements after it", () => {
  const frames = [Buffer.alloc(1001, 0xab), Buffer.alloc(2000, 0xcd), Buffer.alloc(6, 0xef)];
  const head = part10(withoutPixels(), JPEG_BASELINE);
  const pixels = encapsulatedPixelData(frames);
  const signatures = explicit(
    0xfffafffa,
    "SQ",
    Buffer.concat([
      item(explicit(0x04000100, "UI", textValue("1.2.826.0.1.3680043.10.999.5", "UI"))),
    ]),
  );
  const trailing = Buffer.concat([
    explicit(0x70530010, "LO", textValue("Philips PET Private Group")),
    explicit(0x70531000, "DS", textValue("0.000123")),
    explicit(0x70531001, "LO", textValue("FAKE^PATIENT")),
    signatures,
    explicit(0xfffcfffc, "OB", Buffer.alloc(64)),
  ]);
  const input = Buffer.concat([head, pixels, trailing]);

  test("pixel data is a source range copied byte for byte; trailing elements removed", async () => {
    const result = await run(input);
    if (result.status !== "deidentified") throw new Error(result.reason);
    expect(result.parts).toHaveLength(2);
    expect(result.parts[1]).toEqual({ sourceOffset: head.length, length: pixels.length });
    const out = assemble(input, result);
    expect(out.subarray(out.length - pixels.length)).toEqual(pixels);
    const { ds, meta } = readPart10(out);
    expect(meta.TransferSyntaxUID).toBe(JPEG_BASELINE);
    expect(ds.DigitalSignaturesSequence).toBeUndefined();
    expect(ds.DataSetTrailingPadding).toBeUndefined();
    expect(out.includes(Buffer.from("FAKE^PATIENT"))).toBe(false);
  });

  test("retain-safe-private keeps safe private elements after the pixel data", async () => {
    const result = await run(input, { options: ["retain-safe-private"] });
    if (result.status !== "deidentified") throw new Error(result.reason);
    expect(result.parts).toHaveLength(3);
    const out = assemble(input, result);
    const ds = rawDict(out);
    expect(first(ds, "70530010")).toBe("Philips PET Private Group");
    expect(Number(first(ds, "70531000"))).toBeCloseTo(0.000123);
    expect(ds["70531001"]).toBeUndefined();
    expect(ds["FFFAFFFA"]).toBeUndefined();
  });

  test("a broken fragment list is rejected", async () => {
    const broken = Buffer.concat([
      head,
      explicit(0x7fe00010, "OB", Buffer.alloc(0), UNDEFINED),
      item(Buffer.alloc(4)),
      explicit(0x00100010, "PN", textValue("FAKE^PATIENT")),
    ]);
    expect(await run(broken)).toEqual({
      status: "rejected",
      reason: "invalid encapsulated pixel data item",
    });
  });
});

describe("sequences encoded as UN (PS3.5 6.2.2)", () => {
  test("an undefined-length UN sequence is read as implicit VR items and cleaned", async () => {
    const head = part10(withoutPixels(), EXPLICIT);
    const un = Buffer.concat([
      explicit(0x00081115, "UN", Buffer.alloc(0), UNDEFINED),
      implicit(0xfffee000, Buffer.alloc(0), UNDEFINED),
      implicit(0x0020000e, textValue("1.2.826.0.1.3680043.10.999.1.2", "UI")),
      implicit(0x00100010, textValue("FAKE^PATIENT")),
      delimiter(ITEM_END),
      delimiter(SEQ_END),
    ]);
    // (0008,1115) sorts before the group 0010 elements: insert it at its place.
    const at = head.indexOf(Buffer.from([0x10, 0x00, 0x10, 0x00]));
    const input = Buffer.concat([head.subarray(0, at), un, head.subarray(at)]);
    const { out, ds } = await deid(input);
    const [series] = items(rawDict(out), "00081115");
    expect(first(series, "0020000E")).toBe(ds.SeriesInstanceUID);
    expect(series["00100010"].Value).toEqual([]); // Z: emptied
  });
});

describe("bad input is rejected with a fixed reason, never thrown", () => {
  const good = part10(fakeCt({ "00081030": str("LO", "FAKE STUDY") }), EXPLICIT);

  test("every truncation point", async () => {
    const pixelsAt = good.length - 32;
    for (let n = 0; n < good.length; n++) {
      const r = await run(good.subarray(0, n));
      if (r.status === "deidentified") {
        // Cut exactly between two header elements: a shorter but well-formed object.
        expect(n).toBeLessThan(pixelsAt);
        continue;
      }
      expect(r.status).toBe("rejected");
      if (r.status !== "rejected") continue;
      expect(REASONS).toContain(r.reason);
      expect(r.reason).not.toMatch(/FAKE|19010101/);
      if (n > pixelsAt) expect(r.reason).toBe("truncated pixel data");
    }
  });

  test.each([
    ["empty", Buffer.alloc(0)],
    ["short", Buffer.from("DICM")],
    ["zeros", Buffer.alloc(4096)],
    [
      "text",
      Buffer.from("FAKE^PATIENT this is not DICOM at all, just some text bytes\n".repeat(5)),
    ],
    ["preamble only", Buffer.concat([Buffer.alloc(128), Buffer.from("DICM")])],
    ["random", Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 251))],
  ])("garbage: %s", async (_name, bytes) => {
    const r = await run(bytes);
    expect(r.status).toBe("rejected");
    if (r.status === "rejected") expect(REASONS).toContain(r.reason);
  });

  test("wrong element lengths", async () => {
    const head = part10(withoutPixels(), EXPLICIT);
    // (0028,0106) Smallest Image Pixel Value: US, 2 bytes a value.
    const badUs = Buffer.concat([head, explicit(0x00280106, "US", Buffer.alloc(3))]);
    expect(await run(badUs)).toEqual({
      status: "rejected",
      reason: "element length does not fit its value representation",
    });
    const overrun = Buffer.concat([
      head,
      explicit(
        0x00400275,
        "SQ",
        Buffer.concat([item(explicit(0x00321060, "LO", textValue("FAKE")))]),
        12,
      ),
    ]);
    const r = await run(overrun);
    expect(r.status).toBe("rejected");
    const beyond = Buffer.concat([head, explicit(0x00081030, "LO", textValue("FAKE"), 400)]);
    expect(await run(beyond)).toEqual({ status: "rejected", reason: "truncated data element" });
    const pixelsBeyond = Buffer.concat([head, explicit(0x7fe00010, "OW", Buffer.alloc(8), 1000)]);
    expect(await run(pixelsBeyond)).toEqual({ status: "rejected", reason: "truncated pixel data" });
  });

  test("an object without SOP Instance UID is rejected", async () => {
    const ds = fakeCt();
    delete ds["00080018"];
    expect(await run(part10(ds))).toEqual({
      status: "rejected",
      reason: "no SOP Instance UID in the data set",
    });
  });

  test("an object whose SOP Instance UID has several values is rejected (found by fuzzing)", async () => {
    const ds = fakeCt();
    ds["00080018"] = {
      vr: "UI",
      Value: ["1.2.826.0.1.3680043.10.999.1", "1.2.826.0.1.3680043.10.999.2"],
    };
    expect(await run(part10(ds))).toEqual({
      status: "rejected",
      reason: "SOP Instance UID has more than one value",
    });
  });

  test("a source that fails to read", async () => {
    const failing: ByteSource = {
      size: 10_000,
      read: async () => {
        throw new Error("disk on fire /path/FAKE^PATIENT");
      },
    };
    expect(await run(Buffer.alloc(0), {}, failing)).toEqual({
      status: "rejected",
      reason: "cannot read the input",
    });
  });

  test("odd-length values are padded on output", async () => {
    const head = part10(withoutPixels(), EXPLICIT);
    const input = Buffer.concat([head, explicit(0x00280030, "DS", Buffer.from("0.5"))]);
    const { out } = await deid(input);
    const ds = rawDict(out);
    expect(Number(first(ds, "00280030"))).toBe(0.5);
    expect(out.length % 2).toBe(0);
    void bufferSource;
    void num;
  });
});
