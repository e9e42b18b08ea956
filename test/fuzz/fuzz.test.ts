/**
 * Coverage-guided fuzzing of the DICOM reader and engine with Jazzer.js, bounded for CI: both
 * targets (test/fuzz/targets/) run at once for FUZZ_CI_SECONDS (default 30) from the generated
 * seeds, and any crash, hang (10 s per input) or RSS over 2 GiB fails this file, naming the
 * reproducer. Then the inputs the fuzzer kept are de-identified again and a sample of the outputs
 * is read back with dcmtk's dcmdump and checked with dicom3tools' dciodvfy (no error the input did
 * not have). `npm run fuzz` runs the same targets for longer (scripts/fuzz.js).
 *
 * The targets fuzz the compiled engine in dist/ (`npm test` builds it first).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ByteSource, DeidConfig, DeidResult, bufferSource, deidentify } from "../../handlers/dicom";
import { dciodvfy, describeWithDciodvfy, newErrors } from "../helpers/dciodvfy";
import { describeIfAvailable } from "../helpers/tools";
import {
  FuzzOutcome,
  TARGETS,
  Target,
  distProblem,
  findingReport,
  reproduceCommand,
  runFuzzer,
  targetPath,
} from "./jazzer";
import { FUZZ_DIR, writeSeeds } from "./seeds";

const SECONDS = Number(process.env.FUZZ_CI_SECONDS ?? 30);
const CI_DIR = join(FUZZ_DIR, "ci");
const SEEDS = join(CI_DIR, "seeds");
const REGRESSIONS = join(__dirname, "regressions");
const KEY = Buffer.alloc(32, 0x5a); // fixed test key, as in the targets
const STRICT: DeidConfig = { options: [], pseudonymizationKey: KEY };
const DICOM_SETUP = "scripts/setup-dicom-tools.sh";

function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

function assemble(r: Extract<DeidResult, { status: "deidentified" }>, input: Buffer): Buffer {
  return Buffer.concat(
    r.parts.map((p) =>
      "bytes" in p ? p.bytes : input.subarray(p.sourceOffset, p.sourceOffset + p.length),
    ),
  );
}

type FuzzTarget = { fuzz(data: Buffer): Promise<void> };
async function loadTarget(t: Target): Promise<FuzzTarget> {
  return (await import(targetPath(t))) as FuzzTarget;
}

/** The seeds, written once for this file. */
let seedNames: string[] | undefined;
function seeds(): string[] {
  if (!seedNames) {
    const problem = distProblem();
    if (problem) throw new Error(problem);
    seedNames = writeSeeds(SEEDS);
  }
  return seedNames;
}

/** Both targets at once, once for this file. */
let fuzzing: Promise<Map<Target, FuzzOutcome>> | undefined;
function fuzzRun(): Promise<Map<Target, FuzzOutcome>> {
  fuzzing ??= (async () => {
    seeds();
    const runs = TARGETS.map(async (target): Promise<[Target, FuzzOutcome]> => {
      const dir = join(CI_DIR, target);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const outcome = await runFuzzer({
        target,
        seconds: SECONDS,
        corpus: join(dir, "corpus"),
        seeds: [SEEDS],
        artifacts: join(dir, "crashes"),
        log: join(dir, "fuzzer.log"),
      });
      return [target, outcome];
    });
    return new Map(await Promise.all(runs));
  })();
  return fuzzing;
}
const FUZZ_TIMEOUT = (SECONDS + 120) * 1000;

function findingMessage(target: Target, o: FuzzOutcome): string {
  const lines = [
    `fuzz target "${target}" failed (exit ${o.code ?? o.signal}, ${o.runs} runs; log: ${join(CI_DIR, target, "fuzzer.log")})`,
  ];
  for (const f of o.findings) {
    lines.push(`reproducer: ${f}`, `run it again: ${reproduceCommand(target, f)}`);
  }
  lines.push(
    "Keep it as test/fuzz/regressions/<name>.dcm with its expected outcome in test/fuzz/regressions/expected.json.",
    "",
    findingReport(o),
  );
  return lines.join("\n");
}

describe("fuzzing with Jazzer.js (bounded)", () => {
  test.each(TARGETS)(
    `%s target: no crash, hang or memory blow-up in ${SECONDS} s`,
    async (target) => {
      const o = (await fuzzRun()).get(target) as FuzzOutcome;
      if (o.code !== 0 || o.findings.length > 0) throw new Error(findingMessage(target, o));
      expect(o.runs).toBeGreaterThan(0);
    },
    FUZZ_TIMEOUT,
  );
});

