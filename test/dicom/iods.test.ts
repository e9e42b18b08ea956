/**
 * De-identification that keeps every object valid and useful: one small object per IOD (RT
 * Structure Set, RT Plan, RT Dose, Comprehensive SR, Segmentation, 12-lead ECG, Enhanced CT and
 * MR, ultrasound, mammography, PET, secondary capture; test/dicom/corpus/iods) with planted fake
 * PHI goes through the built CLI (`imgsec deid`, the strict default and `--profile research`).
 *
 *  - validity: dciodvfy (dicom3tools, scripts/setup-dicom-tools.sh) finds no Error in the inputs,
 *    and de-identification adds none;
 *  - usefulness: the clinical content is in the output unchanged (contours, dose grid, plan
 *    geometry and beams, SR measurements and codes, segments, waveform samples, functional
 *    groups, pixel data), and references between the objects still resolve;
 *  - privacy: the leak scanner finds no planted value in any output byte or anything printed.
 *
 * Ultrasound and secondary capture are kinds the engine quarantines for burned-in text: the tiny
 * ones must be quarantined (their validity is not checked: nothing is written); variants that a
 * shipped pixel mask rule matches are masked and written, and checked like the rest.
 */
import { createHash } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import profileJson from "../../handlers/dicom/data/profile.json";
import { DEFAULT_PIXEL_MASKS, PROFILES } from "../../handlers/dicom";
import { keyId } from "../../handlers/keys/keyfile";
import { CliResult, runCli } from "../helpers/cli";
import {
  DciodvfyReport,
  dciodvfy,
  describeWithDciodvfy,
  newErrors,
  normalizeDciodvfyLine,
} from "../helpers/dciodvfy";
import { dcmjs, readPart10 } from "./corpus/dcmjs";
import {
  DOSE,
  IodObject,
  MaskTarget,
  ROIS,
  SEGMENTS,
  SR_CODES,
  SR_MEASUREMENTS,
  contourData,
  dosePixels,
  ecgSamples,
  generateIods,
  segPixels,
} from "./corpus/iods";
import { formatLeaks, scanForLeaks } from "./corpus/leak-scanner";
import type { PlantedValue } from "./corpus/planted";

// --- the objects --------------------------------------------------------------------------

/** The first shipped pixel mask rule with an exact model: the masked US/SC variants match it. */
const maskRule = DEFAULT_PIXEL_MASKS.find((r) => r.model !== undefined);
const mask: MaskTarget | undefined = maskRule?.model
  ? {
      manufacturer: maskRule.manufacturer,
      model: maskRule.model,
      rows: maskRule.rows,
      columns: maskRule.columns,
    }
  : undefined;
if (!mask) {
  console.warn(
    "iods.test: no pixel mask rule with an exact model in handlers/dicom/data/pixel-masks.json: the masked ultrasound and secondary capture variants are not generated",
  );
}
const set = generateIods({ mask });
const objects = set.objects;
const byKey = new Map(objects.map((o) => [o.key, o]));
const written = objects.filter((o) => o.disposition === "deidentify");
const quarantined = objects.filter((o) => o.disposition === "quarantine");

/** dciodvfy's name for each IOD (it prints it before the module checks). */
const DCIODVFY_IOD: Record<string, string> = {
  "enhanced-ct": "EnhancedCTImage",
  "enhanced-mr": "EnhancedMRImage",
  "rt-structure-set": "RTStructureSet",
  "rt-plan": "RTPlan",
  "rt-dose": "RTDose",
  "comprehensive-sr": "ComprehensiveSR",
  segmentation: "Segmentation",
  "twelve-lead-ecg": "TwelveLeadECG",
  ultrasound: "USImage",
  "ultrasound-masked": "USImage",
  mammography: "MammographyImageForPresentation",
  pet: "PETImage",
  "secondary-capture": "SCImage",
  "secondary-capture-masked": "SCImage",
};

/**
 * dciodvfy Errors a generated input is allowed to have (normalized messages), per object key:
 * where dicom3tools' 2022 dictionary disagrees with what the object legitimately holds. None
 * today: every input is clean.
 */
const INPUT_BASELINE: Record<string, string[]> = {};

// --- running the CLI ----------------------------------------------------------------------

const PROFILE_RUNS = [
  { profile: "strict", args: [] as string[] },
  { profile: "research", args: ["--profile", "research"] },
] as const;
type ProfileName = (typeof PROFILE_RUNS)[number]["profile"];

interface FileResult {
  input: string;
  status: string;
  output?: string;
  reason?: string;
}

