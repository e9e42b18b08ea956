/**
 * The job's view of a de-identified object (handlers/job/output.ts): read at any offset or
 * streamed, it has exactly the bytes `imgsec deid` writes for the same input, big endian words
 * swapped included; a source cut short is an error, never a shorter object.
 */
import { createHash } from "node:crypto";
import { bufferSource, deidentify } from "../../handlers/dicom";
import type { DeidResult } from "../../handlers/dicom";
import { DeidentifiedOutput, SourceChangedError } from "../../handlers/job/output";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { digestResult, openInput } from "../../handlers/job/deid-output";
import { generateCorpus, malformed } from "../dicom/corpus/generator";

const key = Buffer.alloc(32, 7);
type Deidentified = Extract<DeidResult, { status: "deidentified" }>;

async function deid(bytes: Buffer): Promise<Deidentified> {
  const r = await deidentify(bufferSource(bytes), { options: [], pseudonymizationKey: key });
  if (r.status !== "deidentified") throw new Error(`not de-identified: ${r.status}`);
  return r;
}

const work = mkdtempSync(join(tmpdir(), "imgsec-job-output-"));
let n = 0;

/** The reference: what `imgsec deid` writes (handlers/job/deid-output.ts), as a digest. */
function written(bytes: Buffer, r: Deidentified): string {
  const path = join(work, `${++n}.dcm`);
  writeFileSync(path, bytes);
  const input = openInput(path);
  try {
    return digestResult(input, r);
  } finally {
    input.close();
  }
}

const inputs = (() => {
  const corpus = generateCorpus()
    .files.slice(0, 6)
    .map((f) => ({ name: f.name, bytes: f.bytes }));
  const be = malformed().find((v) => v.kind === "big-endian")!;
  return [...corpus, { name: be.name, bytes: be.bytes }];
})();

describe("DeidentifiedOutput", () => {
  test.each(inputs.map((i) => [i.name, i.bytes] as const))(
    "%s: streamed and read at random offsets, the bytes deid writes",
    async (name, bytes) => {
      const r = await deid(bytes);
      // The big endian input exercises the swapped ranges.
      if (name === "big-endian.dcm") expect(r.parts.some((p) => "swap" in p)).toBe(true);
      const out = new DeidentifiedOutput(bufferSource(bytes), r.parts);
      const all: Buffer[] = [];
      for await (const c of out.chunks()) all.push(Buffer.from(c));
      const whole = Buffer.concat(all);
      expect(whole.length).toBe(out.size);
      const reference = written(bytes, r);
      expect(`sha256:${createHash("sha256").update(whole).digest("hex")}`).toBe(reference);
      // Odd offsets and lengths, across part boundaries and inside swapped words.
      for (const [o, n] of [
        [0, 1],
        [1, 3],
        [127, 9],
        [whole.length - 3, 10],
        [Math.floor(whole.length / 2) + 1, 4097],
      ])
        expect(await out.read(o, n)).toEqual(whole.subarray(o, o + n));
    },
  );

  test("a source shorter than the engine saw is an error, not a shorter output", async () => {
    const bytes = inputs[0].bytes;
    const r = await deid(bytes);
    const cut = bufferSource(bytes.subarray(0, bytes.length - 100));
    const out = new DeidentifiedOutput(cut, r.parts);
    await expect(
      (async () => {
        for await (const c of out.chunks()) void c;
      })(),
    ).rejects.toBeInstanceOf(SourceChangedError);
  });
});
