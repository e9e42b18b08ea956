import { PixelMaskRule } from "../../../handlers/dicom";
import {
  JPEG_BASELINE,
  SECONDARY_CAPTURE,
  US_IMAGE,
  assemble,
  bytes,
  deid,
  fakeCt,
  items,
  first,
  num,
  part10,
  rawDict,
  run,
  str,
} from "./helpers";
import { encapsulatedPixelData } from "./bytes";

const QUARANTINE_KIND =
  "kind of object known to carry burned-in text (modality or SOP class) and no pixel mask rule matches";

/** A fake ultrasound frame set from the example rule's fictitious scanner. */
function fakeUs(opts: { frames?: number; samples?: number; planar?: number; extra?: object } = {}) {
  const frames = opts.frames ?? 1;
  const samples = opts.samples ?? 1;
  const pixels = new Uint8Array(480 * 640 * samples * frames).fill(200);
  return fakeCt(
    {
      "00080016": str("UI", US_IMAGE),
      "00080060": str("CS", "US"),
      "00080070": str("LO", "EXAMPLE-VENDOR"),
      "00081090": str("LO", "EXAMPLE-US-1000"),
      "00280002": num("US", samples),
      "00280004": str("CS", samples === 3 ? "RGB" : "MONOCHROME2"),
      "00280010": num("US", 480),
      "00280011": num("US", 640),
      "00280100": num("US", 8),
      "00280101": num("US", 8),
      "00280102": num("US", 7),
      ...(samples === 3 ? { "00280006": num("US", opts.planar ?? 0) } : {}),
      ...(frames > 1 ? { "00280008": str("IS", String(frames)) } : {}),
      ...(opts.extra ?? {}),
    },
    pixels,
  );
}

describe("quarantine of objects that may carry burned-in text", () => {
  test.each([
    ["BurnedInAnnotation YES", { "00280301": str("CS", "YES") }],
    ["modality US", { "00080060": str("CS", "US") }],
    ["modality OT", { "00080060": str("CS", "OT") }],
    ["modality XC", { "00080060": str("CS", "XC") }],
    ["modality ES", { "00080060": str("CS", "ES") }],
    ["modality DOC", { "00080060": str("CS", "DOC") }],
    ["Secondary Capture", { "00080016": str("UI", SECONDARY_CAPTURE) }],
    ["Multi-frame True Color SC", { "00080016": str("UI", "1.2.840.10008.5.1.4.1.1.7.4") }],
    ["Video Endoscopic", { "00080016": str("UI", "1.2.840.10008.5.1.4.1.1.77.1.1.1") }],
    ["Encapsulated PDF", { "00080016": str("UI", "1.2.840.10008.5.1.4.1.1.104.1") }],
    ["slide label", { "00080008": str("CS", "ORIGINAL", "PRIMARY", "LABEL", "NONE") }],
  ])("%s", async (_name, extra) => {
    const r = await run(part10(fakeCt(extra)));
    expect(r.status).toBe("quarantined");
    if (r.status === "quarantined") expect(r.reason).not.toMatch(/FAKE/);
  });

  test("BurnedInAnnotation NO does not clear a US image", async () => {
    const r = await run(
      part10(fakeCt({ "00080060": str("CS", "US"), "00280301": str("CS", "NO") })),
    );
    expect(r).toEqual({ status: "quarantined", reason: QUARANTINE_KIND });
  });

  test("a plain CT is not quarantined", async () => {
    expect((await run(part10(fakeCt()))).status).toBe("deidentified");
  });
});

describe("pixel masks (Clean Pixel Data, 113101)", () => {
  const bannerZeroed = (px: Buffer, samples = 1, frames = 1) => {
    for (let f = 0; f < frames; f++) {
      const frame = px.subarray(f * 480 * 640 * samples, (f + 1) * 480 * 640 * samples);
      expect(frame.subarray(0, 40 * 640 * samples).every((b) => b === 0)).toBe(true);
      expect(frame.subarray(40 * 640 * samples).every((b) => b === 200)).toBe(true);
    }
  };

  test("the example rule masks the banner of the fictitious scanner", async () => {
    const input = part10(fakeUs({ extra: { "00280301": str("CS", "YES") } }));
    const copy = Buffer.from(input);
    const { result, out, ds } = await deid(input);
    expect(input.equals(copy)).toBe(true); // the caller's bytes are not touched
    expect(result.pixelsMasked).toBe(true);
    expect(result.methodCodes).toEqual(["113100", "113101"]);
    expect("bytes" in result.parts[1]).toBe(true);
    expect(ds.BurnedInAnnotation).toBe("NO");
    const codes = items(rawDict(out), "00120064").map((c) => first(c, "00080100"));
    expect(codes).toEqual(["113100", "113101"]);
    bannerZeroed(Buffer.from((ds.PixelData as ArrayBuffer[])[0]));
  });

  test.each([
    ["RGB interleaved, 2 frames", { samples: 3, planar: 0, frames: 2 }],
    ["RGB planar", { samples: 3, planar: 1, frames: 1 }],
  ])("%s", async (_name, opts) => {
    const input = part10(fakeUs(opts));
    const result = await run(input);
    if (result.status !== "deidentified") throw new Error(result.reason);
    const out = assemble(input, result);
    const px = Buffer.from((rawDict(out)["7FE00010"].Value as ArrayBuffer[])[0]);
    if (opts.planar === 1) {
      for (let s = 0; s < 3; s++) bannerZeroed(px.subarray(s * 480 * 640, (s + 1) * 480 * 640));
    } else {
      bannerZeroed(px, 3, opts.frames);
    }
  });

  test("custom rules: regex model, clipped rectangle, 16-bit samples", async () => {
    const rule: PixelMaskRule = {
      name: "test rule",
      manufacturer: "fake vendor",
      modelRegex: "^FAKE-SC-\\d+$",
      rows: 4,
      columns: 4,
      rectangles: [{ x: 2, y: 3, width: 10, height: 10 }],
    };
    const input = part10(
      fakeCt(
        {
          "00080016": str("UI", SECONDARY_CAPTURE),
          "00081090": str("LO", "FAKE-SC-42"),
        },
        new Uint8Array(32).fill(9),
      ),
    );
    const { ds, result } = await deid(input, { pixelMasks: [rule] });
    expect(result.pixelsMasked).toBe(true);
    const px = Buffer.from((ds.PixelData as ArrayBuffer[])[0]);
    const expected = Buffer.alloc(32, 9);
    expected.fill(0, (3 * 4 + 2) * 2, (3 * 4 + 4) * 2);
    expect(px).toEqual(expected);
    // The shipped example rules do not match this object: quarantined.
    expect((await run(input)).status).toBe("quarantined");
  });

  test("compressed pixel data is never masked: quarantined", async () => {
    const ds = fakeUs();
    delete ds["7FE00010"];
    const input = Buffer.concat([
      part10(ds, JPEG_BASELINE),
      encapsulatedPixelData([Buffer.alloc(100, 1)]),
    ]);
    expect(await run(input)).toEqual({
      status: "quarantined",
      reason:
        "a pixel mask rule matches but the pixel data is compressed: masking needs uncompressed pixel data",
    });
  });

  test("pixel data shorter than the image is not masked: quarantined", async () => {
    const ds = fakeUs();
    ds["7FE00010"] = bytes("OB", new Uint8Array(100));
    expect(await run(part10(ds))).toEqual({
      status: "quarantined",
      reason: "a pixel mask rule matches but the pixel data layout cannot be masked",
    });
  });
});