interface Run {
  cli: CliResult;
  files: Map<string, FileResult>;
  outDir: string;
  /** Output path by object key (de-identified objects only). */
  outputs: Map<string, string>;
}

const work = mkdtempSync(join(tmpdir(), "imgsec-iods-"));
const inputDir = join(work, "in");
const keys = join(work, "keys.json");
const runs = new Map<ProfileName, Run>();

function deid(profile: ProfileName, args: readonly string[]): Run {
  const outDir = join(work, `out-${profile}`);
  const cli = runCli([
    "deid",
    inputDir,
    outDir,
    "--keys",
    keys,
    "--format",
    "json",
    "--show-paths",
    "--jobs",
    "2",
    ...args,
  ]);
  const files = new Map<string, FileResult>();
  const outputs = new Map<string, string>();
  try {
    const report = JSON.parse(cli.stdout) as { files: FileResult[] };
    for (const f of report.files) files.set(f.input, f);
  } catch {
    // reported by the first test
  }
  for (const o of objects) {
    const r = files.get(o.name);
    if (r?.status === "deidentified" && r.output) outputs.set(o.key, join(outDir, r.output));
  }
  return { cli, files, outDir, outputs };
}

beforeAll(() => {
  mkdirSync(inputDir);
  for (const o of objects) writeFileSync(join(inputDir, o.name), o.bytes);
  expect(runCli(["keys", "init", "--keys", keys]).code).toBe(0);
  pinPseudonymizationKey(keys);
  for (const p of PROFILE_RUNS) runs.set(p.profile, deid(p.profile, p.args));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/**
 * A fixed pseudonymization key (test-only bytes), so the date shift under the research profile is
 * the same every run: with a random key a shifted date now and then equals another object's planted
 * date, which the leak scan would flag although nothing leaked.
 */
function pinPseudonymizationKey(file: string): void {
  const doc = JSON.parse(readFileSync(file, "utf8"));
  const material = Buffer.alloc(32, 1);
  doc.keys.pseudonymization.material = material.toString("base64");
  doc.keys.pseudonymization.id = keyId("pseudonymization", material);
  writeFileSync(file, JSON.stringify(doc, null, 2), { mode: 0o600 });
}

function run(profile: ProfileName): Run {
  const r = runs.get(profile);
  if (!r) throw new Error(`no ${profile} run`);
  return r;
}

// --- reading objects back -----------------------------------------------------------------

type Naturalized = Record<string, unknown>;

function naturalize(bytes: Buffer): Naturalized {
  const dict = readPart10(bytes).dict;
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict);
}

const parsed = new Map<string, Naturalized>();
function read(path: string): Naturalized {
  let n = parsed.get(path);
  if (!n) {
    n = naturalize(readFileSync(path));
    parsed.set(path, n);
  }
  return n;
}
const inputOf = (key: string): Naturalized => read(join(inputDir, `${key}.dcm`));

/** A leaf as comparable JSON: binary values by their SHA-256 (and length). */
function leaf(v: unknown): unknown {
  if (v instanceof ArrayBuffer) {
    const b = Buffer.from(v);
    return `bytes:${b.length}:${createHash("sha256").update(b).digest("hex").slice(0, 16)}`;
  }
  if (Array.isArray(v)) {
    if (v.every((x) => x instanceof ArrayBuffer)) {
      return leaf(toArrayBuffer(Buffer.concat(v.map((x) => Buffer.from(x as ArrayBuffer)))));
    }
    return v.map(leaf);
  }
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== "_vrMap")
        .map(([k, x]) => [k, leaf(x)]),
    );
  }
  return v;
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  const out = new ArrayBuffer(b.length);
  new Uint8Array(out).set(b);
  return out;
}

/**
 * Every value at `path` ("A[*].B[*].C": keywords, `[*]` for every item of a sequence), in
 * document order; a missing element on the way yields nothing for that branch.
 */
function collect(ds: unknown, path: string): unknown[] {
  const [head, ...rest] = path.split(".");
  if (!head || !ds || typeof ds !== "object") return [];
  const all = head.endsWith("[*]");
  const key = all ? head.slice(0, -3) : head;
  const v = (ds as Naturalized)[key];
  if (v === undefined || v === null) return [];
  if (rest.length === 0) return [leaf(v)];
  const items = all ? (Array.isArray(v) ? v : [v]) : [v];
  return items.flatMap((item) => collect(item, rest.join(".")));
}

