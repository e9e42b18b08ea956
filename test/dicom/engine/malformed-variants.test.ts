/**
 * Issue 10: the malformed variants a real archive holds are each handled, or refused with a fixed
 * reason (no stack trace, no hang, bounded memory): group lengths, odd lengths, wrong explicit
 * VRs, UN sequences, delimiter bytes inside fragments, trailing padding, bytes after the data set,
 * DICOMDIRs and lengths that claim more than the file has.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { deflateRawSync } from "node:zlib";
import { join } from "node:path";
import { ByteSource } from "../../../handlers/dicom";
import { MAX_ELEMENTS, Parser, READ_REASONS } from "../../../handlers/dicom/dataset";
import { SCAN_REASONS } from "../../../handlers/dicom/scan";
import { describeIfAvailable, which } from "../../helpers/tools";
import {
  El,
  SYNTAX,
  ctElements,
  encode,
  encodeElement,
  file,
  meta,
  raw,
  seqOf,
  t,
  usv,
} from "./encode";
import { deid, first, items, rawDict, run } from "./helpers";

const PIXELS = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1));

const ct = (extra: El[] = [], pixel: El | null = raw(0x7fe00010, "OW", PIXELS)): El[] =>
  ctElements([usv(0x00280120, 7), ...extra], pixel);
const le = (elements: El[]) => file(elements, "explicit");
const outOf = async (input: Buffer, extra = {}) => (await deid(input, extra)).out;

/** Same bytes out of both inputs. */
async function expectSameOutput(a: Buffer, b: Buffer, extra = {}) {
  const [x, y] = [await outOf(a, extra), await outOf(b, extra)];
  expect(x.equals(y)).toBe(true);
}

describe("group length elements (gggg,0000): ignored and never written", () => {
  const groupLength = (tag: number, n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return raw(tag, "UL", b);
  };
  test.each(["explicit", "implicit", "big-endian"] as const)(
    "%s, with wrong values",
    async (enc) => {
      const withLengths = ct([
        groupLength(0x00080000, 3),
        groupLength(0x00100000, 0xffffff),
        groupLength(0x00280000, 0),
        seqOf(0x00409096, [[groupLength(0x00400000, 99), usv(0x00409211, 4095)]]),
      ]);
      const without = ct([seqOf(0x00409096, [[usv(0x00409211, 4095)]])]);
      const twin = enc === "big-endian" ? "explicit" : enc;
      const o = await outOf(file(withLengths, enc));
      expect(o.equals(await outOf(file(without, twin)))).toBe(true);
      const ds = rawDict(o);
      expect(Object.keys(ds).filter((k) => k.endsWith("0000"))).toEqual([]);
      expect(Object.keys(items(ds, "00409096")[0])).toEqual(["00409211"]);
    },
  );
});

describe("odd-length values: accepted and padded with their VR's padding on output", () => {
  test("text (space), UI (NUL) and OB (zero) values", async () => {
    const input = le(
      ct([
        raw(0x00180050, "DS", Buffer.from("2.5")), // SliceThickness
        raw(0x00282000, "OB", Buffer.from([1, 2, 3])), // ICCProfile
      ]).map((e) =>
        e.tag === 0x00080016 ? raw(e.tag, "UI", Buffer.from("1.2.840.10008.5.1.4.1.1.2")) : e,
      ),
    );
    const o = await outOf(input);
    expect(o.length % 2).toBe(0);
    expect(o.includes(Buffer.from("DS\x04\x002.5 "))).toBe(true);
    expect(o.includes(Buffer.from("UI\x1a\x001.2.840.10008.5.1.4.1.1.2\0"))).toBe(true);
    expect(o.includes(Buffer.from([0x4f, 0x42, 0, 0, 4, 0, 0, 0, 1, 2, 3, 0]))).toBe(true);
  });

  test("odd-length native pixel data gets a new header and a pad byte", async () => {
    const eight = Buffer.from(Array.from({ length: 15 }, (_, i) => i + 1));
    const input = le(
      ct([], raw(0x7fe00010, "OB", eight)).map((e) =>
        e.tag === 0x00280010
          ? usv(e.tag, 3)
          : e.tag === 0x00280011
            ? usv(e.tag, 5)
            : e.tag === 0x00280100 || e.tag === 0x00280101
              ? usv(e.tag, 8)
              : e,
      ),
    );
    const { out: o, result } = await deid(input);
    expect(result.parts.slice(1)).toEqual([
      { bytes: Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 16, 0, 0, 0]) },
      { sourceOffset: input.length - 15, length: 15 },
      { bytes: Buffer.from([0]) },
    ]);
    expect(o.subarray(o.length - 16)).toEqual(Buffer.concat([eight, Buffer.from([0])]));
  });

  test("an odd length for a binary VR of fixed size is refused", async () => {
    const input = le(ct([raw(0x00280106, "US", Buffer.from([1, 2, 3]))]));
    expect(await run(input)).toEqual({
      status: "rejected",
      reason: "element length does not fit its value representation",
    });
  });
});

