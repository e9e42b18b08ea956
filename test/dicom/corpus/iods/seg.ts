/**
 * Segmentation (binary): two segments derived from the Enhanced CT's frames, one frame per
 * segment and source frame, with Segment Identification, Derivation Image, Plane Position and
 * Frame Content in the per-frame functional groups.
 */
import { DS, IOD_SOP_CLASS, IodFile, IodObject, Shared, VOLUME, codeItem } from "./common";
import { framePosition, volumeGeometry } from "./enhanced";

type Code = [value: string, scheme: string, meaning: string];

export interface SegmentSpec {
  number: number;
  label: string;
  algorithmType: "AUTOMATIC" | "SEMIAUTOMATIC";
  algorithmName: string;
  category: Code;
  type: Code;
  /** Source frames (indexes into VOLUME.z) the segment has a frame for. */
  frames: number[];
  /** Radius of the disc drawn in each frame, in pixels. */
  radius: number;
}

export const SEGMENTS: SegmentSpec[] = [
  {
    number: 1,
    label: "Nodule",
    algorithmType: "AUTOMATIC",
    algorithmName: "IMGSEC-THRESHOLD",
    category: ["49755003", "SCT", "Morphologically Altered Structure"],
    type: ["27925004", "SCT", "Nodule"],
    frames: [0, 1, 2],
    radius: 3,
  },
  {
    number: 2,
    label: "Lung",
    algorithmType: "SEMIAUTOMATIC",
    algorithmName: "IMGSEC-REGION-GROW",
    category: ["123037004", "SCT", "Anatomical Structure"],
    type: ["39607008", "SCT", "Lung"],
    frames: [1, 2],
    radius: 6,
  },
];

/** The frames of the segmentation, in order: segment by segment, source frame by source frame. */
export function segFrames(): { segment: SegmentSpec; source: number }[] {
  return SEGMENTS.flatMap((segment) => segment.frames.map((source) => ({ segment, source })));
}

/** The packed 1-bit pixel data: a disc per frame (rows x columns is a multiple of 8). */
export function segPixels(): Buffer {
  const perFrame = (VOLUME.rows * VOLUME.columns) / 8;
  const frames = segFrames();
  const out = Buffer.alloc(perFrame * frames.length);
  frames.forEach(({ segment, source }, k) => {
    const r = segment.radius - (source === 2 ? 1 : 0);
    const cx = VOLUME.columns / 2 - 0.5;
    const cy = VOLUME.rows / 2 - 0.5;
    for (let y = 0; y < VOLUME.rows; y++) {
      for (let x = 0; x < VOLUME.columns; x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
        const bit = k * VOLUME.rows * VOLUME.columns + y * VOLUME.columns + x;
        out[bit >> 3] = (out[bit >> 3] as number) | (1 << (bit & 7));
      }
    }
  });
  return out;
}

export function segmentation(s: Shared): IodObject {
  const f = new IodFile(s, {
    key: "segmentation",
    iod: "Segmentation",
    sopClassUid: IOD_SOP_CLASS.segmentation,
    modality: "SEG",
    seriesIndex: 31,
  });
  f.sopCommon().patient().generalStudy().patientStudy().seriesModule().frameOfReference();
  f.equipment();
  const d = f.ds;
  const ct = s.uid("enhanced-ct");
  f.references.push(ct);
  const frames = segFrames();
  // General Image, Segmentation Image
  d.set("00080008", "CS", "DERIVED", "PRIMARY");
  f.content();
  d.set("00700080", "CS", "NODULE_SEG");
  d.set("00700081", "LO", "Nodule and lung segmentation");
  d.phi("00700084", "ContentCreatorName", "PN", "name", s.name("SEGC"));
  f.imagePixel(VOLUME.rows, VOLUME.columns, 1);
  d.set("00282110", "CS", "00");
  d.set("00620001", "CS", "BINARY");
  d.sq(
    "00620002",
    "SegmentSequence",
    ...SEGMENTS.map((g) => (i: DS) => {
      i.set("00620004", "US", g.number).set("00620005", "LO", g.label);
      i.set("00620008", "CS", g.algorithmType).set("00620009", "LO", g.algorithmName);
      i.sq("00620003", "SegmentedPropertyCategoryCodeSequence", codeItem(...g.category));
      i.sq("0062000F", "SegmentedPropertyTypeCodeSequence", codeItem(...g.type));
    }),
  );
  // Multi-frame Functional Groups
  d.set("00280008", "IS", frames.length);
  d.sq("52009229", "SharedFunctionalGroupsSequence", volumeGeometry);
  const dimOrg = s.newUid();
  d.sq(
    "52009230",
    "PerFrameFunctionalGroupsSequence",
    ...frames.map(({ segment, source }) => (g: DS) => {
      g.sq("00089124", "DerivationImageSequence", (x) => {
        x.sq("00082112", "SourceImageSequence", (y) => {
          y.set("00081150", "UI", IOD_SOP_CLASS.enhancedCt).set("00081155", "UI", ct);
          y.set("00081160", "IS", source + 1);
          y.sq(
            "0040A170",
            "PurposeOfReferenceCodeSequence",
            codeItem("121322", "DCM", "Source image for image processing operation"),
          );
        });
        x.sq("00089215", "DerivationCodeSequence", codeItem("113076", "DCM", "Segmentation"));
      });
      g.sq("00209111", "FrameContentSequence", (x) => {
        x.set("00209157", "UL", segment.number, source + 1);
      });
      g.sq("00209113", "PlanePositionSequence", (x) => {
        x.set("00200032", "DS", ...framePosition(source));
      });
      g.sq("0062000A", "SegmentIdentificationSequence", (x) => {
        x.set("0062000B", "US", segment.number);
      });
    }),
  );
  // Multi-frame Dimension
  d.sq("00209221", "DimensionOrganizationSequence", (x) => x.set("00209164", "UI", dimOrg));
  d.sq(
    "00209222",
    "DimensionIndexSequence",
    (x) => {
      x.set("00209164", "UI", dimOrg).set("00209165", "AT", 0x0062000b);
      x.set("00209167", "AT", 0x0062000a);
    },
    (x) => {
      x.set("00209164", "UI", dimOrg).set("00209165", "AT", 0x00200032);
      x.set("00209167", "AT", 0x00209113);
    },
  );
  // Common Instance Reference
  d.sq("00081115", "ReferencedSeriesSequence", (x) => {
    x.sq("0008114A", "ReferencedInstanceSequence", (y) => {
      y.set("00081150", "UI", IOD_SOP_CLASS.enhancedCt).set("00081155", "UI", ct);
    });
    x.set("0020000E", "UI", s.seriesUid("enhanced-ct"));
  });
  f.privateBlock();
  d.bytes("7FE00010", "OB", segPixels());
  return f.finish();
}