function bytesOf(ds: Naturalized, keyword: string): Buffer {
  const v = ds[keyword];
  const list = Array.isArray(v) ? v : [v];
  return Buffer.concat(list.map((x) => Buffer.from(x as ArrayBuffer)));
}

/** dciodvfy's report on a generated input (run once per object). */
const inputReports = new Map<string, DciodvfyReport>();
function inputReport(o: IodObject): DciodvfyReport {
  let r = inputReports.get(o.key);
  if (!r) {
    r = dciodvfy(join(inputDir, o.name));
    inputReports.set(o.key, r);
  }
  return r;
}

// --- what must survive ----------------------------------------------------------------------

const CODE = ["CodeValue", "CodingSchemeDesignator", "CodeMeaning"];
const code = (seq: string): string[] => CODE.map((c) => `${seq}[*].${c}`);
const under = (prefix: string, ...paths: string[]): string[] => paths.map((p) => `${prefix}.${p}`);

const SHARED = "SharedFunctionalGroupsSequence[*]";
const PER_FRAME = "PerFrameFunctionalGroupsSequence[*]";
const ENHANCED_COMMON = [
  "NumberOfFrames",
  "ImageType",
  "Rows",
  "Columns",
  "BitsAllocated",
  "BitsStored",
  "PixelData",
  ...under(
    SHARED,
    "PixelMeasuresSequence[*].PixelSpacing",
    "PixelMeasuresSequence[*].SliceThickness",
  ),
  `${SHARED}.PlaneOrientationSequence[*].ImageOrientationPatient`,
  ...under(
    `${SHARED}.PixelValueTransformationSequence[*]`,
    "RescaleIntercept",
    "RescaleSlope",
    "RescaleType",
  ),
  ...under(`${SHARED}.FrameVOILUTSequence[*]`, "WindowCenter", "WindowWidth"),
  ...code(`${SHARED}.FrameAnatomySequence[*].AnatomicRegionSequence`),
  `${SHARED}.FrameAnatomySequence[*].FrameLaterality`,
  `${PER_FRAME}.PlanePositionSequence[*].ImagePositionPatient`,
  ...under(
    `${PER_FRAME}.FrameContentSequence[*]`,
    "DimensionIndexValues",
    "StackID",
    "InStackPositionNumber",
    "FrameAcquisitionNumber",
  ),
  ...under("DimensionIndexSequence[*]", "DimensionIndexPointer", "FunctionalGroupPointer"),
];

