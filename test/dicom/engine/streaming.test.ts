import { ByteSource } from "../../../handlers/dicom";
import { ENHANCED_CT, JPEG_BASELINE, bytes, fakeCt, num, part10, run, str } from "./helpers";
import { explicit, item, delimiter, SEQ_END, UNDEFINED } from "./bytes";

/** A large input that is mostly zeros: real bytes at given offsets, counted reads. */
class VirtualSource implements ByteSource {
  bytesRead = 0;
  reads = 0;
  constructor(
    readonly size: number,
    private readonly segments: { offset: number; bytes: Buffer }[],
  ) {}
  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, offset + length);
    const out = Buffer.alloc(Math.max(0, end - offset));
    this.reads++;
    this.bytesRead += out.length;
    // Segments are sorted: find the first that may overlap (binary search), copy the overlaps.
    let lo = 0;
    let hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const s = this.segments[mid];
      if (s.offset + s.bytes.length <= offset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.segments.length && this.segments[i].offset < end; i++) {
      const s = this.segments[i];
      const from = Math.max(offset, s.offset);
      const to = Math.min(end, s.offset + s.bytes.length);
      s.bytes.copy(out, from - offset, from - s.offset, to - s.offset);
    }
    return out;
  }
}

function headerOnly(sopClass = ENHANCED_CT, extra = {}) {
  const ds = fakeCt({ "00080016": str("UI", sopClass), ...extra });
  delete ds["7FE00010"];
  return ds;
}

describe("memory stays bounded by the header, not the file", () => {
  test("512 MiB of native multi-frame pixel data: under 1 MiB read, pixels as a source range", async () => {
    const head = part10(
      headerOnly(ENHANCED_CT, { "00280008": str("IS", "1024"), "00280010": num("US", 512) }),
    );
    const pixelLength = 512 * 1024 * 1024;
    const pixelHeader = explicit(0x7fe00010, "OW", Buffer.alloc(0), pixelLength);
    const size = head.length + pixelHeader.length + pixelLength;
    const src = new VirtualSource(size, [
      { offset: 0, bytes: head },
      { offset: head.length, bytes: pixelHeader },
    ]);
    const r = await run(Buffer.alloc(0), {}, src);
    if (r.status !== "deidentified") throw new Error(r.reason);
    expect(r.parts[1]).toEqual({ sourceOffset: head.length, length: 12 + pixelLength });
    expect(src.bytesRead).toBeLessThan(1024 * 1024);
  });

  test("5,000 encapsulated frames: only item headers are read", async () => {
    const head = part10(headerOnly(ENHANCED_CT), JPEG_BASELINE);
    const segments = [{ offset: 0, bytes: head }];
    let p = head.length;
    const push = (b: Buffer) => {
      segments.push({ offset: p, bytes: b });
      p += b.length;
    };
    push(
      Buffer.concat([
        explicit(0x7fe00010, "OB", Buffer.alloc(0), UNDEFINED),
        item(Buffer.alloc(0)),
      ]),
    );
    const frame = 100_000;
    for (let i = 0; i < 5000; i++) {
      const h = Buffer.alloc(8);
      h.writeUInt32LE(0xe000fffe, 0);
      h.writeUInt32LE(frame, 4);
      push(h);
      p += frame;
    }
    push(delimiter(SEQ_END));
    const trailer = explicit(0xfffcfffc, "OB", Buffer.alloc(16));
    push(trailer);
    const src = new VirtualSource(p, segments);
    const r = await run(Buffer.alloc(0), {}, src);
    if (r.status !== "deidentified") throw new Error(r.reason);
    expect(r.parts).toHaveLength(2); // padding after the pixel data is dropped
    expect(r.parts[1]).toEqual({
      sourceOffset: head.length,
      length: p - head.length - trailer.length,
    });
    expect(src.bytesRead).toBeLessThan(0.01 * p);
  });

  test("a header larger than the first 64 KiB window is read in growing steps", async () => {
    const lut = new Uint8Array(300_000).fill(3);
    const head = part10(headerOnly("1.2.840.10008.5.1.4.1.1.2", { "00281201": bytes("OW", lut) }));
    const pixels = explicit(0x7fe00010, "OW", Buffer.alloc(32, 7));
    const input = Buffer.concat([head, pixels]);
    const src = new VirtualSource(input.length, [{ offset: 0, bytes: input }]);
    const r = await run(Buffer.alloc(0), {}, src);
    if (r.status !== "deidentified") throw new Error(r.reason);
    expect(src.reads).toBeLessThanOrEqual(6);
    const out = r.parts[0] as { bytes: Buffer };
    expect(out.bytes.includes(Buffer.from(lut.subarray(0, 1000)))).toBe(true);
  });
});
