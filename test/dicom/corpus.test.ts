/**
 * Tests of the synthetic DICOM corpus (test/dicom/corpus) itself: the generator plants what it
 * says where it says, the files are DICOM that dcmjs, dcmtk and gdcm read, the malformed cases
 * are malformed as claimed, and the leak scanner finds planted values in all their spellings.
 *
 * dcmtk (dcmdump) and gdcm (gdcmdump) come from scripts/setup-dicom-tools.sh, which is run here
 * once when dcmdump is missing. Without them those tests skip loudly; under CI=true they fail.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { inflateRawSync } from "node:zlib";
import { decodeIso2022Jp, encodeIso2022Jp, encodeLatin1 } from "./corpus/charsets";
import { DcmjsDataset, readBareDataset, readPart10 } from "./corpus/dcmjs";
import {
  GeneratedFile,
  GeneratedStudy,
  PlantedValue,
  TS,
  findExplicitElement,
  generateCorpus,
  generateCtSeries,
  generateMultiframe,
  generateStudy,
  malformed,
  writeStudy,
} from "./corpus/generator";
import { deriveVariants } from "./corpus/planted";
import { which } from "../helpers/tools";
import { Leak, formatLeaks, inflateDeflatedDicom, scanForLeaks } from "./corpus/leak-scanner";

const ROOT = join(__dirname, "..", "..");

// --- outside tools -------------------------------------------------------------------------

function findTools(): { dcmdump?: string; gdcmdump?: string } {
  let dcmdump = which("dcmdump");
  if (!dcmdump && process.env.IMGSEC_SKIP_TOOL_SETUP !== "1") {
    const r = spawnSync("bash", [join(ROOT, "scripts", "setup-dicom-tools.sh")], {
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
    });
    if (r.status !== 0) {
      process.stderr.write(
        `[corpus.test] scripts/setup-dicom-tools.sh failed:\n${r.stderr.split("\n").slice(-4).join("\n")}\n`,
      );
    }
    dcmdump = which("dcmdump");
  }
  return { dcmdump, gdcmdump: which("gdcmdump") };
}
const tools = findTools();

/** describe() that needs an outside tool: skips loudly without it, fails under CI=true. */
function describeWithTool(
  tool: string | undefined,
  label: string,
  title: string,
  body: (path: string) => void,
): void {
  if (tool) {
    describe(title, () => body(tool));
  } else if (process.env.CI === "true") {
    describe(title, () => {
      test(`${label} is installed (scripts/setup-dicom-tools.sh)`, () => {
        throw new Error(`${label} is missing and CI=true does not allow skipping ${title}`);
      });
    });
  } else {
    console.warn(
      `SKIPPED: ${title}: ${label} is not installed (run scripts/setup-dicom-tools.sh as root)`,
    );
    describe.skip(`${title} [SKIPPED: ${label} not installed]`, () => body(""));
  }
}

// --- helpers -------------------------------------------------------------------------------

function read(f: GeneratedFile, ignoreErrors = false): DcmjsDataset {
  return f.info.preamble
    ? readPart10(f.bytes, { ignoreErrors }).dict
    : readBareDataset(f.bytes, f.info.transferSyntaxUid, { ignoreErrors });
}

function str(ds: DcmjsDataset, tag: string): string {
  const v = ds[tag]?.Value?.[0];
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && "Alphabetic" in v) {
    const pn = v as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
    return [pn.Alphabetic ?? "", pn.Ideographic, pn.Phonetic]
      .filter((x) => x !== undefined)
      .join("=");
  }
  return String(v);
}

function items(ds: DcmjsDataset, tag: string): DcmjsDataset[] {
  return (ds[tag]?.Value ?? []) as DcmjsDataset[];
}

function plantedAt(planted: PlantedValue[], where: string): PlantedValue[] {
  return planted.filter((p) => p.where === where);
}

function haystacks(files: { name: string; bytes: Buffer }[]) {
  return files.map((f) => ({ name: f.name, bytes: f.bytes }));
}

let corpus: GeneratedStudy;
let generationMs = 0;
let dir: string;

