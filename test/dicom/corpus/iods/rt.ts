/**
 * Radiotherapy objects: RT Structure Set (contours on the Enhanced CT's frames), RT Plan (one
 * static photon beam, referencing the structure set) and RT Dose (a 3-D dose grid for the plan).
 */
import { DS, FileOptions, IOD_SOP_CLASS, IodFile, IodObject, Shared, VOLUME, ds } from "./common";
import { frame } from "../generator";

/** The contours of the structure set: ROI number, name, type, and per frame the points. */
export interface RoiSpec {
  number: number;
  name: string;
  interpretedType: string;
  color: [number, number, number];
  /** One closed planar contour per entry: the frame index and the (x, y) points (z from it). */
  contours: { frame: number; points: [number, number][] }[];
}

export const ROIS: RoiSpec[] = [
  {
    number: 1,
    name: "PTV",
    interpretedType: "PTV",
    color: [255, 0, 0],
    contours: VOLUME.z.map((_, f) => ({
      frame: f,
      points: [
        [-3.5, -3.5],
        [3.5 - f * 0.5, -3.5],
        [3.5 - f * 0.5, 3.5],
        [-3.5, 3.5],
      ],
    })),
  },
  {
    number: 2,
    name: "BODY",
    interpretedType: "EXTERNAL",
    color: [0, 255, 0],
    contours: [
      {
        frame: 1,
        points: [
          [-7, 0],
          [-5, -5],
          [0, -7],
          [5, -5],
          [7, 0],
          [5, 5],
          [0, 7],
          [-5, 5],
        ],
      },
    ],
  },
];

/** ContourData of a contour: x\y\z triplets. */
export function contourData(c: { frame: number; points: [number, number][] }): number[] {
  const z = VOLUME.z[c.frame] as number;
  return c.points.flatMap(([x, y]) => [x, y, z]);
}

function approval(f: IodFile): void {
  f.ds.set("300E0002", "CS", "APPROVED");
  f.ds.phi("300E0004", "ReviewDate", "DA", "date", f.s.date());
  f.ds.phi("300E0005", "ReviewTime", "TM", "time", f.s.time());
  f.ds.phi("300E0008", "ReviewerName", "PN", "name", f.s.name("RVW"));
}

/** An RT object with the modules all three have, Frame of Reference (the study's) included. */
function rtFile(s: Shared, o: FileOptions): IodFile {
  const f = new IodFile(s, o);
  f.sopCommon().patient().generalStudy().patientStudy().seriesModule().equipment();
  return f.frameOfReference();
}

export function rtStructureSet(s: Shared): IodObject {
  const f = rtFile(s, {
    key: "rt-structure-set",
    iod: "RT Structure Set",
    sopClassUid: IOD_SOP_CLASS.rtStructureSet,
    modality: "RTSTRUCT",
    seriesIndex: 11,
  });
  const d = f.ds;
  const ct = s.uid("enhanced-ct");
  const ctSeries = s.seriesUid("enhanced-ct");
  f.references.push(ct);
  // Structure Set
  d.phi("30060002", "StructureSetLabel", "SH", "id", `ZZSSL-${s.code()}`);
  d.phi("30060004", "StructureSetName", "LO", "text", `ZZFAKE structure set ${s.code()}`);
  d.phi("30060006", "StructureSetDescription", "ST", "text", `ZZFAKE structure notes ${s.code()}`);
  d.set("00200013", "IS", 1);
  d.phi("30060008", "StructureSetDate", "DA", "date", s.date());
  d.phi("30060009", "StructureSetTime", "TM", "time", s.time());
  const imageRef = (frameNumber: number) => (i: DS) => {
    i.set("00081150", "UI", IOD_SOP_CLASS.enhancedCt).set("00081155", "UI", ct);
    i.set("00081160", "IS", frameNumber);
  };
  d.sq("30060010", "ReferencedFrameOfReferenceSequence", (fr) => {
    fr.set("00200052", "UI", s.frameOfReferenceUid);
    fr.sq("30060012", "RTReferencedStudySequence", (rs) => {
      rs.set("00081150", "UI", "1.2.840.10008.3.1.2.3.1").set("00081155", "UI", s.study.uid);
      rs.sq("30060014", "RTReferencedSeriesSequence", (se) => {
        se.set("0020000E", "UI", ctSeries);
        se.sq("30060016", "ContourImageSequence", ...VOLUME.z.map((_, k) => imageRef(k + 1)));
      });
    });
  });
  d.sq(
    "30060020",
    "StructureSetROISequence",
    ...ROIS.map((r) => (i: DS) => {
      i.set("30060022", "IS", r.number).set("30060024", "UI", s.frameOfReferenceUid);
      i.set("30060026", "LO", r.name);
      i.phi("30060028", "ROIDescription", "ST", "text", `ZZFAKE roi description ${s.code()}`);
      i.set("30060036", "CS", "MANUAL");
      i.phi("30060038", "ROIGenerationDescription", "LO", "text", `ZZFAKE drawn by ${s.code()}`);
    }),
  );
  // ROI Contour
  d.sq(
    "30060039",
    "ROIContourSequence",
    ...ROIS.map((r) => (i: DS) => {
      i.set("3006002A", "IS", ...r.color);
      i.sq(
        "30060040",
        "ContourSequence",
        ...r.contours.map((c, k) => (cs: DS) => {
          cs.sq("30060016", "ContourImageSequence", imageRef(c.frame + 1));
          cs.set("30060042", "CS", "CLOSED_PLANAR");
          cs.set("30060046", "IS", c.points.length).set("30060048", "IS", k + 1);
          cs.set("30060050", "DS", ...contourData(c).map(ds));
        }),
      );
      i.set("30060084", "IS", r.number);
    }),
  );
  // RT ROI Observations
  d.sq(
    "30060080",
    "RTROIObservationsSequence",
    ...ROIS.map((r) => (i: DS) => {
      i.set("30060082", "IS", r.number).set("30060084", "IS", r.number);
      i.phi("30060085", "ROIObservationLabel", "SH", "id", `ZZROL-${s.code()}`);
      i.set("300600A4", "CS", r.interpretedType);
      i.phi("300600A6", "ROIInterpreter", "PN", "name", s.name("INT"));
    }),
  );
  approval(f);
  f.privateBlock();
  return f.finish();
}

