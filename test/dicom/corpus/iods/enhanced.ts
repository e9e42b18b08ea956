/**
 * Enhanced CT and Enhanced MR: multi-frame images described by shared and per-frame functional
 * groups, with planted PHI in the per-frame dates (Frame Content) and frame comments too.
 */
import { DS, IOD_SOP_CLASS, IodFile, IodObject, Shared, VOLUME, codeItem } from "./common";
import { frame } from "../generator";

/** The frames' pixel data (16-bit values < 0x1000, one pattern per frame). */
export function volumePixels(seed: number): Buffer {
  return Buffer.concat(VOLUME.z.map((_, k) => frame("u16", VOLUME.rows, VOLUME.columns, k + seed)));
}

/** Functional group values the retention tests check. */
export const ENHANCED = {
  ct: {
    frameType: ["ORIGINAL", "PRIMARY", "AXIAL", "NONE"],
    rescale: { intercept: -1024, slope: 1, type: "HU" },
    kvp: 120,
    window: { center: 40, width: 400 },
    pixelSeed: 3,
  },
  mr: {
    frameType: ["ORIGINAL", "PRIMARY", "T1", "NONE"],
    repetitionTime: 500,
    echoTime: 15,
    flipAngle: 90,
    window: { center: 600, width: 1200 },
    pixelSeed: 9,
  },
};

/** Position of frame k (top left voxel centre). */
export function framePosition(k: number): number[] {
  return [VOLUME.origin[0], VOLUME.origin[1], VOLUME.z[k] as number];
}

/** Pixel Measures and Plane Orientation of the frames (shared functional groups, SEG's too). */
export function volumeGeometry(g: DS): void {
  g.sq("00289110", "PixelMeasuresSequence", (x) => {
    x.set("00280030", "DS", VOLUME.spacing, VOLUME.spacing);
    x.set("00180050", "DS", VOLUME.sliceThickness);
  });
  g.sq("00209116", "PlaneOrientationSequence", (x) => {
    x.set("00200037", "DS", 1, 0, 0, 0, 1, 0);
  });
}

/**
 * What Enhanced CT and MR share: Image Pixel, Enhanced General Equipment, Multi-frame Functional
 * Groups (with `shared` and `perFrame` group fillers), Multi-frame Dimension, Acquisition Context.
 */
function multiFrame(
  f: IodFile,
  opts: {
    imageType: string[];
    shared: (g: DS) => void;
    perFrame: (g: DS, k: number) => void;
    pixelSeed: number;
  },
): void {
  const s = f.s;
  const d = f.ds;
  const se = f.series;
  const frames = VOLUME.z.length;
  // Enhanced CT/MR Image
  d.set("00080008", "CS", ...opts.imageType);
  d.set("00089205", "CS", "MONOCHROME").set("00089206", "CS", "VOLUME");
  d.set("00089207", "CS", "NONE");
  d.set("00200012", "IS", 1);
  d.phi("0008002A", "AcquisitionDateTime", "DT", "datetime", se.acqDateTime);
  d.set("00189073", "FD", 2.5);
  d.set("00189004", "CS", "PRODUCT");
  d.phi("00204000", "ImageComments", "LT", "text", `ZZFAKE image comment ${s.code()}`);
  d.set("00280301", "CS", "NO").set("00280302", "CS", "NO");
  d.set("00282110", "CS", "00").set("20500020", "CS", "IDENTITY");
  // Image Pixel
  f.imagePixel(VOLUME.rows, VOLUME.columns, 16, 12);
  // Multi-frame Functional Groups
  f.content();
  d.set("00280008", "IS", frames);
  d.sq("52009229", "SharedFunctionalGroupsSequence", (g) => {
    volumeGeometry(g);
    g.sq("00209071", "FrameAnatomySequence", (x) => {
      x.sq("00082218", "AnatomicRegionSequence", codeItem("51185008", "SCT", "Chest"));
      x.set("00209072", "CS", "U");
    });
    opts.shared(g);
  });
  const dimOrg = s.newUid();
  d.sq(
    "52009230",
    "PerFrameFunctionalGroupsSequence",
    ...VOLUME.z.map((_, k) => (g: DS) => {
      g.sq("00209111", "FrameContentSequence", (x) => {
        x.set("00209156", "US", k + 1);
        x.phi("00189151", "FrameReferenceDateTime", "DT", "datetime", `${s.date()}${s.time()}`);
        x.phi("00189074", "FrameAcquisitionDateTime", "DT", "datetime", `${s.date()}${s.time()}`);
        x.set("00189220", "FD", 800);
        x.set("00209056", "SH", "1").set("00209057", "UL", k + 1);
        x.set("00209157", "UL", 1, k + 1);
        x.phi("00209158", "FrameComments", "LT", "text", `ZZFAKE frame comment ${s.code()}`);
      });
      g.sq("00209113", "PlanePositionSequence", (x) => {
        x.set("00200032", "DS", ...framePosition(k));
      });
      opts.perFrame(g, k);
    }),
  );
  // Multi-frame Dimension
  d.sq("00209221", "DimensionOrganizationSequence", (x) => x.set("00209164", "UI", dimOrg));
  d.sq(
    "00209222",
    "DimensionIndexSequence",
    ...[0x00209056, 0x00209057].map((p) => (x: DS) => {
      x.set("00209164", "UI", dimOrg);
      x.set("00209165", "AT", p).set("00209167", "AT", 0x00209111);
    }),
  );
  // Acquisition Context
  d.sq("00400555", "AcquisitionContextSequence");
  d.bytes("7FE00010", "OW", volumePixels(opts.pixelSeed));
}