/** Per object: paths whose values must be equal in input and output (and present in input). */
const RETAINED: Record<string, string[]> = {
  "rt-structure-set": [
    ...under("StructureSetROISequence[*]", "ROINumber", "ROIGenerationAlgorithm"),
    ...under(
      "ROIContourSequence[*]",
      "ReferencedROINumber",
      "ROIDisplayColor",
      "ContourSequence[*].ContourGeometricType",
      "ContourSequence[*].NumberOfContourPoints",
      "ContourSequence[*].ContourNumber",
      "ContourSequence[*].ContourData",
      "ContourSequence[*].ContourImageSequence[*].ReferencedSOPClassUID",
      "ContourSequence[*].ContourImageSequence[*].ReferencedFrameNumber",
    ),
    ...under(
      "RTROIObservationsSequence[*]",
      "ObservationNumber",
      "ReferencedROINumber",
      "RTROIInterpretedType",
    ),
  ],
  "rt-plan": [
    "RTPlanGeometry",
    "PlanIntent",
    ...under(
      "FractionGroupSequence[*]",
      "FractionGroupNumber",
      "NumberOfFractionsPlanned",
      "NumberOfBeams",
      "NumberOfBrachyApplicationSetups",
      "ReferencedBeamSequence[*].ReferencedBeamNumber",
      "ReferencedBeamSequence[*].BeamMeterset",
    ),
    ...under(
      "BeamSequence[*]",
      "BeamNumber",
      "BeamType",
      "RadiationType",
      "PrimaryDosimeterUnit",
      "SourceAxisDistance",
      "TreatmentDeliveryType",
      "NumberOfControlPoints",
      "FinalCumulativeMetersetWeight",
      "BeamLimitingDeviceSequence[*].RTBeamLimitingDeviceType",
      "BeamLimitingDeviceSequence[*].NumberOfLeafJawPairs",
      "ControlPointSequence[*].ControlPointIndex",
      "ControlPointSequence[*].CumulativeMetersetWeight",
      "ControlPointSequence[*].NominalBeamEnergy",
      "ControlPointSequence[*].GantryAngle",
      "ControlPointSequence[*].IsocenterPosition",
      "ControlPointSequence[*].BeamLimitingDevicePositionSequence[*].LeafJawPositions",
    ),
    "PatientSetupSequence[*].PatientPosition",
  ],
  "rt-dose": [
    "DoseUnits",
    "DoseType",
    "DoseSummationType",
    "DoseGridScaling",
    "GridFrameOffsetVector",
    "NumberOfFrames",
    "FrameIncrementPointer",
    "Rows",
    "Columns",
    "BitsAllocated",
    "BitsStored",
    "PixelSpacing",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "PixelData",
  ],
  "comprehensive-sr": [
    "CompletionFlag",
    "VerificationFlag",
    "ValueType",
    ...code("ConceptNameCodeSequence"),
    // the tree: relationship and value types and concept names at every level; the NUM (values,
    // units) and CODE items in Findings, the IMAGE references under the NUM items
    ...[1, 2, 3].flatMap((depth) => {
      const p = Array(depth).fill("ContentSequence[*]").join(".");
      return [`${p}.RelationshipType`, `${p}.ValueType`, ...code(`${p}.ConceptNameCodeSequence`)];
    }),
    ...under(
      "ContentSequence[*].ContentSequence[*]",
      "MeasuredValueSequence[*].NumericValue",
      ...code("MeasuredValueSequence[*].MeasurementUnitsCodeSequence"),
      ...code("ConceptCodeSequence"),
      "ContentSequence[*].ReferencedSOPSequence[*].ReferencedSOPClassUID",
      "ContentSequence[*].ReferencedSOPSequence[*].ReferencedFrameNumber",
    ),
  ],
  segmentation: [
    "SegmentationType",
    "ImageType",
    "ContentLabel",
    "NumberOfFrames",
    "Rows",
    "Columns",
    "BitsAllocated",
    "PixelData",
    ...under(
      "SegmentSequence[*]",
      "SegmentNumber",
      "SegmentAlgorithmType",
      "SegmentAlgorithmName",
      ...code("SegmentedPropertyCategoryCodeSequence"),
      ...code("SegmentedPropertyTypeCodeSequence"),
    ),
    `${SHARED}.PixelMeasuresSequence[*].PixelSpacing`,
    `${SHARED}.PlaneOrientationSequence[*].ImageOrientationPatient`,
    `${PER_FRAME}.SegmentIdentificationSequence[*].ReferencedSegmentNumber`,
    `${PER_FRAME}.FrameContentSequence[*].DimensionIndexValues`,
    `${PER_FRAME}.PlanePositionSequence[*].ImagePositionPatient`,
    `${PER_FRAME}.DerivationImageSequence[*].SourceImageSequence[*].ReferencedFrameNumber`,
    ...code(`${PER_FRAME}.DerivationImageSequence[*].DerivationCodeSequence`),
    ...under("DimensionIndexSequence[*]", "DimensionIndexPointer", "FunctionalGroupPointer"),
  ],
  "twelve-lead-ecg": [
    ...under(
      "WaveformSequence[*]",
      "WaveformOriginality",
      "NumberOfWaveformChannels",
      "NumberOfWaveformSamples",
      "SamplingFrequency",
      "MultiplexGroupLabel",
      "WaveformBitsAllocated",
      "WaveformSampleInterpretation",
      "WaveformData",
      ...under(
        "ChannelDefinitionSequence[*]",
        "WaveformChannelNumber",
        "ChannelLabel",
        ...code("ChannelSourceSequence"),
        "ChannelSensitivity",
        ...code("ChannelSensitivityUnitsSequence"),
        "ChannelSensitivityCorrectionFactor",
        "ChannelBaseline",
        "ChannelTimeSkew",
        "WaveformBitsStored",
        "FilterLowFrequency",
        "FilterHighFrequency",
      ),
    ),
  ],
  "enhanced-ct": [
    ...ENHANCED_COMMON,
    `${SHARED}.CTImageFrameTypeSequence[*].FrameType`,
    `${SHARED}.CTAcquisitionTypeSequence[*].AcquisitionType`,
    `${SHARED}.CTXRayDetailsSequence[*].KVP`,
    `${SHARED}.CTReconstructionSequence[*].ConvolutionKernel`,
    `${SHARED}.CTExposureSequence[*].CTDIvol`,
    `${PER_FRAME}.CTPositionSequence[*].TablePosition`,
  ],
  "enhanced-mr": [
    ...ENHANCED_COMMON,
    "MagneticFieldStrength",
    "ResonantNucleus",
    `${SHARED}.MRImageFrameTypeSequence[*].FrameType`,
    `${SHARED}.MRTimingAndRelatedParametersSequence[*].RepetitionTime`,
    `${SHARED}.MRTimingAndRelatedParametersSequence[*].FlipAngle`,
    `${SHARED}.MREchoSequence[*].EffectiveEchoTime`,
  ],
  mammography: [
    "PresentationIntentType",
    "ImageLaterality",
    "BodyPartExamined",
    ...code("ViewCodeSequence"),
    ...code("AnatomicRegionSequence"),
    "ImagerPixelSpacing",
    "PixelIntensityRelationship",
    "WindowCenter",
    "WindowWidth",
    "PixelData",
  ],
  pet: [
    "Units",
    "SeriesType",
    "CountsSource",
    "CorrectedImage",
    "DecayCorrection",
    ...under(
      "RadiopharmaceuticalInformationSequence[*]",
      "RadionuclideTotalDose",
      "RadionuclideHalfLife",
      "RadionuclidePositronFraction",
      ...code("RadionuclideCodeSequence"),
    ),
    "RescaleSlope",
    "FrameReferenceTime",
    "ImageIndex",
    "DecayFactor",
    "ActualFrameDuration",
    "PixelSpacing",
    "ImagePositionPatient",
    "PixelData",
  ],
  "ultrasound-masked": ["Rows", "Columns", "ImageType", "BodyPartExamined"],
  "secondary-capture-masked": ["Rows", "Columns", "ConversionType"],
};

