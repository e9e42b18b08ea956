/**
 * Issue 10: every transfer syntax a real archive holds. Explicit VR big endian and deflated
 * explicit VR little endian are read and written as explicit VR little endian; a file meta that
 * names a wrong syntax, or none, is corrected from the data set itself. Twins are made both by
 * this test's own writer (encode.ts) and by dcmtk's dcmconv; outputs are read back by dcmdump.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { deflateRawSync, deflateSync } from "node:zlib";
import { SYNTAX_REASONS } from "../../../handlers/dicom";
import { swapChunks } from "../../../handlers/dicom/byteswap";
import { INFLATE_REASONS, MAX_INFLATED_BYTES } from "../../../handlers/dicom/inflate";
import { runCli } from "../../helpers/cli";
import { describeIfAvailable, which } from "../../helpers/tools";
import { malformed } from "../corpus/generator";
import { formatLeaks, scanForLeaks } from "../corpus/leak-scanner";
import { El, SYNTAX, ctElements, encode, file, meta, raw, seqOf, t, usv } from "./encode";
import { Done, assemble, deid, first, items, rawDict, run } from "./helpers";

const i16 = (tag: number, v: number): El => {
  const b = Buffer.alloc(2);
  b.writeInt16LE(v);
  return raw(tag, "SS", b);
};
const i32 = (tag: number, v: number): El => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return raw(tag, "SL", b);
};
const f32 = (tag: number, v: number): El => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v);
  return raw(tag, "FL", b);
};
const f64 = (tag: number, v: number): El => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return raw(tag, "FD", b);
};
const at = (tag: number, pointer: number): El => {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(Math.floor(pointer / 0x10000), 0);
  b.writeUInt16LE(pointer % 0x10000, 2);
  return raw(tag, "AT", b);
};

/** 4x4 16-bit pixels, every one different and with two different bytes. */
const PIXELS = Buffer.alloc(32);
for (let i = 0; i < 16; i++) PIXELS.writeUInt16LE(0x0100 * (i + 1) + (0x20 + i), 2 * i);

/** A fake CT with kept binary values of every byte order unit, a sequence and pixel data. */
function ct(extra: El[] = [], pixel: El | null = raw(0x7fe00010, "OW", PIXELS)): El[] {
  return ctElements(
    [
      t(0x00100030, "DA", "19010101"),
      i32(0x00186020, -5), // ReferencePixelX0 SL
      f32(0x00189351, 1.5), // CalciumScoringMassFactorPatient FL
      at(0x00280009, 0x00181063), // FrameIncrementPointer AT -> Frame Time
      usv(0x00280120, 0x1234), // PixelPaddingValue
      i16(0x00281041, -1), // PixelIntensityRelationshipSign SS
      raw(0x00281201, "OW", Buffer.from([0x02, 0x01, 0x04, 0x03])), // palette data OW
      raw(0x00282000, "OB", Buffer.from([1, 2, 3, 4])), // ICC profile OB: never swapped
      seqOf(0x00409096, [
        [usv(0x00409211, 4095), usv(0x00409216, 0), f64(0x00409224, -1024.5), f64(0x00409225, 0.5)],
      ]),
      ...extra,
    ],
    pixel,
  );
}

async function out(input: Buffer, extra = {}): Promise<Buffer> {
  return (await deid(input, extra)).out;
}