beforeAll(() => {
  const t0 = performance.now();
  corpus = generateCorpus();
  generationMs = performance.now() - t0;
  dir = mkdtempSync(join(tmpdir(), "imgsec-corpus-"));
  writeStudy(join(dir, "corpus"), corpus);
  for (const m of malformed()) writeFileSync(join(dir, m.name), m.bytes);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// --- generator -----------------------------------------------------------------------------

describe("corpus generator", () => {
  test("generates the whole corpus fast and deterministically", () => {
    console.log(
      `corpus: ${corpus.files.length} files, ${corpus.planted.length} planted values, ${generationMs.toFixed(0)} ms`,
    );
    expect(corpus.files.length).toBeGreaterThanOrEqual(30);
    expect(generationMs).toBeLessThan(5000);
    const again = generateCorpus();
    expect(again.files.map((f) => f.name)).toEqual(corpus.files.map((f) => f.name));
    again.files.forEach((f, i) =>
      expect(f.bytes.equals(corpus.files[i]?.bytes as Buffer)).toBe(true),
    );
    expect(again.planted).toEqual(corpus.planted);
    const other = generateCorpus(1234);
    expect(other.planted.map((p) => p.value)).not.toEqual(corpus.planted.map((p) => p.value));
  });

  test("every planted value is in the generated bytes (so the scanner can fail)", () => {
    const leaks = scanForLeaks(haystacks(corpus.files), corpus.planted, { all: true });
    const found = new Set(leaks.flatMap((l) => l.sources.map((s) => `${s.value}\u0000${s.where}`)));
    const missing = corpus.planted.filter((p) => !found.has(`${p.value}\u0000${p.where}`));
    expect(missing).toEqual([]);
    // and verbatim (in the file's character set), but for what free text holds re-formatted
    const verbatim = new Set(
      leaks.flatMap((l) => l.sources.filter((x) => x.value === l.needle).map((x) => x.value)),
    );
    const notVerbatim = corpus.planted.filter(
      (p) => !verbatim.has(p.value) && !p.where.includes("inside free text"),
    );
    expect(notVerbatim).toEqual([]);
  });

  test("planted values are unmistakably fake", () => {
    for (const p of corpus.planted) {
      if (p.kind === "date" || p.kind === "datetime") expect(p.value).toMatch(/^190[1-9]\d{4}/);
      else if (p.kind === "time") expect(p.value).toMatch(/^\d{6}\.\d{6}$/);
      else if (p.where.startsWith("PatientAge")) expect(p.value).toMatch(/^09\dY$/);
      else expect(p.value).toMatch(/zz/i);
      expect(p.variants[0]).toBe(p.value);
      expect(p.variants).toEqual(deriveVariants(p.value, p.kind));
      expect(p.where).not.toContain(p.value);
    }
    // dates are unique, 13th-28th of a month (MM/DD and DD/MM never read alike)
    const dates = corpus.planted.filter((p) => p.kind === "date").map((p) => p.value);
    for (const d of dates) expect(Number(d.slice(6, 8))).toBeGreaterThanOrEqual(13);
    // no UID can hide a planted date
    for (const f of corpus.files) {
      for (const uid of [
        f.info.sopInstanceUid,
        f.info.seriesInstanceUid,
        f.info.studyInstanceUid,
      ]) {
        expect(uid).not.toContain("190");
      }
    }
  });

  test("PHI is planted in every place PHI hides", () => {
    const wheres = corpus.planted.map((p) => p.where);
    const expected = [
      "PatientName (0010,0010)",
      "PatientID (0010,0020)",
      "OtherPatientIDs (0010,1000)",
      "OtherPatientIDsSequence (0010,1002) > PatientID (0010,0020)",
      "OtherPatientNames (0010,1001)",
      "PatientBirthDate (0010,0030)",
      "PatientBirthTime (0010,0032)",
      "PatientAddress (0010,1040)",
      "PatientTelephoneNumbers (0010,2154)",
      "PatientMotherBirthName (0010,1060)",
      "EthnicGroup (0010,2160)",
      "MilitaryRank (0010,1080)",
      "PatientComments (0010,4000)",
      "AdditionalPatientHistory (0010,21B0)",
      "ReferringPhysicianName (0008,0090)",
      "ReferringPhysicianIdentificationSequence (0008,0096) > PersonIdentificationCodeSequence (0040,1101) > CodeValue (0008,0100)",
      "PerformingPhysicianName (0008,1050)",
      "NameOfPhysiciansReadingStudy (0008,1060)",
      "RequestingPhysician (0032,1032)",
      "OperatorsName (0008,1070)",
      "OperatorIdentificationSequence (0008,1072) > PersonIdentificationCodeSequence (0040,1101) > CodeValue (0008,0100)",
      "InstitutionName (0008,0080)",
      "InstitutionAddress (0008,0081)",
      "InstitutionalDepartmentName (0008,1040)",
      "StationName (0008,1010)",
      "StudyDate (0008,0020)",
      "SeriesDate (0008,0021)",
      "AcquisitionDate (0008,0022)",
      "ContentDate (0008,0023)",
      "AcquisitionDateTime (0008,002A)",
      "AccessionNumber (0008,0050)",
      "StudyID (0020,0010)",
      "RequestAttributesSequence (0040,0275) > RequestedProcedureID (0040,1001)",
      "DeviceSerialNumber (0018,1000)",
      "StudyDescription (0008,1030)",
      "SeriesDescription (0008,103E)",
      "ImageComments (0020,4000)",
      "ProtocolName (0018,1030)",
      "RequestAttributesSequence (0040,0275) > ReferencedStudySequence (0008,1110) > ConceptNameCodeSequence (0040,A043) > CodeMeaning (0008,0104)",
      "RequestAttributesSequence (0040,0275) > ScheduledProtocolCodeSequence (0040,0008) > ProtocolContextSequence (0040,0440) > ContentItemModifierSequence (0040,0441) > PersonName (0040,A123)",
      "private [IMGSEC SYNTHETIC 1.0] LO (0009,1010)",
      "private [IMGSEC SYNTHETIC 1.0] SQ (0009,1012) > PatientName (0010,0010)",
      "private [IMGSEC SYNTHETIC CSA] OB blob (0029,1010)",
      "orphan private (no creator) LO (0011,1010)",
      "orphan private (no creator) UN (0011,1011)",
      "private [IMGSEC SYNTHETIC TRAILER] LO after PixelData (7FE1,1010)",
      "OverlayData (6000,3000)",
      "OverlayComments (6000,4000)",
      "OverlayDescription (6002,0022)",
      "CurveData (5000,3000)",
      "CurveDescription (5000,0022)",
      "ContentSequence (0040,A730) > ContentSequence (0040,A730) > ContentSequence (0040,A730) > TextValue (0040,A160)",
      "ContentSequence (0040,A730) > ContentSequence (0040,A730) > TextValue (0040,A160)",
      "VerifyingObserverSequence (0040,A073) > VerifyingObserverName (0040,A075)",
    ];
    for (const w of expected) expect(wheres).toContain(w);
  });

  test("dcmjs reads every file back, with the planted values", () => {
    for (const f of corpus.files) {
      const jis = f.info.charset === "ISO 2022 IR 87";
      // dcmjs 0.52 refuses more than one value in SpecificCharacterSet ("\ISO 2022 IR 87")
      if (jis) expect(() => read(f)).toThrow(/multiple character sets/);
      const ds = read(f, jis);
      expect(str(ds, "00080018")).toBe(f.info.sopInstanceUid);
      expect(str(ds, "0020000D")).toBe(f.info.studyInstanceUid);
      const name = str(ds, "00100010");
      const planted = plantedAt(corpus.planted, "PatientName (0010,0010)").map((p) => p.value);
      // ...and then decodes ISO 2022 as Latin-1: the bytes are intact and decode with ISO-2022-JP
      const decoded = jis ? decodeIso2022Jp(Buffer.from(name, "latin1")) : name;
      expect(planted).toContain(decoded);
      if (f.info.modality !== "SR") {
        const px = ds["7FE00010"]?.Value ?? [];
        expect(px.length).toBe(f.info.transferSyntaxUid === TS.jpegBaseline ? f.info.frames : 1);
      }
    }
  });

  test("dcmjs decodes ISO_IR 100 and ISO_IR 192 and reports them as ISO_IR 192", () => {
    const latin = corpus.files.find((f) => f.info.charset === "ISO_IR 100") as GeneratedFile;
    const utf8 = corpus.files.find((f) => f.info.charset === "ISO_IR 192") as GeneratedFile;
    for (const f of [latin, utf8]) {
      const ds = read(f);
      expect(str(ds, "00100010")).toMatch(/ZZFAKÉ/);
      expect(ds["00080005"]?.Value).toEqual(["ISO_IR 192"]); // dcmjs rewrites it after decoding
    }
    const name = str(read(latin), "00100010");
    expect(latin.bytes.includes(encodeLatin1(name) as Buffer)).toBe(true);
    expect(latin.bytes.includes(Buffer.from(name, "utf8"))).toBe(false);
    const jaName = str(read(utf8), "00100010");
    expect(jaName).toMatch(/=偽.+=にせ/);
    expect(utf8.bytes.includes(Buffer.from(jaName, "utf8"))).toBe(true);
  });

  test("ISO 2022 IR 87 files hold JIS X 0208 bytes between ESC $ B and ESC ( B", () => {
    const jis = corpus.files.filter((f) => f.info.charset === "ISO 2022 IR 87");
    expect(jis.length).toBeGreaterThan(0);
    for (const f of jis) {
      expect(f.bytes.includes(Buffer.from("\\ISO 2022 IR 87"))).toBe(true);
      const name = plantedAt(corpus.planted, "PatientName (0010,0010)")
        .map((p) => p.value)
        .find((v) => {
          const bytes = encodeIso2022Jp(v);
          return bytes !== undefined && f.bytes.includes(bytes);
        });
      expect(name).toMatch(/^ZZFAKEPAT.+=偽.+=にせ/);
      expect(f.bytes.includes(Buffer.from("偽", "utf8"))).toBe(false);
    }
  });

  test("UIDs are consistent: references point at files of the same series or study", () => {
    const bySop = new Map(corpus.files.map((f) => [f.info.sopInstanceUid, f]));
    expect(bySop.size).toBe(corpus.files.length);
    let refs = 0;
    for (const f of corpus.files) {
      for (const r of f.info.references) {
        const target = bySop.get(r);
        expect(target).toBeDefined();
        expect(target?.info.studyInstanceUid).toBe(f.info.studyInstanceUid);
        if (f.info.modality !== "SR") {
          expect(target?.info.seriesInstanceUid).toBe(f.info.seriesInstanceUid);
        }
        refs++;
      }
      const ds = read(f, true);
      if (f.info.modality !== "SR" && f.info.references.length > 0) {
        const ref = items(ds, "00081140").map((i) => str(i, "00081155"));
        expect(ref).toEqual(f.info.references);
        expect(str(ds, "00200052")).toBe(f.info.frameOfReferenceUid);
      }
      const ra = items(ds, "00400275")[0] as DcmjsDataset;
      expect(str(items(ra, "00081110")[0] as DcmjsDataset, "00081155")).toBe(
        f.info.studyInstanceUid,
      );
    }
    expect(refs).toBeGreaterThan(20);
    // one frame of reference per study
    const forByStudy = new Map<string, Set<string>>();
    for (const f of corpus.files) {
      if (!f.info.frameOfReferenceUid) continue;
      const s = forByStudy.get(f.info.studyInstanceUid) ?? new Set();
      s.add(f.info.frameOfReferenceUid);
      forByStudy.set(f.info.studyInstanceUid, s);
    }
    for (const s of forByStudy.values()) expect(s.size).toBe(1);
  });

  test("SR: ContentSequence three levels deep, TEXT items with fake names, IMAGE references", () => {
    const sr = corpus.files.filter((f) => f.info.modality === "SR");
    expect(sr.length).toBeGreaterThanOrEqual(4);
    for (const f of sr) {
      const ds = read(f, true);
      expect(str(ds, "00080060")).toBe("SR");
      const l1 = items(ds, "0040A730");
      const l2 = items(l1[1] as DcmjsDataset, "0040A730");
      const l3 = items(l2[1] as DcmjsDataset, "0040A730");
      expect(str(l2[0] as DcmjsDataset, "0040A040")).toBe("TEXT");
      const text = str(l2[0] as DcmjsDataset, "0040A160");
      expect(text).toMatch(/^ZZFAKE finding .+ ZZFAKETXT\w+ was seen on \d\d\.\d\d\.190\d\.$/);
      expect(str(l3[0] as DcmjsDataset, "0040A040")).toBe("TEXT");
      const valueTypes = l3.map((i) => str(i, "0040A040"));
      expect(valueTypes).toEqual(expect.arrayContaining(["PNAME", "DATE", "DATETIME"]));
      if (f.info.references.length > 0) {
        const image = l3.find((i) => str(i, "0040A040") === "IMAGE") as DcmjsDataset;
        expect(str(items(image, "00081199")[0] as DcmjsDataset, "00081155")).toBe(
          f.info.references[0],
        );
      }
    }
    // the SR added to a CT study references all of that study's images
    const added = sr.find((f) => f.name.startsWith("ct-utf8-")) as GeneratedFile;
    const images = corpus.files.filter(
      (f) => f.info.studyInstanceUid === added.info.studyInstanceUid && f.info.modality === "CT",
    );
    expect(added.info.references.sort()).toEqual(images.map((f) => f.info.sopInstanceUid).sort());
  });

  test("encapsulated files: JPEG Baseline, Basic Offset Table and one fragment per frame", () => {
    const enc = corpus.files.filter((f) => f.info.transferSyntaxUid === TS.jpegBaseline);
    expect(enc.length).toBeGreaterThan(0);
    for (const f of enc) {
      const at = findExplicitElement(f.bytes, 0x7fe00010, "OB");
      expect(f.bytes.readUInt32LE(at + 8)).toBe(0xffffffff);
      expect(f.bytes.readUInt16LE(at + 12)).toBe(0xfffe);
      expect(f.bytes.readUInt16LE(at + 14)).toBe(0xe000);
      expect(f.bytes.readUInt32LE(at + 16)).toBe(4 * f.info.frames); // offset table
      const frames = (read(f, true)["7FE00010"]?.Value ?? []) as ArrayBuffer[];
      for (const fr of frames) {
        const b = Buffer.from(fr);
        expect([b[0], b[1], b[b.length - 2], b[b.length - 1]]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
      }
    }
  });

  test("BurnedInAnnotation is YES on US and on some SC files", () => {
    const flag = (f: GeneratedFile) => str(read(f, true), "00280301");
    const us = corpus.files.filter((f) => f.info.modality === "US");
    const sc = corpus.files.filter((f) => f.info.modality === "SC");
    expect(us.length).toBeGreaterThan(0);
    for (const f of us) expect(flag(f)).toBe("YES");
    expect(new Set(sc.map(flag))).toEqual(new Set(["YES", "NO"]));
    for (const f of corpus.files) expect(flag(f)).toBe(f.info.burnedInAnnotation ?? "undefined");
  });

  test("files without preamble are bare data sets", () => {
    const bare = corpus.files.filter((f) => !f.info.preamble);
    expect(bare.length).toBeGreaterThan(0);
    for (const f of bare) {
      expect(f.bytes.toString("latin1", 128, 132)).not.toBe("DICM");
      expect(f.bytes.readUInt16LE(0)).toBe(0x0008);
      expect(() => readPart10(f.bytes)).toThrow();
    }
  });

  test("multi-frame images carry NumberOfFrames and every frame", () => {
    const mf = corpus.files.filter((f) => f.info.frames > 1);
    expect(mf.length).toBeGreaterThan(0);
    for (const f of mf) {
      const ds = read(f, true);
      expect(Number(str(ds, "00280008"))).toBe(f.info.frames);
      if (f.info.transferSyntaxUid !== TS.jpegBaseline) {
        const bytes = (ds["7FE00010"]?.Value?.[0] as ArrayBuffer).byteLength;
        const spp = f.info.modality === "US" ? 3 : 1;
        const bpp = f.info.modality === "CT" || f.info.modality === "MR" ? 2 : 1;
        const rows = f.info.rows ?? 0;
        const cols = f.info.columns ?? 0;
        expect(bytes).toBe(rows * cols * spp * bpp * f.info.frames);
      }
    }
  });

  test("generateStudy honours its options", () => {
    const s = generateStudy({
      seed: 5,
      patients: 2,
      seriesPerStudy: 3,
      instancesPerSeries: 2,
      rows: 8,
      columns: 12,
      modality: "MR",
      transferSyntax: "implicit",
    });
    expect(s.files).toHaveLength(12);
    const ds = read(s.files[0] as GeneratedFile);
    expect(str(ds, "00080060")).toBe("MR");
    expect(ds["00280010"]?.Value).toEqual([8]);
    expect(ds["00280011"]?.Value).toEqual([12]);
    expect(new Set(s.files.map((f) => f.info.studyInstanceUid)).size).toBe(2);
    expect(() =>
      generateStudy({ seed: 1, preamble: false, transferSyntax: "encapsulated" }),
    ).toThrow();
  });

  test("generateCtSeries: 200 slices of 512 x 512 quickly, each slice its own instance", () => {
    const t0 = performance.now();
    const ct = generateCtSeries({ slices: 200, rows: 512, columns: 512 });
    const ms = performance.now() - t0;
    console.log(`generateCtSeries: 200 x 512 KB in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(10000);
    expect(ct.files).toHaveLength(200);
    expect(new Set(ct.files.map((f) => f.info.sopInstanceUid)).size).toBe(200);
    for (const i of [0, 1, 199]) {
      const f = ct.files[i] as GeneratedFile;
      const ds = read(f);
      expect(str(ds, "00080018")).toBe(f.info.sopInstanceUid);
      expect(str(readPart10(f.bytes).meta, "00020003")).toBe(f.info.sopInstanceUid);
      expect(Number(str(ds, "00200013"))).toBe(i + 1);
      expect(str(items(ds, "00081140")[0] as DcmjsDataset, "00081155")).toBe(f.info.references[0]);
      expect(str(ds, "00204000")).toMatch(/^ZZFAKE image comment /);
      expect(((ds["7FE00010"]?.Value?.[0] as ArrayBuffer) ?? new ArrayBuffer(0)).byteLength).toBe(
        512 * 512 * 2,
      );
      expect(str(ds, "7FE11010")).toMatch(/^ZZFAKE after pixels/);
    }
    const leaks = scanForLeaks(haystacks(ct.files.slice(0, 3)), ct.planted, { all: true });
    const found = new Set(leaks.flatMap((l) => l.sources.map((x) => `${x.value}\u0000${x.where}`)));
    const missing = ct.planted.filter((p) => !found.has(`${p.value}\u0000${p.where}`));
    expect(missing).toHaveLength(197);
  });

  test("generateMultiframe streams frames to a file", () => {
    const path = join(dir, "mf", "multiframe.dcm");
    const r = generateMultiframe({ path, frames: 40, rows: 128, columns: 96 });
    expect(statSync(path).size).toBe(r.size);
    const bytes = readFileSync(path);
    const ds = readPart10(bytes).dict;
    expect(str(ds, "00280008")).toBe("40");
    expect((ds["7FE00010"]?.Value?.[0] as ArrayBuffer).byteLength).toBe(40 * 128 * 96 * 2);
    expect(str(ds, "7FE11010")).toMatch(/^ZZFAKE after pixels/);
    const leaks = scanForLeaks([{ name: "mf", bytes }], r.planted, { all: true });
    const found = new Set(leaks.flatMap((l) => l.sources.map((s) => s.where)));
    expect(r.planted.filter((p) => !found.has(p.where))).toEqual([]);
  });

  // 520 MB on disk: only on request (IMGSEC_BIG_CORPUS=1)
  (process.env.IMGSEC_BIG_CORPUS === "1" ? test : test.skip)(
    "generateMultiframe writes >= 500 MB without holding it in memory",
    () => {
      const path = join(dir, "mf", "big.dcm");
      const before = process.memoryUsage().rss;
      const r = generateMultiframe({ path, frames: 260, rows: 1024, columns: 1024 });
      const grown = process.memoryUsage().rss - before;
      expect(r.size).toBeGreaterThan(500 * 1024 * 1024);
      expect(statSync(path).size).toBe(r.size);
      expect(grown).toBeLessThan(100 * 1024 * 1024);
      rmSync(path);
    },
  );
});

// --- malformed cases -----------------------------------------------------------------------

describe("malformed cases are what they claim", () => {
  const cases = malformed();
  const get = (name: string) => {
    const c = cases.find((x) => x.name === name);
    if (!c) throw new Error(`no malformed case ${name}`);
    return c;
  };

  test("there is one of each kind, deterministically", () => {
    expect(new Set(cases.map((c) => c.kind))).toEqual(
      new Set(["truncated", "not-dicom", "wrong-length", "big-endian", "deflated"]),
    );
    expect(malformed().map((c) => c.bytes)).toEqual(cases.map((c) => c.bytes));
  });

  test("truncated: inside the preamble, the file meta and the pixel data", () => {
    const pre = get("truncated-in-preamble.dcm").bytes;
    expect(pre.length).toBeLessThan(132); // shorter than preamble + "DICM"
    const meta = get("truncated-in-meta.dcm").bytes;
    expect(meta.toString("latin1", 128, 132)).toBe("DICM");
    expect(meta.length).toBeLessThan(144 + meta.readUInt32LE(140));
    const px = get("truncated-in-pixel-data.dcm");
    const at = findExplicitElement(px.bytes, 0x7fe00010, "OW");
    expect(px.bytes.readUInt32LE(at + 8)).toBeGreaterThan(px.bytes.length - at - 12);
    // the header before the pixels, with its PHI, is complete
    const leaks = scanForLeaks(haystacks([px]), px.planted, { all: true });
    const found = new Set(leaks.flatMap((l) => l.sources.map((s) => s.where)));
    expect(px.planted.filter((p) => !found.has(p.where))).toEqual([]);
    for (const c of [pre, meta]) expect(() => readPart10(c)).toThrow();
  });

  test("not DICOM: no DICM, or DICM and then no file meta group", () => {
    for (const n of ["not-dicom.txt.dcm", "not-dicom-png.dcm"]) {
      const b = get(n).bytes;
      expect(b.length < 132 || b.toString("latin1", 128, 132) !== "DICM").toBe(true);
      expect(() => readPart10(b)).toThrow(/header is missing/);
    }
    const junk = get("dicm-then-junk.dcm").bytes;
    expect(junk.toString("latin1", 128, 132)).toBe("DICM");
    expect(junk.readUInt16LE(132)).not.toBe(0x0002);
    expect(() => readPart10(junk)).toThrow(/meta length/);
    const txt = get("not-dicom.txt.dcm");
    expect(scanForLeaks(haystacks([txt]), txt.planted)).toHaveLength(1);
  });

  test("wrong length: beyond the end of the file, and short of the value", () => {
    const over = get("wrong-length-overrun.dcm");
    const at = over.elementOffset as number;
    expect(over.bytes.toString("latin1", at + 4, at + 6)).toBe("LO");
    expect(over.bytes.readUInt16LE(at + 6)).toBeGreaterThan(over.bytes.length - at - 8);
    const mis = get("wrong-length-misaligned.dcm");
    const m = mis.elementOffset as number;
    expect(mis.bytes.toString("latin1", m + 4, m + 6)).toBe("LT");
    const claimedEnd = m + 8 + mis.bytes.readUInt16LE(m + 6);
    // the real value goes on: the "next element" starts inside the comment text
    expect(mis.bytes.toString("latin1", m + 8, claimedEnd + 3)).toMatch(/^ZZFAKE patient comment/);
    expect(mis.bytes.readUInt16LE(claimedEnd)).not.toBe(0x0010);
  });

  test("big endian: retired Explicit VR Big Endian, readable", () => {
    const be = get("big-endian.dcm");
    expect(readPart10(be.bytes).meta["00020010"]?.Value).toEqual([TS.bigEndian]);
    const start = 144 + be.bytes.readUInt32LE(140);
    expect(be.bytes.readUInt16BE(start)).toBe(0x0008); // first group, big endian
    const ds = readPart10(be.bytes).dict;
    expect(plantedAt(be.planted, "PatientName (0010,0010)")[0]?.value).toBe(str(ds, "00100010"));
    expect(ds["00280010"]?.Value).toEqual([16]);
  });

  test("deflated: the PHI is only in the compressed data set", () => {
    const df = get("deflated.dcm");
    expect(readPart10(df.bytes).meta["00020010"]?.Value).toEqual([TS.deflated]);
    const name = plantedAt(df.planted, "PatientName (0010,0010)")[0]?.value as string;
    expect(df.bytes.includes(Buffer.from(name))).toBe(false);
    const inflated = inflateRawSync(df.bytes.subarray(144 + df.bytes.readUInt32LE(140)));
    expect(inflated.includes(Buffer.from(name))).toBe(true);
    expect(inflateDeflatedDicom(df.bytes)?.equals(inflated)).toBe(true);
    expect(str(readPart10(df.bytes).dict, "00100010")).toBe(name);
    // the scanner looks inside
    const leaks = scanForLeaks(haystacks([df]), df.planted);
    expect(leaks.length).toBeGreaterThan(0);
    expect(leaks.every((l) => l.file === "deflated.dcm#inflated")).toBe(true);
  });
});

// --- leak scanner --------------------------------------------------------------------------

describe("leak scanner", () => {
  const name: PlantedValue = {
    value: "ZZFAKEPAT7F3K^ALPHAQ9XW^QMK2^DR^IV",
    where: "PatientName (0010,0010)",
    variants: deriveVariants("ZZFAKEPAT7F3K^ALPHAQ9XW^QMK2^DR^IV", "name"),
    kind: "name",
  };
  const date: PlantedValue = {
    value: "19021213",
    where: "PatientBirthDate (0010,0030)",
    variants: deriveVariants("19021213", "date"),
    kind: "date",
  };
  const ja: PlantedValue = {
    value: "ZZFAKEPATJ4KQ^BETAW7XP=偽山^偽太郎=にせやま^にせたろう",
    where: "PatientName (0010,0010)",
    variants: [],
    kind: "name",
  };
  const time: PlantedValue = {
    value: "071733.482913",
    where: "StudyTime (0008,0030)",
    variants: [],
    kind: "time",
  };
  const scan = (text: string | Buffer, planted: PlantedValue[] = [name, date, ja, time]) =>
    scanForLeaks([{ name: "out", bytes: text }], planted);

  test("finds dates in every common format", () => {
    for (const s of [
      "19021213",
      "1902-12-13",
      "1902/12/13",
      "12/13/1902",
      "13.12.1902",
      "13/12/1902",
    ]) {
      const leaks = scan(`born ${s}!`);
      expect(leaks).toHaveLength(1);
      expect(leaks[0]).toMatchObject({ needle: s, value: "19021213", offset: 5, file: "out" });
    }
    expect(scan("time 07:17:33.482913")[0]?.value).toBe("071733.482913");
  });

  test("finds names case-folded, reordered and by component", () => {
    const cases: [string, string][] = [
      ["zzfakepat7f3k^alphaq9xw^qmk2^dr^iv", "ZZFAKEPAT7F3K^ALPHAQ9XW^QMK2^DR^IV"],
      ["Name: ALPHAQ9XW ZZFAKEPAT7F3K", "ALPHAQ9XW ZZFAKEPAT7F3K"],
      ["Zzfakepat7f3k, Alphaq9xw Qmk2", "ZZFAKEPAT7F3K, ALPHAQ9XW QMK2 DR IV"],
      ["family=zzfakepat7f3k", "ZZFAKEPAT7F3K"],
      ["given=AlphaQ9xw", "ALPHAQ9XW"],
      ["middle=qmk2;", "QMK2"],
    ];
    for (const [text, needle] of cases) {
      const leaks = scan(text);
      expect(leaks.length).toBeGreaterThan(0);
      expect(leaks[0]?.value).toBe(name.value);
      if (!needle.includes(",")) expect(leaks[0]?.needle).toBe(needle);
    }
  });

  test("finds non-ASCII names as UTF-8, ISO 2022 IR 87 (JIS), Latin-1 and JSON escapes", () => {
    expect(scan(Buffer.from("x 偽太郎 x", "utf8"))[0]).toMatchObject({
      needle: "偽太郎",
      encoding: "utf-8",
    });
    expect(
      scan(Buffer.concat([Buffer.from("x"), encodeIso2022Jp("にせやま") as Buffer]))[0],
    ).toMatchObject({
      needle: "にせやま",
      encoding: "iso-2022-jp",
    });
    expect(
      scan(JSON.stringify("偽山").replace("偽", "\\u507d").replace("山", "\\u5C71"))[0],
    ).toMatchObject({
      needle: "偽山",
      encoding: "json-escaped",
    });
    const latin: PlantedValue = {
      value: "ZZFAKÉPAT7F3K^ÅLPHAQ9XW",
      where: "PatientName (0010,0010)",
      variants: [],
      kind: "name",
    };
    const inLatin1 = scanForLeaks(
      [{ name: "l1", bytes: encodeLatin1("x zzfaképat7f3k x") as Buffer }],
      [latin],
    );
    expect(inLatin1[0]).toMatchObject({ encoding: "latin1", needle: "zzfaképat7f3k" });
    const upper = scanForLeaks([{ name: "u", bytes: "ÅLPHAQ9XW" }], [latin]);
    expect(upper[0]?.needle).toBe("ÅLPHAQ9XW");
    const lower = scanForLeaks([{ name: "u", bytes: "ålphaq9xw" }], [latin]);
    expect(lower[0]?.needle).toBe("ålphaq9xw");
  });

  test("reports the longest match once, unless asked for all", () => {
    const text = `PN=${name.value}`;
    expect(scan(text)).toHaveLength(1);
    expect(
      scanForLeaks([{ name: "o", bytes: text }], [name], { all: true }).length,
    ).toBeGreaterThan(3);
  });

  test("does not flag innocent text", () => {
    const innocent = [
      "Alphabetic Ideographic Phonetic ALPHA alpha beta 1902 12/13 13.12 07:17:33 DR IV Q9XW",
      "zzz ZZ fake FAKE 2.25.1902121 (0010,0010) PatientName ^^ == 偽 に",
      Buffer.alloc(100000, 0x80).toString("latin1"),
    ].join("\n");
    expect(scan(innocent)).toEqual([]);
    expect(scanForLeaks([], [name])).toEqual([]);
    expect(scanForLeaks([{ name: "empty", bytes: "" }], [name])).toEqual([]);
  });

  test("formats a readable report", () => {
    const leaks: Leak[] = scan(`a ${name.value} b 1902-12-13`);
    const report = formatLeaks(leaks);
    expect(report).toContain("out@2:");
    expect(report).toContain("planted at PatientName (0010,0010)");
    expect(report.split("\n")).toHaveLength(2);
  });

  test("scans ~200 files of 512 KB quickly", () => {
    const ct = generateCtSeries({ slices: 200, rows: 512, columns: 512 });
    const t0 = performance.now();
    const leaks = scanForLeaks(haystacks(ct.files), [...ct.planted, ...corpus.planted]);
    const ms = performance.now() - t0;
    console.log(
      `scanForLeaks: ${ct.files.length} files, ${(ct.files.reduce((n, f) => n + f.bytes.length, 0) / 2 ** 20).toFixed(0)} MB, ${ct.planted.length + corpus.planted.length} planted values: ${ms.toFixed(0)} ms`,
    );
    expect(ms).toBeLessThan(10000);
    // every slice holds the series' PHI; none of the other corpus' values
    expect(new Set(leaks.map((l) => l.file)).size).toBe(200);
    expect(leaks.filter((l) => corpus.planted.some((p) => p.value === l.value))).toEqual([]);
  });
});

// --- dcmtk and gdcm ------------------------------------------------------------------------

const PARSEABLE = (n: string) => !/^(truncated|not-dicom|dicm-then-junk|wrong-length)/.test(n);

describeWithTool(tools.dcmdump, "dcmtk (dcmdump)", "dcmtk parses the corpus", (dcmdump) => {
  test("dcmdump reads every corpus file without errors", () => {
    for (const f of corpus.files) {
      const r = spawnSync(dcmdump, [join(dir, "corpus", f.name)], { encoding: "utf8" });
      expect({ file: f.name, status: r.status, errors: r.stderr.match(/^[EF]: .*/gm) }).toEqual({
        file: f.name,
        status: 0,
        errors: null,
      });
      expect(r.stdout).toContain("(0010,0010) PN");
    }
  });

  test("dcmdump reads big endian and deflated files and rejects the broken ones", () => {
    for (const m of malformed()) {
      const r = spawnSync(dcmdump, [join(dir, m.name)], { encoding: "utf8" });
      if (PARSEABLE(m.name)) {
        expect({ file: m.name, status: r.status }).toEqual({ file: m.name, status: 0 });
        expect(r.stdout).toContain("ZZFAKEPAT");
      } else {
        expect({ file: m.name, failed: r.status !== 0 }).toEqual({ file: m.name, failed: true });
      }
    }
  });

  test("dcmdump +U8 decodes ISO_IR 100 to the planted Unicode names", () => {
    const latin = corpus.files.filter((f) => f.info.charset === "ISO_IR 100");
    for (const f of latin) {
      const r = spawnSync(dcmdump, ["+U8", join(dir, "corpus", f.name)], { encoding: "utf8" });
      expect(r.status).toBe(0);
      const pn = /^\(0010,0010\) PN \[([^\]]*)\]/m.exec(r.stdout)?.[1];
      expect(plantedAt(corpus.planted, "PatientName (0010,0010)").map((p) => p.value)).toContain(
        pn,
      );
    }
  });
});

describeWithTool(tools.gdcmdump, "gdcm (gdcmdump)", "gdcm parses the corpus", (gdcmdump) => {
  test("gdcmdump reads every corpus file", () => {
    for (const f of corpus.files) {
      const r = spawnSync(gdcmdump, [join(dir, "corpus", f.name)], { encoding: "utf8" });
      expect({ file: f.name, status: r.status, stderr: r.stderr }).toEqual({
        file: f.name,
        status: 0,
        stderr: "",
      });
      expect(r.stdout).toMatch(/^\(0010,0010\) (\?\? \()?PN/m); // implicit VR: "?? (PN)"
    }
  });

  test("gdcmdump reads big endian and deflated files", () => {
    for (const m of malformed().filter((x) => x.kind === "big-endian" || x.kind === "deflated")) {
      const r = spawnSync(gdcmdump, [join(dir, m.name)], { encoding: "utf8" });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("ZZFAKEPAT");
    }
  });
});
