/**
 * The output's Transfer Syntax UID is the input's: only a syntax from the engine's list is ever
 * copied, with pixel data encoded as that syntax says; anything else is rejected with a fixed
 * reason. And a kept SOP Instance UID (retain-uids), which names the output file, must be a UID.
 */
import {
  ENCAPSULATED_SYNTAXES,
  NATIVE_SYNTAXES,
  SYNTAX_REASONS,
  transferSyntaxProblem,
} from "../../../handlers/dicom";
import { CONVERTED_SYNTAXES, isWrittenSyntax } from "../../../handlers/dicom/transfer-syntax";
import { datasetOffset, deid, fakeCt, part10, run } from "./helpers";
import { encapsulatedPixelData, explicit, textValue } from "./bytes";

const EXPLICIT = "1.2.840.10008.1.2.1";

function withoutPixels(extra = {}) {
  const ds = fakeCt(extra);
  delete ds["7FE00010"];
  return ds;
}

/** The same data set (explicit VR little endian bytes) under a file meta naming `syntax`. */
function underSyntax(file: Buffer, syntax: string): Buffer {
  const meta = Buffer.concat([
    explicit(0x00020001, "OB", Buffer.from([0, 1])),
    explicit(0x00020002, "UI", textValue("1.2.840.10008.5.1.4.1.1.2", "UI")),
    explicit(0x00020003, "UI", textValue("1.2.826.0.1.3680043.10.999.1.1", "UI")),
    explicit(0x00020010, "UI", textValue(syntax, "UI")),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(meta.length);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from("DICM"),
    explicit(0x00020000, "UL", length),
    meta,
    file.subarray(datasetOffset(file)),
  ]);
}

const native = part10(fakeCt(), EXPLICIT); // 16-bit pixels of defined length
const header = part10(withoutPixels(), EXPLICIT);
const encapsulated = Buffer.concat([header, encapsulatedPixelData([Buffer.alloc(64, 0xab)])]);

describe("only known transfer syntaxes are copied to the output", () => {
  test.each([
    ["an unknown UID", "1.2.840.10008.1.2.4.999"],
    ["a private UID", "1.2.826.0.1.3680043.10.999.77"],
    ["a retired JPEG process", "1.2.840.10008.1.2.4.55"],
    ["a UID with a trailing dot", "1.2.840.10008.1.2.1."],
    ["text", "DOE^JANE"],
  ])("%s is rejected with a fixed reason that quotes nothing", async (_what, uid) => {
    const r = await run(underSyntax(encapsulated, uid));
    expect(r).toEqual({ status: "rejected", reason: SYNTAX_REASONS.unknown });
    expect(SYNTAX_REASONS.unknown).not.toContain(uid);
  });

  test.each(["1.2.840.10008.1.2.4.94", "1.2.840.10008.1.2.4.95", "1.2.840.10008.1.2.4.204"])(
    "JPIP (pixel data behind a URL) %s is rejected with its own reason",
    async (uid) => {
      expect(await run(underSyntax(encapsulated, uid))).toEqual({
        status: "rejected",
        reason: SYNTAX_REASONS.referenced,
      });
    },
  );

  test("deflated and big endian are read (and written as explicit VR little endian)", () => {
    expect(transferSyntaxProblem("1.2.840.10008.1.2.1.99")).toBeNull();
    expect(transferSyntaxProblem("1.2.840.10008.1.2.2")).toBeNull();
    for (const uid of Object.keys(CONVERTED_SYNTAXES)) expect(isWrittenSyntax(uid)).toBe(false);
  });

  test.each(Object.keys(ENCAPSULATED_SYNTAXES))(
    "encapsulated %s: de-identified, syntax and fragments kept",
    async (uid) => {
      const { meta, out } = await deid(underSyntax(encapsulated, uid));
      expect(meta.TransferSyntaxUID).toBe(uid);
      expect(out.subarray(out.length - 64 - 16)).toEqual(
        Buffer.concat([
          Buffer.from([0xfe, 0xff, 0x00, 0xe0, 64, 0, 0, 0]),
          Buffer.alloc(64, 0xab),
          Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
        ]),
      );
    },
  );

  test.each(Object.keys(NATIVE_SYNTAXES))("native %s is de-identified", async (uid) => {
    const file = uid === EXPLICIT ? native : part10(fakeCt(), uid);
    expect((await deid(file)).meta.TransferSyntaxUID).toBe(uid);
  });

  test("encapsulated pixel data under a native syntax is rejected (the output would lie)", async () => {
    expect(await run(encapsulated)).toEqual({
      status: "rejected",
      reason: SYNTAX_REASONS.nativeEncapsulated,
    });
  });

  test("native pixel data under an encapsulated syntax is rejected", async () => {
    expect(await run(underSyntax(native, "1.2.840.10008.1.2.4.50"))).toEqual({
      status: "rejected",
      reason: SYNTAX_REASONS.encapsulatedNative,
    });
  });

  test("an encapsulated syntax without pixel data (e.g. a report) is fine", async () => {
    const { meta } = await deid(underSyntax(header, "1.2.840.10008.1.2.4.50"));
    expect(meta.TransferSyntaxUID).toBe("1.2.840.10008.1.2.4.50");
  });
});

describe("retain-uids: the kept SOP Instance UID names the output, so it must be a UID", () => {
  test.each([
    ["a path", "../../etc/FAKE"],
    ["a separator", "1.2.3/4"],
    ["letters", "1.2.FAKE"],
    ["too long", `1.${"2".repeat(64)}`],
    ["empty components", "1..2"],
  ])("%s is rejected with a fixed reason", async (_what, uid) => {
    // Written by hand: dcmjs would refuse some of these values.
    const ds = withoutPixels();
    delete ds["00080018"];
    const file = Buffer.concat([part10(ds), explicit(0x00080018, "UI", textValue(uid, "UI"))]);
    const r = await run(file, { options: ["retain-uids"] });
    expect(r).toEqual({ status: "rejected", reason: "SOP Instance UID is not a valid UID" });
  });

  test("a valid UID is kept and reported as kept", async () => {
    const uid = "1.2.826.0.1.3680043.10.999.1.1";
    const { result } = await deid(part10(fakeCt()), { options: ["retain-uids"] });
    expect(result.sopInstanceUid).toBe(uid);
    expect(result.uidsRetained).toBe(true);
    expect((await deid(part10(fakeCt()))).result.uidsRetained).toBe(false);
  });
});