describe("explicit VR big endian: read, written as explicit VR little endian", () => {
  test("a big endian file and its little endian twin de-identify to the same bytes", async () => {
    const le = await deid(file(ct(), "explicit"));
    const be = await deid(file(ct(), "big-endian"));
    expect(be.meta.TransferSyntaxUID).toBe(SYNTAX.explicit);
    expect(be.out.equals(le.out)).toBe(true);
  });

  test("binary values come out little endian with their values", async () => {
    const input = file(ct(), "big-endian");
    const { out: o, result } = await deid(input);
    // Pixel data: a new little endian header, then the source range swapped word by word.
    const px = input.length - PIXELS.length;
    expect(result.parts.slice(1)).toEqual([
      { bytes: expect.any(Buffer) },
      { sourceOffset: px, length: 32, swap: 2 },
    ]);
    expect(input.subarray(px)).toEqual(Buffer.from(PIXELS).swap16());
    const ds = rawDict(o);
    expect(Buffer.from((ds["7FE00010"].Value as ArrayBuffer[])[0])).toEqual(PIXELS);
    expect(first(ds, "00186020")).toBe("-5");
    expect(first(ds, "00189351")).toBe("1.5");
    expect(first(ds, "00280010")).toBe("4");
    expect(first(ds, "00280120")).toBe(String(0x1234));
    expect(first(ds, "00281041")).toBe("-1");
    expect(first(ds, "00280009")).toBe(String(0x00181063));
    expect(Buffer.from((ds["00282000"].Value as ArrayBuffer[])[0])).toEqual(
      Buffer.from([1, 2, 3, 4]),
    );
    const [rwv] = items(ds, "00409096");
    expect(first(rwv, "00409224")).toBe("-1024.5");
    expect(first(rwv, "00409211")).toBe("4095");
  });

  test("8-bit pixel data (OB) is a byte stream: copied unswapped", async () => {
    const bytes = Buffer.from(Array.from({ length: 16 }, (_, i) => i + 1));
    const eight = (enc: "explicit" | "big-endian") =>
      file(
        ct([], raw(0x7fe00010, "OB", bytes)).map((e) =>
          e.tag === 0x00280100 ? usv(e.tag, 8) : e.tag === 0x00280101 ? usv(e.tag, 8) : e,
        ),
        enc,
      );
    const be = await deid(eight("big-endian"));
    expect(be.out.equals(await out(eight("explicit")))).toBe(true);
    expect(be.result.parts[2]).toEqual({ sourceOffset: expect.any(Number), length: 16 });
  });

  test("Float Pixel Data (OF) is swapped by 4 bytes", async () => {
    const floats = Buffer.alloc(64);
    for (let i = 0; i < 16; i++) floats.writeFloatLE(i * 1.25 - 3, 4 * i);
    const float = (enc: "explicit" | "big-endian") =>
      file(
        ct([], raw(0x7fe00008, "OF", floats)).map((e) =>
          e.tag === 0x00280100 ? usv(e.tag, 32) : e.tag === 0x00280101 ? usv(e.tag, 32) : e,
        ),
        enc,
      );
    const be = await deid(float("big-endian"));
    expect(be.result.parts[2]).toMatchObject({ length: 64, swap: 4 });
    expect(be.out.equals(await out(float("explicit")))).toBe(true);
  });

  test.each([
    [
      "16-bit samples as OB (no byte order to swap by)",
      "OB",
      16,
      SYNTAX_REASONS.bigEndianByteStream,
    ],
    ["32-bit samples as OW", "OW", 32, SYNTAX_REASONS.bigEndianWide],
  ])("%s are refused with a fixed reason", async (_what, vr, bits, reason) => {
    const input = file(
      ct([], raw(0x7fe00010, vr, Buffer.alloc(64))).map((e) =>
        e.tag === 0x00280100 ? usv(e.tag, bits) : e,
      ),
      "big-endian",
    );
    expect(await run(input)).toEqual({ status: "rejected", reason });
  });

  test("a sequence written as UN holds implicit VR little endian items (PS3.5 6.2.2)", async () => {
    const un = (e: El): El =>
      e.tag === 0x00409096 ? { ...e, vr: "UN", undefinedLength: true } : e;
    // UN values are little endian in any syntax: PixelPaddingValue as UN is not swapped.
    const unUs = (e: El): El => (e.tag === 0x00280120 ? { ...e, vr: "UN" } : e);
    const be = await out(file(ct().map(un).map(unUs), "big-endian"));
    expect(be.equals(await out(file(ct(), "explicit")))).toBe(true);
  });

  test("sequences and items of undefined length, big endian delimiters", async () => {
    const undef = (e: El): El => (e.items ? { ...e, undefinedLength: true } : e);
    const be = await out(file(ct().map(undef), "big-endian"));
    expect(be.equals(await out(file(ct(), "explicit")))).toBe(true);
  });

  test("masked pixels (a burned-in rule) are swapped before masking, written little endian", async () => {
    const us = (enc: "explicit" | "big-endian") =>
      file(
        ct([t(0x00080070, "LO", "FAKE VENDOR"), t(0x00081090, "LO", "FAKE MODEL")]).map((e) =>
          e.tag === 0x00080016 ? t(e.tag, "UI", "1.2.840.10008.5.1.4.1.1.6.1") : e,
        ),
        enc,
      );
    const pixelMasks = [
      {
        name: "test",
        manufacturer: "FAKE VENDOR",
        model: "FAKE MODEL",
        rows: 4,
        columns: 4,
        rectangles: [{ x: 0, y: 0, width: 4, height: 1 }],
      },
    ];
    const be = await deid(us("big-endian"), { pixelMasks });
    expect(be.result.pixelsMasked).toBe(true);
    expect(be.out.equals(await out(us("explicit"), { pixelMasks }))).toBe(true);
    const masked = Buffer.from(PIXELS);
    masked.fill(0, 0, 8);
    expect(be.out.subarray(be.out.length - 32)).toEqual(masked);
  });

  test("encapsulated (undefined length) pixel data under big endian is refused", async () => {
    const input = Buffer.concat([
      file(ct([], null), "big-endian"),
      Buffer.from([0x7f, 0xe0, 0x00, 0x10, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from([0xff, 0xfe, 0xe0, 0xdd, 0, 0, 0, 0]),
    ]);
    expect(await run(input)).toEqual({
      status: "rejected",
      reason: SYNTAX_REASONS.nativeEncapsulated,
    });
  });
});

describe("deflated explicit VR little endian: inflated (bounded), written as explicit VR LE", () => {
  const deflated = (data: Buffer, syntax = SYNTAX.deflated) => Buffer.concat([meta(syntax), data]);

  test("a deflated file and its twin de-identify to the same bytes; pixels come from memory", async () => {
    const input = deflated(deflateRawSync(encode(ct(), "explicit")));
    const { out: o, meta: m, result } = await deid(input);
    expect(m.TransferSyntaxUID).toBe(SYNTAX.explicit);
    expect(o.equals(await out(file(ct(), "explicit")))).toBe(true);
    expect(result.parts.every((p) => "bytes" in p)).toBe(true);
  });

  test("bytes after the end of the deflate stream are ignored", async () => {
    const input = deflated(
      Buffer.concat([deflateRawSync(encode(ct(), "explicit")), Buffer.from("FAKE^TRAILER")]),
    );
    const o = await out(input);
    expect(o.equals(await out(file(ct(), "explicit")))).toBe(true);
    expect(o.includes("FAKE^TRAILER")).toBe(false);
  });

  test("a zip bomb is refused once it inflates beyond the limit (never fully inflated)", async () => {
    const bomb = deflateRawSync(
      Buffer.concat([encode(ct(), "explicit"), Buffer.alloc(64 * 1024 * 1024)]),
    );
    expect(bomb.length).toBeLessThan(200 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    const r = await run(deflated(bomb), { maxInflatedBytes: 4 * 1024 * 1024 });
    expect(r).toEqual({ status: "rejected", reason: INFLATE_REASONS.tooLarge });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(48 * 1024 * 1024);
    // Under the limit, the same data set is read.
    const fits = deflated(deflateRawSync(encode(ct(), "explicit")));
    expect((await run(fits, { maxInflatedBytes: 4096 })).status).toBe("deidentified");
    expect(MAX_INFLATED_BYTES).toBe(1024 * 1024 * 1024);
  });

  test.each([0, -1, 1.5, Number.NaN])("maxInflatedBytes %p is a configuration error", async (n) => {
    await expect(run(file(ct(), "explicit"), { maxInflatedBytes: n })).rejects.toThrow(
      /maxInflatedBytes/,
    );
  });

  test.each([
    ["garbage", Buffer.from("FAKE^PATIENT is not a deflate stream at all")],
    ["a cut stream", deflateRawSync(encode(ct(), "explicit")).subarray(0, 200)],
    ["a zlib (RFC 1950) stream instead of raw deflate", deflateSync(encode(ct(), "explicit"))],
    ["nothing", Buffer.alloc(0)],
  ])("%s is refused with a fixed reason", async (_what, data) => {
    expect(await run(deflated(data))).toEqual({
      status: "rejected",
      reason: INFLATE_REASONS.corrupt,
    });
  });

  test("an inflated data set in implicit VR is refused (not what the syntax says)", async () => {
    expect(await run(deflated(deflateRawSync(encode(ct(), "implicit"))))).toEqual({
      status: "rejected",
      reason: SYNTAX_REASONS.encodingMismatch,
    });
  });
});

describe("a wrong or missing transfer syntax in the file meta", () => {
  test.each([
    ["explicit VR LE data under implicit VR", "explicit", SYNTAX.implicit, SYNTAX.explicit],
    ["implicit VR data under explicit VR LE", "implicit", SYNTAX.explicit, SYNTAX.implicit],
    ["big endian data under explicit VR LE", "big-endian", SYNTAX.explicit, SYNTAX.explicit],
    ["little endian data under big endian", "explicit", SYNTAX.bigEndian, SYNTAX.explicit],
    ["implicit VR data, no syntax named", "implicit", null, SYNTAX.implicit],
    ["explicit VR LE data, no syntax named", "explicit", null, SYNTAX.explicit],
    ["big endian data, no syntax named", "big-endian", null, SYNTAX.explicit],
    ["implicit VR data, an empty syntax", "implicit", "", SYNTAX.implicit],
  ] as const)("%s: read as it is, written as %s", async (_what, enc, named, written) => {
    const twin = await deid(file(ct(), enc === "big-endian" ? "explicit" : enc));
    const { out: o, meta: m } = await deid(file(ct(), enc, named));
    expect(m.TransferSyntaxUID).toBe(written);
    expect(o.equals(twin.out)).toBe(true);
  });

  test("an encapsulated syntax over an implicit VR data set is refused", async () => {
    expect(await run(file(ct([], null), "implicit", SYNTAX.jpegBaseline))).toEqual({
      status: "rejected",
      reason: SYNTAX_REASONS.encodingMismatch,
    });
  });

  test("a file meta group written in implicit VR is read", async () => {
    const good = file(ct(), "explicit");
    const metaEnd = 144 + good.readUInt32LE(140);
    // Re-encode the meta elements implicit: tag, 4-byte length, value.
    const implicitMeta: Buffer[] = [];
    for (let p = 132; p < metaEnd; ) {
      const vr = good.toString("latin1", p + 4, p + 6);
      const long = ["OB", "OW", "UN", "SQ", "UT"].includes(vr);
      const len = long ? good.readUInt32LE(p + 8) : good.readUInt16LE(p + 6);
      const head = long ? 12 : 8;
      const h = Buffer.alloc(8);
      good.copy(h, 0, p, p + 4);
      h.writeUInt32LE(len, 4);
      implicitMeta.push(h, good.subarray(p + head, p + head + len));
      p += head + len;
    }
    const input = Buffer.concat([good.subarray(0, 132), ...implicitMeta, good.subarray(metaEnd)]);
    expect((await out(input)).equals(await out(good))).toBe(true);
  });

  test("a wrong file meta group length is ignored (the group ends where group 0002 does)", async () => {
    const good = file(ct(), "explicit");
    const wrong = Buffer.from(good);
    wrong.writeUInt32LE(10, 140);
    expect((await out(wrong)).equals(await out(good))).toBe(true);
  });
});

describe("the corpus's big endian and deflated files (valid DICOM)", () => {
  test.each(malformed().filter((c) => c.kind === "big-endian" || c.kind === "deflated"))(
    "$name is de-identified with no planted value left",
    async (c) => {
      const r = await run(c.bytes);
      if (r.status !== "deidentified") throw new Error(`${r.status}: ${r.reason}`);
      const o = assemble(c.bytes, r as Done);
      const leaks = scanForLeaks([{ name: c.name, bytes: o }], c.planted);
      if (leaks.length) throw new Error(formatLeaks(leaks));
      expect(rawDict(o)["00120062"].Value).toEqual(["YES"]);
    },
  );
});

describe("swapChunks (the CLI writer's transform for swapped ranges)", () => {
  test.each([2, 4, 8] as const)("unit %d: any chunk boundaries, tail kept", async (unit) => {
    const data = Buffer.from(Array.from({ length: 8 * 97 + 3 }, (_, i) => (i * 31) % 256));
    const cuts = [0, 1, 3, 7, 8, 50, 51, 300, 301, 302, 600, data.length];
    const chunks = cuts.slice(1).map((c, i) => Buffer.from(data.subarray(cuts[i], c)));
    const got: Buffer[] = [];
    for await (const c of swapChunks(Readable.from(chunks), unit)) got.push(c);
    const whole = data.length - (data.length % unit);
    const expected = Buffer.from(data);
    const body = expected.subarray(0, whole);
    if (unit === 2) body.swap16();
    else if (unit === 4) body.swap32();
    else body.swap64();
    expect(Buffer.concat(got)).toEqual(expected);
  });
});

// --- dcmtk ---------------------------------------------------------------------------------

const dcmconv = which("dcmconv");
const dcmdump = which("dcmdump");

describeIfAvailable(
  {
    name: "dcmtk (dcmconv, dcmdump)",
    available: !!dcmconv && !!dcmdump,
    setup: "scripts/setup-dicom-tools.sh",
  },
  "twins written by dcmtk's dcmconv de-identify alike; dcmdump reads every output",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "imgsec-ts-"));
    const source = join(dir, "source.dcm");
    writeFileSync(source, file(ct(), "explicit"));
    const convert = (name: string, ...args: string[]): Buffer => {
      const target = join(dir, name);
      const r = spawnSync(dcmconv as string, [...args, source, target], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`dcmconv ${args.join(" ")}: ${r.stderr}`);
      return readFileSync(target);
    };
    const dump = (bytes: Buffer, name: string): string => {
      const path = join(dir, `${name}.out.dcm`);
      writeFileSync(path, bytes);
      const r = spawnSync(dcmdump as string, [path], { encoding: "utf8" });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
      return r.stdout;
    };

    const twin = convert("le.dcm", "+te");
    const variants: [string, string[]][] = [
      ["explicit VR big endian", ["+tb"]],
      ["deflated", ["+td"]],
      ["deflated, best compression", ["+td", "+cl", "9"]],
      ["explicit VR little endian with group lengths", ["+te", "+g"]],
      ["big endian with group lengths", ["+tb", "+g"]],
      ["undefined length sequences and items", ["+te", "-e"]],
      ["big endian, undefined lengths", ["+tb", "-e"]],
      ["trailing padding (FFFC,FFFC)", ["+te", "+p", "256", "0"]],
      ["big endian, trailing padding", ["+tb", "+p", "256", "0"]],
    ];

    test("dcmtk's little endian twin de-identifies like ours", async () => {
      expect((await out(twin)).equals(await out(file(ct(), "explicit")))).toBe(true);
    });

    test.each(variants)("%s: same output as the little endian twin", async (name, args) => {
      const input = convert(`${name.replace(/\W+/g, "-")}.dcm`, ...args);
      const expected = await out(twin);
      const got = await out(input);
      expect(got.equals(expected)).toBe(true);
      expect(dump(got, name)).toBe(dump(expected, "twin"));
      expect(dump(got, name)).toMatch(/\(0018,6020\) SL -5 /);
      expect(dump(got, name)).toMatch(/\(0028,0009\) AT \(0018,1063\)/);
    });

    test("implicit VR: implicit output, the same values as the twin's", async () => {
      const input = convert("implicit.dcm", "+ti");
      const { out: o, meta: m } = await deid(input);
      expect(m.TransferSyntaxUID).toBe(SYNTAX.implicit);
      const strip = (s: string) =>
        s
          .split("\n")
          .filter((l) => !/^# |\(0002,0000\)|\(0002,0010\)|^$/.test(l))
          .map((l) => l.replace(/ #.*$/, "").replace(/^(\s*\(\w+,\w+\)) \w\w /, "$1 "))
          .join("\n");
      expect(strip(dump(o, "implicit"))).toBe(strip(dump(await out(twin), "twin")));
    });

    test("the big endian input really is big endian (dcmdump reads it as such)", () => {
      const be = convert("be-check.dcm", "+tb");
      const r = spawnSync(dcmdump as string, ["-M", join(dir, "be-check.dcm")], {
        encoding: "utf8",
      });
      expect(r.stdout).toMatch(/BigEndianExplicit|Big Endian Explicit/);
      const px = be.length - 32;
      expect(be.subarray(px)).toEqual(Buffer.from(PIXELS).swap16());
    });

    test("the CLI writer swaps big endian pixel data as it streams (built CLI)", () => {
      const keys = join(dir, "keys.json");
      expect(runCli(["keys", "init", "--keys", keys]).code).toBe(0);
      const outputs: Buffer[] = [];
      for (const [name, args] of [
        ["le", ["+te"]],
        ["be", ["+tb"]],
        ["deflated", ["+td"]],
      ] as const) {
        const inDir = join(dir, `cli-in-${name}`);
        mkdirSync(inDir);
        writeFileSync(join(inDir, "x.dcm"), convert(`cli-${name}.dcm`, ...args));
        const outDir = join(dir, `cli-out-${name}`);
        const r = runCli(["deid", inDir, outDir, "--keys", keys, "--format", "json"]);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(r.code).toBe(0);
        const [o] = readdirSync(outDir);
        outputs.push(readFileSync(join(outDir, o)));
      }
      expect(outputs[1].equals(outputs[0])).toBe(true);
      expect(outputs[2].equals(outputs[0])).toBe(true);
      expect(outputs[0].subarray(outputs[0].length - 32)).toEqual(PIXELS);
    });
  },
);