describe("fuzz targets in-process (no fuzzer)", () => {
  test("every seed satisfies both targets' properties", async () => {
    for (const t of TARGETS) {
      const target = await loadTarget(t);
      for (const name of seeds()) {
        await expect(target.fuzz(readFileSync(join(SEEDS, name)))).resolves.toBeUndefined();
      }
    }
  });

  test("a property that does not hold is a finding", async () => {
    seeds();
    const common = (await import(join(__dirname, "targets", "common.js"))) as {
      checkResult(r: unknown, data: Buffer, what: string): void;
    };
    const data = Buffer.alloc(16);
    const finding = (r: unknown) => () => common.checkResult(r, data, "test");
    expect(finding({ status: "rejected", reason: "SMITH^JOHN" })).toThrow(/fixed strings/);
    expect(
      finding({ status: "rejected", reason: "unexpected error while reading the data set" }),
    ).toThrow(/other than Malformed/);
    expect(finding({ status: "done" })).toThrow(/not an outcome/);
    expect(finding({ status: "rejected", reason: "not a DICOM file", extra: 1 })).toThrow(/keys/);
    expect(finding({ status: "rejected", reason: "not a DICOM file" })).not.toThrow();
  });
});

// ------------------------------------------------------------------------------------------
// Length fields that claim gigabytes: refused with a fixed reason, never read or allocated.

/** Explicit VR little endian element; `length` overrides the value's length in the header. */
function el(group: number, element: number, vr: string, value: Buffer | string, length?: number) {
  const v = typeof value === "string" ? Buffer.from(value, "latin1") : value;
  const long = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"];
  const h = Buffer.alloc(long.includes(vr) ? 12 : 8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, "latin1");
  if (long.includes(vr)) h.writeUInt32LE(length ?? v.length, 8);
  else h.writeUInt16LE(length ?? v.length, 6);
  return Buffer.concat([h, v]);
}
const item = (length: number, body = Buffer.alloc(0)) => {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(0xe000fffe, 0);
  h.writeUInt32LE(length, 4);
  return Buffer.concat([h, body]);
};
const HUGE = 0xfffffff0;