describe("wrong explicit VRs: a standard attribute of a character VR is read as the dictionary says", () => {
  const relabel = (elements: El[], tag: number, vr: string) =>
    elements.map((e) => (e.tag === tag ? { ...e, vr } : e));
  const extra = [
    t(0x00101010, "AS", "095Y"), // PatientAge
    t(0x00081030, "LO", "FAKE STUDY"), // StudyDescription
  ];

  test.each([
    ["a date (Study Date) written as LO is still shifted", 0x00080020, "LO"],
    ["a date written as OB", 0x00080020, "OB"],
    ["a UID (Study Instance UID) written as LO is still replaced", 0x0020000d, "LO"],
    ["a UID written as UT", 0x0020000d, "UT"],
    ["an age written as LO is still capped", 0x00101010, "LO"],
    ["a name written as OB is still replaced", 0x00100010, "OB"],
  ])("%s", async (_what, tag, vr) => {
    const options = {
      options: ["retain-longitudinal-modified-dates", "retain-patient-characteristics"],
    };
    const good = le(ct(extra));
    await expectSameOutput(le(relabel(ct(extra), tag, vr)), good, options);
    const ds = rawDict(await outOf(good, options));
    expect(first(ds, "00101010")).toBe("090Y");
    expect(first(ds, "00080020")).not.toBe("19010101");
  });

  test("binary VRs the dictionary lists one of (US or SS) keep the file's VR", async () => {
    const o = await outOf(le(relabel(ct(), 0x00280120, "SS")));
    expect(rawDict(o)["00280120"].vr).toBe("SS");
  });

  test("a standard sequence written as anything but SQ or UN is refused", async () => {
    const blob = raw(0x00409096, "OB", encode([usv(0x00409211, 1)], "explicit"));
    expect(await run(le(ct([blob])))).toEqual({
      status: "rejected",
      reason: READ_REASONS.notSequence,
    });
  });
});

describe("UN elements (PS3.5 6.2.2)", () => {
  const sequence = seqOf(0x00409096, [[usv(0x00409211, 4095), usv(0x00409216, 0)]]);
  test.each([
    [
      "a standard sequence as UN, undefined length",
      { ...sequence, vr: "UN", undefinedLength: true },
    ],
    ["a standard sequence as UN, defined length", { ...sequence, vr: "UN" }],
  ])("%s: items read as implicit VR little endian", async (_what, un) => {
    await expectSameOutput(le(ct([un as El])), le(ct([sequence])));
  });

  test("a private sequence as UN, undefined length: read, and removed", async () => {
    const priv: El = {
      tag: 0x00091010,
      vr: "UN",
      undefinedLength: true,
      items: [[t(0x00100010, "PN", "FAKE^PATIENT^BETA")]],
    };
    const creator = t(0x00090010, "LO", "FAKE CREATOR");
    const o = await outOf(le(ct([creator, priv])));
    expect(o.includes("FAKE^PATIENT^BETA")).toBe(false);
    expect(o.equals(await outOf(le(ct())))).toBe(true);
  });

  test("a standard value as UN takes the dictionary's VR", async () => {
    const o = await outOf(le(ct().map((e) => (e.tag === 0x00280120 ? { ...e, vr: "UN" } : e))));
    expect(o.equals(await outOf(le(ct())))).toBe(true);
  });
});

