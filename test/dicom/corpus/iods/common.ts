/**
 * Shared building blocks of the per-IOD objects: one fake patient and study for all of them, the
 * modules every composite IOD has (Patient, General Study, Patient Study, series, equipment, SOP
 * Common), each with planted fake PHI in the attributes PS3.15 Table E.1-1 lists, and the writer.
 * Values, planting and serialization are the corpus generator's own (../generator.ts).
 */
import {
  Context,
  DS,
  FileEncoding,
  Patient,
  Series,
  Study,
  TS,
  code,
  fakeName,
  makePatient,
  makeSeries,
  makeStudy,
  otherPatientIdsSequence,
  patientIdentity,
  performedProcedureStep,
  referringPhysicianIdentification,
  serializeDataset,
} from "../generator";
import type { PlantedValue } from "../planted";

export { DS };

/** What the engine is expected to do with an object by default. */
export type Disposition =
  /** De-identified and written. */
  | "deidentify"
  /** Quarantined for burned-in text (a kind known to carry it), with no pixel mask rule. */
  | "quarantine";

export interface IodObject {
  /** Short key, also the file name stem: "rt-structure-set". */
  key: string;
  /** The IOD's name in PS3.3 (and dciodvfy's name for it). */
  iod: string;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  modality: string;
  /** File name (the key plus ".dcm"). */
  name: string;
  bytes: Buffer;
  disposition: Disposition;
  /** SOP Instance UIDs of other objects of the set that this one references. */
  references: string[];
}

export interface IodSet {
  objects: IodObject[];
  planted: PlantedValue[];
}

/** One patient and one study shared by every object of the set (so references resolve). */
export class Shared {
  readonly ctx: Context;
  readonly patient: Patient;
  readonly study: Study;
  readonly frameOfReferenceUid: string;
  /** SOP Instance UIDs allocated up front, by object key, so objects can reference each other. */
  private readonly uids = new Map<string, string>();

  constructor(seed: number) {
    this.ctx = new Context(seed);
    this.patient = makePatient(this.ctx, 1, undefined);
    this.study = makeStudy(this.ctx, undefined);
    this.frameOfReferenceUid = this.study.frameOfReferenceUid;
  }

  /** The SOP Instance UID of the object `key` (allocated on first use). */
  uid(key: string): string {
    let u = this.uids.get(key);
    if (!u) {
      u = this.ctx.uid();
      this.uids.set(key, u);
    }
    return u;
  }

  /** The Series Instance UID of the object `key`. */
  seriesUid(key: string): string {
    return this.uid(`${key} (series)`);
  }

  /** A fresh UID (series, dimension organization, ...). */
  newUid(): string {
    return this.ctx.uid();
  }

  newSeries(index: number): Series {
    return makeSeries(this.ctx, index, undefined);
  }

  name(role: string): string {
    return fakeName(this.ctx, role, undefined);
  }

  /** A fresh fake date (YYYYMMDD, 1901-1909), time and code. */
  date(): string {
    return this.ctx.date();
  }
  time(): string {
    return this.ctx.time();
  }
  code(len = 4): string {
    return this.ctx.code(len);
  }
}

export interface FileOptions {
  key: string;
  iod: string;
  sopClassUid: string;
  modality: string;
  seriesIndex: number;
  disposition?: Disposition;
}

const PRIVATE_CREATOR = "IMGSEC SYNTHETIC 1.0";

/**
 * One object under construction: its data set (`ds`) and the modules common to composite IODs.
 * Each module method writes the attributes of that module, planting fake PHI where Table E.1-1
 * has a row for the attribute, and obviously harmless values elsewhere.
 */
export class IodFile {
  readonly enc = new FileEncoding(undefined);
  readonly ds: DS;
  readonly series: Series;
  readonly sopInstanceUid: string;
  readonly references: string[] = [];

  constructor(
    readonly s: Shared,
    readonly o: FileOptions,
  ) {
    this.ds = new DS(s.ctx, this.enc);
    this.series = { ...s.newSeries(o.seriesIndex), uid: s.seriesUid(o.key) };
    this.sopInstanceUid = s.uid(o.key);
  }

  /** SOP Common. */
  sopCommon(): this {
    const st = this.s.study;
    this.ds.set("00080016", "UI", this.o.sopClassUid).set("00080018", "UI", this.sopInstanceUid);
    this.ds.phi("00080012", "InstanceCreationDate", "DA", "date", st.creationDate);
    this.ds.phi("00080013", "InstanceCreationTime", "TM", "time", st.creationTime);
    return this;
  }

  /** Patient (+ a few attributes of Patient Demographic, which composite IODs do not have). */
  patient(): this {
    const pt = this.s.patient;
    const pf = pt.fields;
    const ds = this.ds;
    patientIdentity(ds, pt);
    otherPatientIdsSequence(ds, pt);
    ds.phi("00101001", "OtherPatientNames", "PN", "name", pf.otherName);
    ds.phi("00101040", "PatientAddress", "LO", "text", pf.address);
    ds.phi("00101060", "PatientMotherBirthName", "PN", "name", pf.motherName);
    ds.phi("00104000", "PatientComments", "LT", "text", pf.comments);
    return this;
  }