function header(f: IodFile): void {
  f.sopCommon().patient().generalStudy().patientStudy();
  f.seriesModule({ bodyPart: "CHEST" }).frameOfReference().equipment();
  f.ds.set("00185100", "CS", "HFS");
}

export function enhancedCt(s: Shared): IodObject {
  const f = new IodFile(s, {
    key: "enhanced-ct",
    iod: "Enhanced CT Image",
    sopClassUid: IOD_SOP_CLASS.enhancedCt,
    modality: "CT",
    seriesIndex: 1,
  });
  header(f);
  const c = ENHANCED.ct;
  multiFrame(f, {
    imageType: c.frameType,
    pixelSeed: c.pixelSeed,
    shared: (g) => {
      g.sq("00189329", "CTImageFrameTypeSequence", (x) => {
        x.set("00089007", "CS", ...c.frameType).set("00089205", "CS", "MONOCHROME");
        x.set("00089206", "CS", "VOLUME").set("00089207", "CS", "NONE");
      });
      g.sq("00289145", "PixelValueTransformationSequence", (x) => {
        x.set("00281052", "DS", c.rescale.intercept).set("00281053", "DS", c.rescale.slope);
        x.set("00281054", "LO", c.rescale.type);
      });
      g.sq("00289132", "FrameVOILUTSequence", (x) => {
        x.set("00281050", "DS", c.window.center).set("00281051", "DS", c.window.width);
      });
      g.sq("00189301", "CTAcquisitionTypeSequence", (x) => {
        x.set("00189302", "CS", "SEQUENCED").set("00189333", "CS", "NO");
        x.set("00189334", "CS", "NO");
      });
      g.sq("00189308", "CTTableDynamicsSequence", (x) => {
        x.set("00189309", "FD", 0).set("00189310", "FD", 0).set("00189311", "FD", 0);
      });
      g.sq("00189304", "CTAcquisitionDetailsSequence", (x) => {
        x.set("00180090", "DS", 500).set("00189305", "FD", 1).set("00189306", "FD", 0.625);
        x.set("00189307", "FD", 40).set("00181130", "DS", 100).set("00181120", "DS", 0);
        x.set("00181140", "CS", "CW");
      });
      g.sq("00189312", "CTGeometrySequence", (x) => {
        x.set("00181110", "DS", 1000).set("00189335", "FD", 540);
      });
      g.sq("00189314", "CTReconstructionSequence", (x) => {
        x.set("00189315", "CS", "FILTER_BACK_PROJ").set("00181210", "SH", "STANDARD");
        x.set("00189316", "CS", "SOFT_TISSUE").set("00181100", "DS", 16);
        x.set("00189322", "FD", VOLUME.spacing, VOLUME.spacing);
        x.set("00189319", "FD", 360).set("00189320", "SH", "NONE");
      });
      g.sq("00189321", "CTExposureSequence", (x) => {
        x.set("00189328", "FD", 1000).set("00189330", "FD", 200).set("00189332", "FD", 200);
        x.set("00189323", "CS", "NONE").set("00189345", "FD", 12.5);
        x.sq(
          "00189346",
          "CTDIPhantomTypeCodeSequence",
          codeItem("113691", "DCM", "IEC Body Dosimetry Phantom"),
        );
      });
      g.sq("00189325", "CTXRayDetailsSequence", (x) => {
        x.set("00180060", "DS", c.kvp).set("00181190", "DS", 1.2).set("00181160", "SH", "FLAT");
        x.set("00187050", "CS", "AL");
      });
      g.sq("00189477", "IrradiationEventIdentificationSequence", (x) => {
        x.set("00083010", "UI", s.newUid());
      });
    },
    perFrame: (g, k) => {
      g.sq("00189326", "CTPositionSequence", (x) => {
        x.set("00189327", "FD", -(VOLUME.z[k] as number));
        x.set("00189313", "FD", 0, 0, VOLUME.z[k] as number);
        x.set("00189318", "FD", 0, 0, VOLUME.z[k] as number);
      });
    },
  });
  f.privateBlock();
  return f.finish();
}