function part10(syntax: string, body: Buffer, metaVersionLength?: number): Buffer {
  const uid = (s: string) => (s.length % 2 ? `${s}\0` : s);
  const meta = Buffer.concat([
    el(0x0002, 0x0001, "OB", Buffer.from([0, 1]), metaVersionLength),
    el(0x0002, 0x0010, "UI", uid(syntax)),
  ]);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from("DICM"),
    el(0x0002, 0x0000, "UL", Buffer.from(Uint32Array.of(meta.length).buffer)),
    meta,
    body,
  ]);
}
const EXPLICIT = "1.2.840.10008.1.2.1";
const JPEG = "1.2.840.10008.1.2.4.50";
const IDENTITY = Buffer.concat([
  el(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2\0"),
  el(0x0008, 0x0018, "UI", "1.2.826.0.1.3680043.10.999.42"),
  el(0x0008, 0x0060, "CS", "CT"),
  el(0x0010, 0x0010, "PN", "FAKE^PATIENT"),
]);

/** A source that records what is asked of it; bytes past `real` read as zeros. */
function recordingSource(real: Buffer, size = real.length) {
  const log = { requested: 0, largest: 0, outside: 0 };
  const src: ByteSource = {
    size,
    async read(offset, length) {
      log.requested += length;
      log.largest = Math.max(log.largest, length);
      if (offset < 0 || length < 0 || offset + length > size) log.outside++;
      // Reading gigabytes is the failure under test: refuse it rather than allocate it.
      if (length > 64 * 1024 * 1024) throw new Error("read of more than 64 MiB");
      const n = Math.max(0, Math.min(length, size - offset));
      const out = Buffer.alloc(n);
      if (offset < real.length) real.copy(out, 0, offset, Math.min(real.length, offset + n));
      return out;
    },
  };
  return { src, log };
}

describe("length fields claiming gigabytes", () => {
  const cases: [string, Buffer, RegExp][] = [
    [
      "file meta element",
      part10(EXPLICIT, IDENTITY, HUGE),
      /^(truncated data element|file meta information has no transfer syntax)$/,
    ],
    [
      "header element (UT)",
      part10(EXPLICIT, Buffer.concat([IDENTITY, el(0x0010, 0x4000, "UT", "FAKE", HUGE)])),
      /^truncated data element$/,
    ],
    [
      "sequence of defined length",
      part10(EXPLICIT, Buffer.concat([IDENTITY, el(0x0008, 0x1110, "SQ", item(0), HUGE)])),
      /^truncated data element$/,
    ],
    [
      "sequence item",
      part10(EXPLICIT, Buffer.concat([IDENTITY, el(0x0008, 0x1110, "SQ", item(HUGE), 0xffffffff)])),
      /^(truncated data element|sequence item overruns its sequence)$/,
    ],
    [
      "native pixel data",
      part10(EXPLICIT, Buffer.concat([IDENTITY, el(0x7fe0, 0x0010, "OW", Buffer.alloc(64), HUGE)])),
      /^truncated pixel data$/,
    ],
    [
      "encapsulated pixel data fragment",
      part10(
        JPEG,
        Buffer.concat([
          IDENTITY,
          el(
            0x7fe0,
            0x0010,
            "OB",
            Buffer.concat([item(0), item(HUGE, Buffer.alloc(16))]),
            0xffffffff,
          ),
        ]),
      ),
      /^truncated pixel data$/,
    ],
  ];

  test.each(cases)(
    "%s: rejected with a fixed reason, reads stay inside the file",
    async (_n, bytes, reason) => {
      const { src, log } = recordingSource(bytes);
      const r = await deidentify(src, STRICT);
      expect(r.status).toBe("rejected");
      expect(r.status === "rejected" && r.reason).toMatch(reason);
      expect(log.outside).toBe(0);
      expect(log.requested).toBeLessThanOrEqual(4 * bytes.length + 65536);
    },
  );

  test("4 GiB of pixel data in a 4 GiB source is copied by range, never read", async () => {
    const header = part10(
      EXPLICIT,
      Buffer.concat([IDENTITY, el(0x7fe0, 0x0010, "OW", Buffer.alloc(0), HUGE)]),
    );
    const { src, log } = recordingSource(header, header.length + HUGE);
    const r = await deidentify(src, STRICT);
    expect(r.status).toBe("deidentified");
    if (r.status !== "deidentified") return;
    expect(r.parts).toContainEqual({ sourceOffset: header.length - 12, length: 12 + HUGE });
    expect(log.outside).toBe(0);
    expect(log.requested).toBeLessThan(1024 * 1024);
  });
});

// ------------------------------------------------------------------------------------------
// Regressions: reproducers the fuzzer found, with the outcome the engine must give now.

const regressionFiles = existsSync(REGRESSIONS)
  ? readdirSync(REGRESSIONS).filter((f) => f.endsWith(".dcm"))
  : [];
if (regressionFiles.length > 0) {
  describe("fuzzer regressions", () => {
    const expected = JSON.parse(readFileSync(join(REGRESSIONS, "expected.json"), "utf8")) as Record<
      string,
      { status: string; reason?: string }
    >;
    test.each(regressionFiles)("%s", async (name) => {
      const bytes = readFileSync(join(REGRESSIONS, name));
      const want = expected[name];
      if (!want) throw new Error(`test/fuzz/regressions/expected.json has no outcome for ${name}`);
      const r = await deidentify(bufferSource(bytes), STRICT);
      expect({ status: r.status, reason: "reason" in r ? r.reason : undefined }).toEqual({
        status: want.status,
        reason: want.reason,
      });
      seeds();
      for (const t of TARGETS) await (await loadTarget(t)).fuzz(bytes);
    });
  });
}

// ------------------------------------------------------------------------------------------
// What the fuzzer kept, de-identified again, read back by independent tools.

interface Sample {
  name: string;
  input: string;
  output: string;
}
let sampled: Promise<Sample[]> | undefined;
/** All de-identified seeds and up to 40 de-identified fuzzer inputs, evenly spread. */
function samples(): Promise<Sample[]> {
  sampled ??= (async () => {
    await fuzzRun();
    const dir = join(CI_DIR, "samples");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const corpus = join(CI_DIR, "engine", "corpus");
    const fuzzed = existsSync(corpus) ? readdirSync(corpus).sort() : [];
    const step = Math.max(1, Math.floor(fuzzed.length / 40));
    const inputs = [
      ...seeds().map((f) => ({ name: `seed-${f}`, path: join(SEEDS, f) })),
      ...fuzzed
        .filter((_f, i) => i % step === 0)
        .slice(0, 40)
        .map((f) => ({ name: `fuzzed-${f}`, path: join(corpus, f) })),
    ];
    const out: Sample[] = [];
    for (const i of inputs) {
      const bytes = readFileSync(i.path);
      const r = await deidentify(bufferSource(bytes), STRICT);
      if (r.status !== "deidentified") continue;
      const s = {
        name: i.name,
        input: join(dir, `${i.name}.in.dcm`),
        output: join(dir, `${i.name}.out.dcm`),
      };
      writeFileSync(s.input, bytes);
      writeFileSync(s.output, assemble(r, bytes));
      out.push(s);
    }
    return out;
  })();
  return sampled;
}

const dcmdump = which("dcmdump");
describeIfAvailable(
  { name: "dcmdump", available: dcmdump !== undefined, setup: DICOM_SETUP },
  "fuzzed outputs read back with dcmtk",
  () => {
    test(
      "dcmdump reads every sampled output without an error",
      async () => {
        const s = await samples();
        expect(s.length).toBeGreaterThan(10);
        const bad: string[] = [];
        for (const x of s) {
          const r = spawnSync(dcmdump as string, [x.output], {
            encoding: "utf8",
            maxBuffer: 1 << 26,
          });
          const errors = `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => /^E: /.test(l));
          if (r.status !== 0 || errors.length > 0) {
            bad.push(
              `${x.output} (input ${x.input}): exit ${r.status}\n  ${errors.slice(0, 5).join("\n  ")}`,
            );
          }
        }
        expect(bad).toEqual([]);
      },
      FUZZ_TIMEOUT,
    );
  },
);

/**
 * Fuzzed inputs that dcmdump reads with warnings (elements out of order, odd lengths, bad values)
 * are read differently by dciodvfy and by the engine, so their error lists do not compare: only
 * the seeds and the inputs dcmdump reads cleanly are checked.
 */
function readsCleanly(x: Sample): boolean {
  if (x.name.startsWith("seed-")) return true;
  if (!dcmdump) return false;
  const r = spawnSync(dcmdump, [x.input], { encoding: "utf8", maxBuffer: 1 << 26 });
  return r.status === 0 && !/^(W|E): /m.test(`${r.stdout}\n${r.stderr}`);
}

const dcmconv = which("dcmconv");
/**
 * The input as dciodvfy should see it: converted by dcmtk to Explicit VR Little Endian (the
 * output's encoding for big endian and deflated input, which dciodvfy reads only in part), or as
 * it is when dcmconv is missing or cannot read it.
 */
function baseline(x: Sample): string {
  if (!dcmconv) return x.input;
  const le = `${x.input}.le.dcm`;
  const r = spawnSync(dcmconv, ["+te", x.input, le], { encoding: "utf8" });
  return r.status === 0 && existsSync(le) ? le : x.input;
}

describeWithDciodvfy("de-identification adds no IOD error (dicom3tools)", () => {
  test(
    "dciodvfy finds no error in an output that it did not find in its input",
    async () => {
      const introduced: string[] = [];
      const mutated: string[] = [];
      const checked = (await samples()).filter(readsCleanly);
      expect(checked.length).toBeGreaterThan(10);
      for (const x of checked) {
        for (const e of newErrors(dciodvfy(baseline(x)), dciodvfy(x.output))) {
          // dciodvfy compares an evidence reference with its content item only when their instance
          // UIDs are equal strings; a fuzzed input whose two copies differ only in padding becomes
          // equal once the UIDs are replaced, which reveals a class mismatch the input already had.
          if (/does not match reference for/.test(e)) continue;
          (x.name.startsWith("fuzzed-") ? mutated : introduced).push(`${x.name}: ${e}`);
        }
      }
      // Generated seeds must stay clean. Mutated inputs are arbitrary: an error there is printed
      // for a developer to triage (npm run fuzz keeps the input), not a gate on a random draw.
      if (mutated.length)
        console.warn(`dciodvfy errors on fuzzed outputs, to triage:\n${mutated.join("\n")}`);
      expect(introduced).toEqual([]);
    },
    FUZZ_TIMEOUT,
  );
});