  /** General Study. */
  generalStudy(): this {
    const st = this.s.study;
    const t = st.text;
    const ds = this.ds;
    ds.set("0020000D", "UI", st.uid);
    ds.phi("00080020", "StudyDate", "DA", "date", st.date);
    ds.phi("00080030", "StudyTime", "TM", "time", st.time);
    ds.phi("00080090", "ReferringPhysicianName", "PN", "name", st.names.referring);
    referringPhysicianIdentification(ds, st);
    ds.phi("00200010", "StudyID", "SH", "id", st.studyId);
    ds.phi("00080050", "AccessionNumber", "SH", "id", st.accession);
    ds.phi("00081030", "StudyDescription", "LO", "text", t.studyDescription);
    ds.phi("00081048", "PhysiciansOfRecord", "PN", "name", st.names.record);
    ds.phi("00081060", "NameOfPhysiciansReadingStudy", "PN", "name", st.names.reading);
    ds.phi("00321032", "RequestingPhysician", "PN", "name", st.names.requesting);
    ds.phi("00321033", "RequestingService", "LO", "text", t.requestingService);
    return this;
  }

  /** Patient Study. */
  patientStudy(): this {
    const t = this.s.study.text;
    const pf = this.s.patient.fields;
    const ds = this.ds;
    ds.phi("00081080", "AdmittingDiagnosesDescription", "LO", "text", t.admittingDiagnoses);
    ds.set("00101020", "DS", 1.7).set("00101030", "DS", 70);
    ds.phi("001021B0", "AdditionalPatientHistory", "LT", "text", pf.history);
    ds.phi("00380010", "AdmissionID", "LO", "id", t.admission);
    return this;
  }

  /**
   * General Series (or the series module of the IOD: RT, SR Document, Segmentation, PET, ...,
   * which share these attributes; the ones a module lacks are only warnings for dciodvfy).
   */
  seriesModule(opts: { bodyPart?: string } = {}): this {
    const se = this.series;
    const st = this.s.study;
    const t = st.text;
    const ds = this.ds;
    ds.set("00080060", "CS", this.o.modality);
    ds.set("0020000E", "UI", se.uid);
    ds.set("00200011", "IS", se.number);
    if (opts.bodyPart) ds.set("00180015", "CS", opts.bodyPart);
    ds.phi("00080021", "SeriesDate", "DA", "date", se.date);
    ds.phi("00080031", "SeriesTime", "TM", "time", se.time);
    ds.phi("00081050", "PerformingPhysicianName", "PN", "name", se.performing);
    ds.phi("00181030", "ProtocolName", "LO", "text", se.text.protocol);
    ds.phi("0008103E", "SeriesDescription", "LO", "text", se.text.description);
    ds.phi("00081070", "OperatorsName", "PN", "name", ...se.operators);
    ds.sq("00400275", "RequestAttributesSequence", (ra) => {
      ra.phi("00401001", "RequestedProcedureID", "SH", "id", t.requestedProcedureId);
      ra.phi("00400009", "ScheduledProcedureStepID", "SH", "id", t.spsId);
      ra.phi("00400007", "ScheduledProcedureStepDescription", "LO", "text", t.spsDescription);
      ra.phi("00401002", "ReasonForTheRequestedProcedure", "LO", "text", t.reason);
    });
    performedProcedureStep(ds, st);
    return this;
  }

  /**
   * General Equipment, with what Enhanced General Equipment makes Type 1 (model, serial number,
   * software versions); `manufacturer` and `model` as a pixel mask rule wants them.
   */
  equipment(opts: { manufacturer?: string; model?: string } = {}): this {
    const se = this.series;
    const t = this.s.study.text;
    const ds = this.ds;
    ds.set("00080070", "LO", opts.manufacturer ?? "IMGSEC SYNTHETIC MODALITY");
    ds.phi("00080080", "InstitutionName", "LO", "text", t.institution);
    ds.phi("00080081", "InstitutionAddress", "ST", "text", t.institutionAddress);
    ds.phi("00081010", "StationName", "SH", "id", se.text.station);
    ds.phi("00081040", "InstitutionalDepartmentName", "LO", "text", t.department);
    ds.set("00081090", "LO", opts.model ?? "IMGSEC-SYNTH-1");
    ds.phi("00181000", "DeviceSerialNumber", "LO", "id", se.text.serial);
    ds.set("00181020", "LO", "IMGSEC-SYNTH-1.0");
    return this;
  }

  /** Frame of Reference (one per study). */
  frameOfReference(): this {
    this.ds.set("00200052", "UI", this.s.frameOfReferenceUid).set("00201040", "LO", "");
    return this;
  }