describe("encapsulated pixel data", () => {
  const jpeg = (fragments: Buffer) =>
    Buffer.concat([file(ct([], null), "explicit", SYNTAX.jpegBaseline), fragments]);
  const item = (b: Buffer) => {
    const h = Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0]);
    h.writeUInt32LE(b.length, 4);
    return Buffer.concat([h, b]);
  };
  const SEQ_END = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  const head = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]);

  test("delimiter bytes inside a fragment are data: copied byte for byte", async () => {
    const frame = Buffer.concat([
      Buffer.from([1, 2]),
      SEQ_END,
      Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]),
      Buffer.from([3, 4]),
    ]);
    const pixels = Buffer.concat([head, item(Buffer.alloc(0)), item(frame), SEQ_END]);
    const o = await outOf(jpeg(pixels));
    expect(o.subarray(o.length - pixels.length)).toEqual(pixels);
  });

  test("a delimiter before the last fragment is refused (frames would be lost)", async () => {
    const pixels = Buffer.concat([
      head,
      item(Buffer.alloc(0)),
      SEQ_END,
      item(Buffer.alloc(8, 7)),
      SEQ_END,
    ]);
    expect(await run(jpeg(pixels))).toEqual({
      status: "rejected",
      reason: "invalid encapsulated pixel data item",
    });
  });
});

describe("after the pixel data: padding dropped, bytes that are not a data set dropped", () => {
  const good = le(ct());
  test.each([
    [
      "trailing padding (FFFC,FFFC)",
      encodeElement(raw(0xfffcfffc, "OB", Buffer.alloc(4000)), "explicit"),
    ],
    ["zeros", Buffer.alloc(1000)],
    ["junk", Buffer.alloc(333, 0xa5)],
    ["a few bytes", Buffer.from([1, 2, 3])],
    [
      "a cut element",
      encodeElement(raw(0x00091010, "LO", Buffer.from("FAKE^PATIENT^GAMMA")), "explicit").subarray(
        0,
        14,
      ),
    ],
    [
      "an element claiming more than the file has",
      Buffer.from([0x09, 0x00, 0x10, 0x10, 0x4f, 0x42, 0, 0, 0xf0, 0xff, 0xff, 0xff, 1, 2]),
    ],
  ])("%s", async (_what, tail) => {
    const input = Buffer.concat([good, tail]);
    const o = await outOf(input, { options: ["retain-safe-private"] });
    expect(o.equals(await outOf(good, { options: ["retain-safe-private"] }))).toBe(true);
    expect(o.includes("FAKE^PATIENT")).toBe(false);
  });

  test("without pixel data, bytes that are not an element are refused", async () => {
    const r = await run(Buffer.concat([le(ct([], null)), Buffer.alloc(10, 0xa5)]));
    expect(r.status).toBe("rejected");
  });
});

describe("a DICOMDIR is never copied (it names patients)", () => {
  const record = seqOf(0x00041220, [
    [
      t(0x00041430, "CS", "PATIENT"),
      t(0x00100010, "PN", "FAKE^PATIENT"),
      t(0x00100020, "LO", "FAKE-PID"),
    ],
  ]);
  test("by its Media Storage SOP Class UID", async () => {
    const input = Buffer.concat([
      meta(SYNTAX.explicit, "1.2.840.10008.1.3.10", "1.2.826.0.1.3680043.10.999.3"),
      encode([t(0x00041130, "CS", "FAKESET"), record], "explicit"),
    ]);
    expect(await run(input)).toEqual({ status: "rejected", reason: SCAN_REASONS.dicomdir });
  });
  test("by its Directory Record Sequence, whatever the meta says", async () => {
    expect(await run(le(ct([record])))).toEqual({
      status: "rejected",
      reason: SCAN_REASONS.dicomdir,
    });
  });
});