/** References that must point at the referenced object's new SOP Instance UID. */
const REFERENCES: Record<string, { path: string; to: string }[]> = {
  "rt-structure-set": [
    {
      path: "ReferencedFrameOfReferenceSequence[*].RTReferencedStudySequence[*].RTReferencedSeriesSequence[*].ContourImageSequence[*].ReferencedSOPInstanceUID",
      to: "enhanced-ct",
    },
    {
      path: "ROIContourSequence[*].ContourSequence[*].ContourImageSequence[*].ReferencedSOPInstanceUID",
      to: "enhanced-ct",
    },
  ],
  "rt-plan": [
    { path: "ReferencedStructureSetSequence[*].ReferencedSOPInstanceUID", to: "rt-structure-set" },
  ],
  "rt-dose": [{ path: "ReferencedRTPlanSequence[*].ReferencedSOPInstanceUID", to: "rt-plan" }],
  "comprehensive-sr": [
    {
      path: "ContentSequence[*].ContentSequence[*].ContentSequence[*].ReferencedSOPSequence[*].ReferencedSOPInstanceUID",
      to: "enhanced-ct",
    },
    {
      path: "CurrentRequestedProcedureEvidenceSequence[*].ReferencedSeriesSequence[*].ReferencedSOPSequence[*].ReferencedSOPInstanceUID",
      to: "enhanced-ct",
    },
  ],
  segmentation: [
    {
      path: `${PER_FRAME}.DerivationImageSequence[*].SourceImageSequence[*].ReferencedSOPInstanceUID`,
      to: "enhanced-ct",
    },
    {
      path: "ReferencedSeriesSequence[*].ReferencedInstanceSequence[*].ReferencedSOPInstanceUID",
      to: "enhanced-ct",
    },
  ],
};

/** What is lost or changed between input and output, one line per path (empty: all kept). */
function retentionProblems(key: string, out: Naturalized): string[] {
  const input = inputOf(key);
  const problems: string[] = [];
  for (const path of RETAINED[key] ?? []) {
    const before = collect(input, path);
    const after = collect(out, path);
    if (before.length === 0) problems.push(`${path}: not in the generated input (test error)`);
    else if (after.length === 0) problems.push(`${path}: lost`);
    else if (JSON.stringify(after) !== JSON.stringify(before)) {
      const show = (v: unknown[]) => JSON.stringify(v).slice(0, 120);
      problems.push(`${path}: changed from ${show(before)} to ${show(after)}`);
    }
  }
  return problems;
}

// --- the tests ------------------------------------------------------------------------------