export function enhancedMr(s: Shared): IodObject {
  const f = new IodFile(s, {
    key: "enhanced-mr",
    iod: "Enhanced MR Image",
    sopClassUid: IOD_SOP_CLASS.enhancedMr,
    modality: "MR",
    seriesIndex: 2,
  });
  header(f);
  const m = ENHANCED.mr;
  const d = f.ds;
  // Enhanced MR Image
  d.set("00189100", "CS", "1H").set("00189064", "CS", "NONE").set("00180087", "DS", 1.5);
  // MR Pulse Sequence
  d.set("00189005", "SH", "SE2D").set("00180023", "CS", "2D").set("00189008", "CS", "SPIN");
  d.set("00189012", "CS", "NO").set("00189011", "CS", "NO").set("00189014", "CS", "NO");
  d.set("00189015", "CS", "NO").set("00189017", "CS", "NONE").set("00189018", "CS", "NO");
  d.set("00189024", "CS", "NO").set("00189025", "CS", "NONE").set("00189029", "CS", "NONE");
  d.set("00189032", "CS", "RECTILINEAR").set("00189034", "CS", "LINEAR");
  d.set("00189033", "CS", "SINGLE").set("00189093", "US", 1);
  d.set("00189174", "CS", "IEC");
  d.set("00089208", "CS", "MAGNITUDE").set("00089209", "CS", "T1");
  multiFrame(f, {
    imageType: m.frameType,
    pixelSeed: m.pixelSeed,
    shared: (g) => {
      g.sq("00189226", "MRImageFrameTypeSequence", (x) => {
        x.set("00089007", "CS", ...m.frameType).set("00089205", "CS", "MONOCHROME");
        x.set("00089206", "CS", "VOLUME").set("00089207", "CS", "NONE");
        x.set("00089208", "CS", "MAGNITUDE").set("00089209", "CS", "T1");
      });
      g.sq("00289145", "PixelValueTransformationSequence", (x) => {
        x.set("00281052", "DS", 0).set("00281053", "DS", 1).set("00281054", "LO", "US");
      });
      g.sq("00289132", "FrameVOILUTSequence", (x) => {
        x.set("00281050", "DS", m.window.center).set("00281051", "DS", m.window.width);
      });
      g.sq("00189112", "MRTimingAndRelatedParametersSequence", (x) => {
        x.set("00180080", "DS", m.repetitionTime).set("00181314", "DS", m.flipAngle);
        x.set("00180091", "IS", 1).set("00189240", "US", 1).set("00189241", "US", 0);
        x.sq("00189239", "SpecificAbsorptionRateSequence", (y) => {
          y.set("00189179", "CS", "IEC_WHOLE_BODY").set("00189181", "FD", 0.5);
        });
        x.sq("00189176", "OperatingModeSequence", (y) => {
          y.set("00189177", "CS", "STATIC FIELD").set("00189178", "CS", "IEC_NORMAL");
        });
      });
      g.sq("00189125", "MRFOVGeometrySequence", (x) => {
        x.set("00181312", "CS", "ROW").set("00189058", "US", VOLUME.columns);
        x.set("00189231", "US", VOLUME.rows).set("00180093", "DS", 100);
        x.set("00180094", "DS", 100);
      });
      g.sq("00189114", "MREchoSequence", (x) => x.set("00189082", "FD", m.echoTime));
      g.sq("00189115", "MRModifierSequence", (x) => {
        x.set("00189009", "CS", "NO").set("00189010", "CS", "NONE").set("00189021", "CS", "NO");
        x.set("00189026", "CS", "NONE").set("00189027", "CS", "NONE");
        x.set("00189081", "CS", "NO").set("00189077", "CS", "NO");
      });
      g.sq("00189006", "MRImagingModifierSequence", (x) => {
        x.set("00189020", "CS", "NONE").set("00189022", "CS", "NO").set("00189028", "CS", "NONE");
        x.set("00189098", "FD", 63.9).set("00180095", "DS", 200);
      });
      g.sq("00189042", "MRReceiveCoilSequence", (x) => {
        x.set("00181250", "SH", "BODY").set("00189041", "LO", "IMGSEC SYNTHETIC");
        x.set("00189043", "CS", "VOLUME").set("00189044", "CS", "YES");
      });
      g.sq("00189049", "MRTransmitCoilSequence", (x) => {
        x.set("00181251", "SH", "BODY").set("00189050", "LO", "IMGSEC SYNTHETIC");
        x.set("00189051", "CS", "BODY");
      });
      g.sq("00189119", "MRAveragesSequence", (x) => x.set("00180083", "DS", 1));
    },
    perFrame: () => undefined,
  });
  f.privateBlock();
  return f.finish();
}