describe("bounded memory", () => {
  /** A source of `size` bytes: `head`, then zeros; counts what is read. */
  const sourceOf = (head: Buffer, size: number) => {
    const src = {
      size,
      bytesRead: 0,
      async read(offset: number, length: number) {
        const n = Math.max(0, Math.min(length, size - offset));
        const out = Buffer.alloc(n);
        if (offset < head.length) head.copy(out, 0, offset, Math.min(head.length, offset + n));
        src.bytesRead += n;
        return out;
      },
    };
    return src;
  };

  test("a header length beyond the file is refused without reading on", async () => {
    const head = Buffer.concat([
      le(ct([], null)),
      Buffer.from([0x28, 0x00, 0x00, 0x20, 0x4f, 0x42, 0, 0, 0xf0, 0xff, 0xff, 0xff]), // ICC, 4 GiB
    ]);
    const src = sourceOf(head, 200 * 1024 * 1024);
    const r = await run(Buffer.alloc(0), {}, src as ByteSource);
    expect(r).toEqual({ status: "rejected", reason: READ_REASONS.truncated });
    expect(src.bytesRead).toBeLessThan(256 * 1024);
  });

  test("lengths inside sequences and items beyond the file are refused at once", () => {
    const seq = Buffer.from([0x40, 0, 0x96, 0x90, 0x53, 0x51, 0, 0, 0xf0, 0xff, 0xff, 0x7f]);
    const p = new Parser(seq, 1 << 30);
    expect(() => p.element("explicit", 0)).toThrow(READ_REASONS.truncated);
    const itemTooLong = Buffer.concat([
      Buffer.from([0x40, 0, 0x96, 0x90, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0xf0, 0xff, 0xff, 0x7f]),
    ]);
    expect(() => new Parser(itemTooLong, 1 << 20).element("explicit", 0)).toThrow(
      READ_REASONS.truncated,
    );
  });

  test("more elements and items than MAX_ELEMENTS are refused", async () => {
    const n = MAX_ELEMENTS + 1;
    const emptyItems = Buffer.alloc(8 * n);
    for (let i = 0; i < n; i++) {
      emptyItems.writeUInt32LE(0xe000fffe, 8 * i);
    }
    const input = Buffer.concat([
      le(ct([], null)),
      Buffer.from([0x40, 0, 0x96, 0x90, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff]),
      emptyItems,
      Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
    ]);
    expect(await run(input)).toEqual({ status: "rejected", reason: READ_REASONS.tooManyElements });
  });
});

const dcmmkdir = which("dcmmkdir");

describeIfAvailable(
  { name: "dcmtk (dcmmkdir)", available: !!dcmmkdir, setup: "scripts/setup-dicom-tools.sh" },
  "a DICOMDIR written by dcmtk's dcmmkdir",
  () => {
    test("is refused with its fixed reason", async () => {
      const dir = mkdtempSync(join(tmpdir(), "imgsec-dicomdir-"));
      mkdirSync(join(dir, "IMAGES"));
      writeFileSync(join(dir, "IMAGES", "IM0001"), le(ct()));
      const r = spawnSync(
        dcmmkdir as string,
        ["--general-purpose", "-Pgp", "+I", "+r", "+id", dir, "+D", join(dir, "DICOMDIR")],
        { cwd: dir, encoding: "utf8" },
      );
      if (r.status !== 0) throw new Error(`dcmmkdir: ${r.stderr}`);
      const dicomdir = readFileSync(join(dir, "DICOMDIR"));
      expect(dicomdir.includes("FAKE^PATIENT")).toBe(true);
      expect(await run(dicomdir)).toEqual({ status: "rejected", reason: SCAN_REASONS.dicomdir });
    });
  },
);

describe("every truncation point of big endian and deflated input: a fixed reason, never thrown", () => {
  const inputs = {
    "big endian": file(ct([seqOf(0x00409096, [[usv(0x00409211, 1)]], true)]), "big-endian"),
    deflated: Buffer.concat([meta(SYNTAX.deflated), deflateRawSync(encode(ct(), "explicit"))]),
  };
  test.each(Object.entries(inputs))("%s", async (_name, full) => {
    const reasons = new Set<string>();
    for (let n = 0; n < full.length; n++) {
      const r = await run(full.subarray(0, n));
      if (r.status === "rejected") reasons.add(r.reason);
    }
    expect([...reasons].filter((r) => /unexpected|Error|at /.test(r))).toEqual([]);
    expect(reasons.size).toBeGreaterThan(1);
  });
});