describe("generated IOD objects", () => {
  test("one small object per IOD, deterministically, each with planted fake PHI", () => {
    expect(objects.map((o) => o.key)).toEqual(
      expect.arrayContaining([
        "rt-structure-set",
        "rt-plan",
        "rt-dose",
        "comprehensive-sr",
        "segmentation",
        "twelve-lead-ecg",
        "enhanced-ct",
        "enhanced-mr",
        "ultrasound",
        "mammography",
        "pet",
        "secondary-capture",
      ]),
    );
    for (const o of objects) expect(o.bytes.length).toBeLessThan(mask ? 400_000 : 20_000);
    const again = generateIods({ mask });
    again.objects.forEach((o, i) => expect(o.bytes.equals(objects[i]?.bytes as Buffer)).toBe(true));
    expect(again.planted).toEqual(set.planted);
    // every planted value is in the inputs (so the leak scan can fail), in every object
    const leaks = scanForLeaks(
      objects.map((o) => ({ name: o.key, bytes: o.bytes })),
      set.planted,
      { all: true },
    );
    const found = new Set(leaks.flatMap((l) => l.sources.map((s) => `${s.value}\u0000${s.where}`)));
    expect(set.planted.filter((p) => !found.has(`${p.value}\u0000${p.where}`))).toEqual([]);
    for (const o of objects) expect(leaks.some((l) => l.file === o.key)).toBe(true);
  });

  test("the content matches what the tests check it against", () => {
    const ss = inputOf("rt-structure-set");
    expect(collect(ss, "ROIContourSequence[*].ContourSequence[*].ContourData")).toEqual(
      ROIS.flatMap((r) => r.contours.map(contourData)),
    );
    const dose = inputOf("rt-dose");
    expect(bytesOf(dose, "PixelData").equals(dosePixels())).toBe(true);
    expect(dose.DoseGridScaling).toBe(DOSE.scaling);
    expect(bytesOf(inputOf("segmentation"), "PixelData").equals(segPixels())).toBe(true);
    expect(collect(inputOf("segmentation"), "SegmentSequence[*].SegmentLabel")).toEqual(
      SEGMENTS.map((s) => s.label),
    );
    const ecg = collect(inputOf("twelve-lead-ecg"), "WaveformSequence[*].WaveformData");
    expect(ecg).toEqual([leaf(toArrayBuffer(ecgSamples()))]);
    const sr = inputOf("comprehensive-sr");
    const values = collect(
      sr,
      "ContentSequence[*].ContentSequence[*].MeasuredValueSequence[*].NumericValue",
    );
    expect(values).toEqual(SR_MEASUREMENTS.map((m) => Number(m.value)));
    expect(
      collect(sr, "ContentSequence[*].ContentSequence[*].ConceptCodeSequence[*].CodeValue"),
    ).toEqual(SR_CODES.map((c) => c.value[0]));
  });
});

describe("dciodvfy", () => {
  test("messages compare across files: values and offending characters are taken out", () => {
    expect(
      normalizeDciodvfyLine(
        "Error - Value invalid for this VR - (0x0008,0x0020) DA Study Date  DA [1] = <ABCDEFGH> - Character invalid for this VR = 'A' (0x41)",
      ),
    ).toBe(
      "Error - Value invalid for this VR - (0x0008,0x0020) DA Study Date DA [1] = <value> - Character invalid for this VR",
    );
    expect(
      normalizeDciodvfyLine(
        "Error - Value invalid for this VR - (0x0010,0x0010) PN Patient's Name  PN [1] = <XXXX> - Length invalid for this VR = 80, expected <= 64",
      ),
    ).toBe(
      "Error - Value invalid for this VR - (0x0010,0x0010) PN Patient's Name PN [1] = <value> - Length invalid for this VR",
    );
  });

  describeWithDciodvfy("the generated inputs are valid", () => {
    test.each(objects.map((o) => [o.key, o] as const))("%s: no Error", (key, o) => {
      const r = inputReport(o);
      expect(r.iod).toBe(DCIODVFY_IOD[key]);
      expect(r.errors).toEqual(INPUT_BASELINE[key] ?? []);
    });

    test("the check can fail: an RT Dose without DoseUnits has exactly that new Error", () => {
      const o = byKey.get("rt-dose") as IodObject;
      const dicom = readPart10(o.bytes);
      delete dicom.dict["30040002"];
      const broken = join(work, "rt-dose-without-dose-units.dcm");
      writeFileSync(broken, Buffer.from(dicom.write()));
      expect(newErrors(inputReport(o), dciodvfy(broken))).toEqual([
        "Error - Missing attribute Type 1 Required Element=<DoseUnits> Module=<RTDose>",
      ]);
    });
  });
});