/** The plan: one static 6 MV photon beam, gantry 0, 10 x 10 cm jaws, 25 fractions. */
export const PLAN = {
  geometry: "PATIENT",
  fractions: 25,
  beamMeterset: 123.5,
  beam: { number: 1, name: "AP", type: "STATIC", radiation: "PHOTON", energy: 6, gantry: 0 },
  jaws: { X: [-50, 50], Y: [-50, 50] } as Record<"X" | "Y", [number, number]>,
  isocenter: [0, 0, 2.5],
};

export function rtPlan(s: Shared): IodObject {
  const f = rtFile(s, {
    key: "rt-plan",
    iod: "RT Plan",
    sopClassUid: IOD_SOP_CLASS.rtPlan,
    modality: "RTPLAN",
    seriesIndex: 12,
  });
  const d = f.ds;
  const ss = s.uid("rt-structure-set");
  f.references.push(ss);
  // RT General Plan
  d.phi("300A0002", "RTPlanLabel", "SH", "id", `ZZPLAN-${s.code()}`);
  d.phi("300A0003", "RTPlanName", "LO", "text", `ZZFAKE plan name ${s.code()}`);
  d.phi("300A0004", "RTPlanDescription", "ST", "text", `ZZFAKE plan description ${s.code()}`);
  d.set("00200013", "IS", 1);
  d.phi("300A0006", "RTPlanDate", "DA", "date", s.date());
  d.phi("300A0007", "RTPlanTime", "TM", "time", s.time());
  d.set("300A000A", "CS", "CURATIVE");
  d.set("300A000C", "CS", PLAN.geometry);
  d.sq("300C0060", "ReferencedStructureSetSequence", (i) => {
    i.set("00081150", "UI", IOD_SOP_CLASS.rtStructureSet).set("00081155", "UI", ss);
  });
  // RT Patient Setup
  d.sq("300A0180", "PatientSetupSequence", (i) => {
    i.set("00185100", "CS", "HFS").set("300A0182", "IS", 1);
  });
  // RT Fraction Scheme
  d.sq("300A0070", "FractionGroupSequence", (g) => {
    g.set("300A0071", "IS", 1);
    g.phi("300A0072", "FractionGroupDescription", "LO", "text", `ZZFAKE fractions ${s.code()}`);
    g.set("300A0078", "IS", PLAN.fractions).set("300A0080", "IS", 1).set("300A00A0", "IS", 0);
    g.sq("300C0004", "ReferencedBeamSequence", (b) => {
      b.set("300A0086", "DS", PLAN.beamMeterset).set("300C0006", "IS", PLAN.beam.number);
    });
  });
  // RT Beams
  const b = PLAN.beam;
  d.sq("300A00B0", "BeamSequence", (i) => {
    i.set("00081090", "LO", "IMGSEC-SYNTH-LINAC");
    i.phi("300A00B2", "TreatmentMachineName", "SH", "id", `ZZLINAC-${s.code()}`);
    i.set("300A00B3", "CS", "MU").set("300A00B4", "DS", 1000);
    i.sq(
      "300A00B6",
      "BeamLimitingDeviceSequence",
      ...(["X", "Y"] as const).map((t) => (x: DS) => {
        x.set("300A00B8", "CS", t).set("300A00BC", "IS", 1);
      }),
    );
    i.set("300A00C0", "IS", b.number).set("300A00C2", "LO", b.name);
    i.phi("300A00C3", "BeamDescription", "ST", "text", `ZZFAKE beam note ${s.code()}`);
    i.set("300A00C4", "CS", b.type).set("300A00C6", "CS", b.radiation);
    i.set("300A00CE", "CS", "TREATMENT");
    i.set("300A00D0", "IS", 0).set("300A00E0", "IS", 0).set("300A00ED", "IS", 0);
    i.set("300A00F0", "IS", 0).set("300A010E", "DS", 1).set("300A0110", "IS", 2);
    i.sq(
      "300A0111",
      "ControlPointSequence",
      (cp) => {
        cp.set("300A0112", "IS", 0).set("300A0114", "DS", b.energy);
        cp.sq(
          "300A011A",
          "BeamLimitingDevicePositionSequence",
          ...(["X", "Y"] as const).map((t) => (x: DS) => {
            x.set("300A00B8", "CS", t).set("300A011C", "DS", ...PLAN.jaws[t]);
          }),
        );
        cp.set("300A011E", "DS", b.gantry).set("300A011F", "CS", "NONE");
        cp.set("300A0120", "DS", 0).set("300A0121", "CS", "NONE");
        cp.set("300A0122", "DS", 0).set("300A0123", "CS", "NONE");
        cp.set("300A0125", "DS", 0).set("300A0126", "CS", "NONE");
        cp.set("300A0128", "DS", 0).set("300A0129", "DS", 0).set("300A012A", "DS", 0);
        cp.set("300A012C", "DS", ...PLAN.isocenter);
        cp.set("300A0134", "DS", 0);
      },
      (cp) => {
        cp.set("300A0112", "IS", 1).set("300A0134", "DS", 1);
      },
    );
    i.set("300C006A", "IS", 1);
  });
  approval(f);
  f.privateBlock();
  return f.finish();
}