  /**
   * Instance Number and Content Date and Time, as General Image, SR Document General, Waveform
   * Identification and Multi-frame Functional Groups have them.
   */
  content(): this {
    const se = this.series;
    this.ds.set("00200013", "IS", 1);
    this.ds.phi("00080023", "ContentDate", "DA", "date", se.contentDate);
    this.ds.phi("00080033", "ContentTime", "TM", "time", se.contentTime);
    return this;
  }

  /** General Image, with PHI in the acquisition dates and image comments. */
  generalImage(opts: { acquisition?: boolean; comments?: boolean } = {}): this {
    const se = this.series;
    const ds = this.ds;
    this.content();
    if (opts.acquisition !== false) {
      ds.phi("00080022", "AcquisitionDate", "DA", "date", se.acqDate);
      ds.phi("00080032", "AcquisitionTime", "TM", "time", se.acqTime);
    }
    if (opts.comments !== false) {
      ds.phi("00204000", "ImageComments", "LT", "text", `ZZFAKE image comment ${this.s.code()}`);
    }
    return this;
  }

  /** Image Pixel of a MONOCHROME2 image, unsigned, `stored` of `bits` bits. */
  imagePixel(rows: number, columns: number, bits: number, stored: number = bits): this {
    const d = this.ds;
    d.set("00280002", "US", 1).set("00280004", "CS", "MONOCHROME2");
    d.set("00280010", "US", rows).set("00280011", "US", columns);
    d.set("00280100", "US", bits)
      .set("00280101", "US", stored)
      .set("00280102", "US", stored - 1);
    d.set("00280103", "US", 0);
    return this;
  }

  /** A private block with a creator, holding PHI: the engine removes it (retain-safe-private off). */
  privateBlock(): this {
    const pt = this.s.patient;
    const priv = `private [${PRIVATE_CREATOR}]`;
    this.ds.set("00090010", "LO", PRIVATE_CREATOR);
    this.ds.phi("00091010", `${priv} LO`, "LO", "text", this.s.study.text.privateLo);
    this.ds.phi("00091011", `${priv} PN`, "PN", "name", pt.name);
    return this;
  }

  /** The Part 10 file (explicit VR little endian) and the object's description. */
  finish(): IodObject {
    const bytes = serializeDataset(
      this.ds.d,
      this.enc,
      this.o.sopClassUid,
      this.sopInstanceUid,
      TS.explicit,
      true,
    );
    return {
      key: this.o.key,
      iod: this.o.iod,
      sopClassUid: this.o.sopClassUid,
      sopInstanceUid: this.sopInstanceUid,
      seriesInstanceUid: this.series.uid,
      studyInstanceUid: this.s.study.uid,
      modality: this.o.modality,
      name: `${this.o.key}.dcm`,
      bytes,
      disposition: this.o.disposition ?? "deidentify",
      references: this.references,
    };
  }
}

/** A code sequence item: CodeValue, CodingSchemeDesignator, CodeMeaning. */
export function codeItem(value: string, scheme: string, meaning: string): (i: DS) => void {
  return (i) => code(i, value, scheme, meaning);
}

/** Number formatting for DS values: at most 3 decimals, never long digit runs (no fake dates). */
export function ds(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

/**
 * The image volume every object shares: the Enhanced CT has these frames; the structure set's
 * contours lie on them, the segmentation is derived from them, the dose grid covers them.
 */
export const VOLUME = {
  rows: 16,
  columns: 16,
  /** mm, row and column spacing */
  spacing: 1,
  /** top left corner of every frame (x, y) in the patient frame of reference, mm */
  origin: [-8, -8] as const,
  /** z of each frame, mm */
  z: [0, 2.5, 5] as const,
  sliceThickness: 2.5,
};

/** SOP classes of the IODs generated here. */
export const IOD_SOP_CLASS = {
  rtStructureSet: "1.2.840.10008.5.1.4.1.1.481.3",
  rtDose: "1.2.840.10008.5.1.4.1.1.481.2",
  rtPlan: "1.2.840.10008.5.1.4.1.1.481.5",
  comprehensiveSr: "1.2.840.10008.5.1.4.1.1.88.33",
  segmentation: "1.2.840.10008.5.1.4.1.1.66.4",
  twelveLeadEcg: "1.2.840.10008.5.1.4.1.1.9.1.1",
  enhancedCt: "1.2.840.10008.5.1.4.1.1.2.1",
  enhancedMr: "1.2.840.10008.5.1.4.1.1.4.1",
  ultrasound: "1.2.840.10008.5.1.4.1.1.6.1",
  mammographyForPresentation: "1.2.840.10008.5.1.4.1.1.1.2",
  pet: "1.2.840.10008.5.1.4.1.1.128",
  secondaryCapture: "1.2.840.10008.5.1.4.1.1.7",
} as const;