describe.each(PROFILE_RUNS.map((p) => p.profile))("imgsec deid (%s)", (profile) => {
  test("de-identifies every object but the burned-in kinds, which it quarantines", () => {
    const r = run(profile);
    expect(r.cli.stderr).not.toMatch(/\n\s+at /);
    const status = Object.fromEntries(objects.map((o) => [o.key, r.files.get(o.name)?.status]));
    const expected = Object.fromEntries(
      objects.map((o) => [o.key, o.disposition === "deidentify" ? "deidentified" : "quarantined"]),
    );
    expect(status).toEqual(expected);
    expect(r.cli.code).toBe(quarantined.length > 0 ? 1 : 0);
  });

  describeWithDciodvfy(`dciodvfy (${profile}): de-identification introduces no Error`, () => {
    test.each(written.map((o) => [o.key, o] as const))("%s", (key, o) => {
      const out = run(profile).outputs.get(key);
      if (!out) throw new Error(`${key} was not de-identified (${profile})`);
      const after = dciodvfy(out);
      expect(after.iod).toBe(DCIODVFY_IOD[key]);
      expect(newErrors(inputReport(o), after)).toEqual([]);
    });
    if (quarantined.length > 0) {
      test.each(quarantined.map((o) => [o.key] as const))(
        "%s: quarantined for burned-in text, so nothing is written to validate",
        (key) => {
          expect(run(profile).files.get(`${key}.dcm`)?.status).toBe("quarantined");
        },
      );
    }
  });

  describe(`clinical content survives (${profile})`, () => {
    test.each(Object.keys(RETAINED).filter((k) => byKey.has(k)))("%s", (key) => {
      const out = run(profile).outputs.get(key);
      if (!out) throw new Error(`${key} was not de-identified (${profile})`);
      expect(retentionProblems(key, read(out))).toEqual([]);
    });

    // Labels a person types follow Table E.1-1's own ROI Name (Z, cleaned under clean-descriptors):
    // the coded segment property and the beam number still say what each one is.
    test("labels a person types: Segment Label dummied (Type 1) and Beam Name removed (Type 3) under the Basic Profile, cleaned but kept under clean-descriptors", () => {
      const seg = run(profile).outputs.get("segmentation");
      const plan = run(profile).outputs.get("rt-plan");
      if (!seg || !plan)
        throw new Error(`segmentation or rt-plan was not de-identified (${profile})`);
      const labels = collect(read(seg), "SegmentSequence[*].SegmentLabel");
      const beams = collect(read(plan), "BeamSequence[*].BeamName");
      if (profile === "strict") {
        expect(labels).toEqual(SEGMENTS.map(() => "ANONYMIZED"));
        expect(beams).toEqual([]);
      } else {
        expect(labels).toEqual(collect(inputOf("segmentation"), "SegmentSequence[*].SegmentLabel"));
        expect(beams).toEqual(collect(inputOf("rt-plan"), "BeamSequence[*].BeamName"));
      }
    });

    test("SR: every TEXT item keeps a Text Value (its text may be replaced)", () => {
      const out = run(profile).outputs.get("comprehensive-sr");
      if (!out) throw new Error(`comprehensive-sr was not de-identified (${profile})`);
      const items = (ds: Naturalized): Naturalized[] =>
        ((ds.ContentSequence as Naturalized[] | undefined) ?? []).flatMap((i) => [i, ...items(i)]);
      const text = (ds: Naturalized) => items(ds).filter((i) => i.ValueType === "TEXT");
      const before = text(inputOf("comprehensive-sr"));
      const after = text(read(out));
      expect(after.length).toBe(before.length);
      for (const i of after) expect(String(i.TextValue ?? "")).not.toBe("");
    });

    test("references between the objects point at the new UIDs of the objects referenced", () => {
      const r = run(profile);
      const problems: string[] = [];
      for (const [key, refs] of Object.entries(REFERENCES)) {
        const out = r.outputs.get(key);
        if (!out) {
          problems.push(`${key}: not de-identified`);
          continue;
        }
        for (const { path, to } of refs) {
          const target = r.outputs.get(to);
          const uid = target ? read(target).SOPInstanceUID : undefined;
          const values = collect(read(out), path);
          if (values.length === 0) problems.push(`${key}: ${path}: lost`);
          else if (!values.every((v) => v === uid)) {
            problems.push(`${key}: ${path}: ${JSON.stringify(values)} is not ${to} (${uid})`);
          }
        }
      }
      // one study and one frame of reference, as in the inputs
      const outs = [...r.outputs.values()].map(read);
      expect(new Set(outs.map((o) => o.StudyInstanceUID)).size).toBe(1);
      const frames = outs.map((o) => o.FrameOfReferenceUID).filter((u) => u !== undefined);
      expect(new Set(frames).size).toBe(1);
      expect(problems).toEqual([]);
    });

    if (mask && maskRule) {
      test("masked US and SC: the rule's rectangles are zero, the rest of the pixels kept", () => {
        const problems: string[] = [];
        for (const key of ["ultrasound-masked", "secondary-capture-masked"]) {
          const out = run(profile).outputs.get(key);
          if (!out) {
            problems.push(`${key}: not de-identified`);
            continue;
          }
          const o = read(out);
          if (o.BurnedInAnnotation !== "NO") problems.push(`${key}: BurnedInAnnotation not NO`);
          const before = bytesOf(inputOf(key), "PixelData");
          const after = bytesOf(o, "PixelData");
          const inside = (x: number, y: number) =>
            maskRule.rectangles.some(
              (q) => x >= q.x && x < q.x + q.width && y >= q.y && y < q.y + q.height,
            );
          let changedOutside = 0;
          let keptInside = 0;
          for (let y = 0; y < mask.rows; y++) {
            for (let x = 0; x < mask.columns; x++) {
              const i = y * mask.columns + x;
              if (inside(x, y)) keptInside += after[i] === 0 ? 0 : 1;
              else changedOutside += after[i] === before[i] ? 0 : 1;
            }
          }
          if (keptInside) problems.push(`${key}: ${keptInside} pixels inside the mask not zero`);
          if (changedOutside) problems.push(`${key}: ${changedOutside} pixels outside changed`);
        }
        expect(problems).toEqual([]);
      });
    }
  });

  test("the pinned key's date shift makes no planted date equal to another one (else the leak scan would report coincidences)", () => {
    const out = run(profile).outputs.get("pet");
    if (!out) throw new Error(`pet was not de-identified (${profile})`);
    const before = String(inputOf("pet").SeriesDate);
    const after = read(out).SeriesDate;
    // Only profiles that shift dates can make one planted date into another.
    if (!(PROFILES[profile] ?? []).includes("retain-longitudinal-modified-dates")) return;
    const day = (d: string) => Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8));
    const offset = Math.round((day(String(after)) - day(before)) / 86_400_000);
    const dates = set.planted
      .filter((p) => p.kind === "date" || p.kind === "datetime")
      .map((p) => p.value.slice(0, 8));
    const shifted = dates.map((d) => new Date(day(d) + offset * 86_400_000));
    const asDate = (t: Date) => t.toISOString().slice(0, 10).replace(/-/g, "");
    const collisions = shifted.map(asDate).filter((d, i) => d !== dates[i] && dates.includes(d));
    expect(collisions).toEqual([]);
  });

  test("the leak scanner finds no planted value in any output or anything printed", () => {
    const r = run(profile);
    const kept = keptByProfile(profile);
    const planted = set.planted.filter((p) => !kept(p));
    const leaks = scanForLeaks(
      [
        ...filesUnder(r.outDir).map((f) => ({ name: f, bytes: readFileSync(f) })),
        { name: "stdout", bytes: r.cli.stdout },
        { name: "stderr", bytes: r.cli.stderr },
      ],
      planted,
    );
    if (leaks.length) throw new Error(formatLeaks(leaks, 40));
    expect(leaks).toEqual([]);
  });
});