/** The dose grid: 8 x 8 voxels of 2 mm on the volume's 3 frames, 16-bit, scaled to Gy. */
export const DOSE = {
  rows: 8,
  columns: 8,
  spacing: 2,
  scaling: 0.0015,
  units: "GY",
  type: "PHYSICAL",
  summation: "PLAN",
  offsets: VOLUME.z.map((z) => z - VOLUME.z[0]),
};

/** The dose grid's pixel data (3 frames of 16-bit values < 0x1000). */
export function dosePixels(): Buffer {
  return Buffer.concat(VOLUME.z.map((_, k) => frame("u16", DOSE.rows, DOSE.columns, k + 40)));
}

export function rtDose(s: Shared): IodObject {
  const f = rtFile(s, {
    key: "rt-dose",
    iod: "RT Dose",
    sopClassUid: IOD_SOP_CLASS.rtDose,
    modality: "RTDOSE",
    seriesIndex: 13,
  });
  f.generalImage({ acquisition: false });
  const d = f.ds;
  const plan = s.uid("rt-plan");
  f.references.push(plan);
  // Image Plane
  d.set("00280030", "DS", DOSE.spacing, DOSE.spacing);
  d.set("00200037", "DS", 1, 0, 0, 0, 1, 0);
  d.set("00200032", "DS", VOLUME.origin[0], VOLUME.origin[1], VOLUME.z[0]);
  d.set("00180050", "DS", "");
  // Image Pixel, Multi-frame
  f.imagePixel(DOSE.rows, DOSE.columns, 16);
  d.set("00280008", "IS", VOLUME.z.length).set("00280009", "AT", 0x3004000c);
  // RT Dose
  d.set("30040002", "CS", DOSE.units).set("30040004", "CS", DOSE.type);
  d.set("3004000A", "CS", DOSE.summation);
  d.sq("300C0002", "ReferencedRTPlanSequence", (i) => {
    i.set("00081150", "UI", IOD_SOP_CLASS.rtPlan).set("00081155", "UI", plan);
  });
  d.set("3004000C", "DS", ...DOSE.offsets);
  d.set("3004000E", "DS", DOSE.scaling);
  d.set("30040014", "CS", "IMAGE");
  f.privateBlock();
  d.bytes("7FE00010", "OW", dosePixels());
  return f.finish();
}