/** The tag a planted value was put in (the last "(gggg,eeee)" of its `where`). */
function plantedTag(p: PlantedValue): string {
  const all = [...p.where.matchAll(/\(([0-9A-F]{4}),([0-9A-F]{4})\)/gi)];
  const last = all[all.length - 1];
  return last ? `${last[1]}${last[2]}`.toUpperCase() : "";
}

/**
 * Planted values a profile keeps on purpose, which are therefore not leaks of that profile: those
 * in attributes one of its options keeps (action K in Table E.1-1, e.g. Device Serial Number
 * under retain-device-identity), and times (TM) under the longitudinal options, which shift dates
 * and keep times (a time of day without its date is not a HIPAA identifier).
 */
function keptByProfile(profile: ProfileName): (p: PlantedValue) => boolean {
  const options: string[] = PROFILES[profile] ?? [];
  const rows = (
    profileJson as unknown as {
      rows: { tag: string; options: Record<string, string | undefined> }[];
    }
  ).rows;
  const kept = new Set(
    rows.filter((r) => options.some((o) => r.options[o] === "K")).map((r) => r.tag.toUpperCase()),
  );
  const times = options.some((o) => o.startsWith("retain-longitudinal-"));
  return (p) => kept.has(plantedTag(p)) || (times && p.kind === "time");
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}
