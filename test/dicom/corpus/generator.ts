/**
 * Deterministic generator of synthetic DICOM studies with planted, obviously fake PHI in every
 * place where PHI hides in real data (see README.md beside this file for the map). Everything is
 * derived from a seed: the same options give the same bytes.
 *
 * All planted strings start with or contain "ZZFAKE"/"ZZ..." plus a seeded code from an alphabet
 * without vowels ("7F3K"), dates lie in 1901-1909 with a day of 13-28, and times carry a
 * microsecond fraction, so each value appears nowhere else in the corpus. UIDs (2.25.<digits>)
 * never contain "190", so no date can hide inside one; 8-bit pixel values are >= 0x80 and 16-bit
 * ones < 0x1000, so pixel data never spells ASCII or UTF-8 text.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { encodeIso2022Jp, encodeLatin1, isAscii } from "./charsets";
import { DcmjsDataset, DcmjsElement, dcmjs, writeBareDataset } from "./dcmjs";
import { PlantedKind, PlantedValue, deriveVariants } from "./planted";

export type { PlantedKind, PlantedValue } from "./planted";

export type Modality = "CT" | "MR" | "US" | "SC" | "SR";
export type TransferSyntaxName = "explicit" | "implicit" | "encapsulated";
/**
 * "ISO 2022 IR 87" is written as the standard two values "\ISO 2022 IR 87" (ASCII default plus
 * JIS X 0208 through code extensions); without `charset` no (0008,0005) is written (ASCII).
 */
export type Charset = "ISO_IR 100" | "ISO_IR 192" | "ISO 2022 IR 87";

export const TS = {
  implicit: "1.2.840.10008.1.2",
  explicit: "1.2.840.10008.1.2.1",
  bigEndian: "1.2.840.10008.1.2.2",
  deflated: "1.2.840.10008.1.2.1.99",
  jpegBaseline: "1.2.840.10008.1.2.4.50",
} as const;

export const SOP_CLASS = {
  CT: "1.2.840.10008.5.1.4.1.1.2",
  MR: "1.2.840.10008.5.1.4.1.1.4",
  US: "1.2.840.10008.5.1.4.1.1.6.1",
  USMultiframe: "1.2.840.10008.5.1.4.1.1.3.1",
  SC: "1.2.840.10008.5.1.4.1.1.7",
  MultiframeByteSC: "1.2.840.10008.5.1.4.1.1.7.2",
  MultiframeWordSC: "1.2.840.10008.5.1.4.1.1.7.3",
  ComprehensiveSR: "1.2.840.10008.5.1.4.1.1.88.33",
  EnhancedCT: "1.2.840.10008.5.1.4.1.1.2.1",
} as const;

export interface StudyOptions {
  seed: number;
  /** Patients, one study each (default 1). */
  patients?: number;
  /** Image (or SR) series per study (default 2). */
  seriesPerStudy?: number;
  /** Instances per series (default 3). */
  instancesPerSeries?: number;
  rows?: number; // default 32
  columns?: number; // default 32
  modality?: Modality; // default "CT"
  transferSyntax?: TransferSyntaxName; // default "explicit"
  /**
   * false: write a bare data set, no 128-byte preamble, no "DICM", no file meta (an old-style
   * "DICOM stream"; dcmjs's readFile refuses it, dcmdump reads it). Not with "encapsulated".
   */
  preamble?: boolean;
  charset?: Charset;
  /** Frames per image (default 1); > 1 uses the multi-frame SOP classes. */
  frames?: number;
  /** Add one Comprehensive SR per study that references its images (default false). */
  includeSr?: boolean;
  /** Prefix of every file name, to keep the names of several generated studies apart. */
  namePrefix?: string;
}

export interface FileInfo {
  patient: number;
  series: number;
  instance: number;
  modality: Modality;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid?: string;
  /** Transfer syntax of the data set (also for files without file meta). */
  transferSyntaxUid: string;
  charset?: Charset;
  preamble: boolean;
  frames: number;
  rows?: number;
  columns?: number;
  burnedInAnnotation?: "YES" | "NO";
  /** SOP Instance UIDs this file references (ReferencedImageSequence, SR evidence/IMAGE items). */
  references: string[];
}

export interface GeneratedFile {
  name: string;
  bytes: Buffer;
  info: FileInfo;
}

export interface GeneratedStudy {
  files: GeneratedFile[];
  planted: PlantedValue[];
}

// ---------------------------------------------------------------------------------------------
// seeded randomness and unique fake values

/** mulberry32: small, fast, good enough for test data, identical on every platform. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (Math.floor(seed) ^ 0x5eed1234) >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)] as T;
  }
}

const CODE_ALPHABET = Array.from("23456789BCDFGHJKLMNPQRSTVWXZ"); // no vowels: never a word
const GREEK = ["ALPHA", "BETA", "GAMMA", "DELTA", "EPSILON", "ZETA", "THETA", "KAPPA", "SIGMA"];
const GREEK_LATIN1 = ["ÅLPHA", "BÉTA", "GÄMMA", "DÉLTA", "ËPSILON", "ZÊTA", "THÉTA", "KÄPPA"];
const JA_FAMILY: readonly [string, string][] = [
  ["偽山", "にせやま"],
  ["偽川", "にせかわ"],
  ["偽田", "にせだ"],
  ["偽野", "にせの"],
  ["偽森", "にせもり"],
  ["偽島", "にせじま"],
];
const JA_GIVEN: readonly [string, string][] = [
  ["偽太郎", "にせたろう"],
  ["偽花子", "にせはなこ"],
  ["偽次郎", "にせじろう"],
  ["偽美子", "にせよしこ"],
  ["偽一郎", "にせいちろう"],
];

/** State shared by everything generated from one seed: randomness and the planted values. */
class Context {
  readonly rng: Rng;
  private readonly planted = new Map<string, PlantedValue>();
  private readonly used = new Set<string>();

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  private unique(make: () => string): string {
    for (;;) {
      const v = make();
      if (!this.used.has(v)) {
        this.used.add(v);
        return v;
      }
    }
  }

  code(len = 4): string {
    return this.unique(() => {
      let s = "";
      for (let i = 0; i < len; i++) s += this.rng.pick(CODE_ALPHABET);
      return s;
    });
  }

  /** YYYYMMDD in 1901-1909, day 13-28 (so MM/DD and DD/MM never read alike). */
  date(): string {
    return this.unique(() => {
      const y = 1901 + this.rng.int(9);
      const m = 1 + this.rng.int(12);
      const d = 13 + this.rng.int(16);
      return `${y}${String(m).padStart(2, "0")}${String(d).padStart(2, "0")}`;
    });
  }

  /** HHMMSS.FFFFFF */
  time(): string {
    return this.unique(() => {
      const p = (n: number) => String(n).padStart(2, "0");
      const frac = String(100000 + this.rng.int(900000));
      return `${p(this.rng.int(24))}${p(this.rng.int(60))}${p(this.rng.int(60))}.${frac}`;
    });
  }

  /** 2.25.<36 digits>, never containing "190" (so that no planted date can hide in a UID). */
  uid(): string {
    return this.unique(() => {
      let d = String(1 + this.rng.int(9));
      while (d.length < 36) {
        const c = String(this.rng.int(10));
        if (c === "0" && d.endsWith("19")) continue;
        d += c;
      }
      return `2.25.${d}`;
    });
  }

  plant(value: string, where: string, kind: PlantedKind): void {
    const key = `${value}\u0000${where}`;
    if (!this.planted.has(key)) {
      this.planted.set(key, { value, where, variants: deriveVariants(value, kind), kind });
    }
  }

  plantedValues(): PlantedValue[] {
    return [...this.planted.values()];
  }
}

type NameStyle = "ascii" | "latin1" | "ja";

function nameStyle(charset: Charset | undefined): NameStyle {
  if (charset === "ISO_IR 100") return "latin1";
  if (charset === "ISO_IR 192") return "ja"; // Latin-1 letters plus Japanese groups, in UTF-8
  if (charset === "ISO 2022 IR 87") return "ja";
  return "ascii";
}

/**
 * A fake person name for `role` (PAT, REF, ...). `full` adds middle name, prefix and suffix;
 * `groups` adds ideographic and phonetic groups where the character set has them.
 */
function fakeName(
  ctx: Context,
  role: string,
  charset: Charset | undefined,
  opts: { full?: boolean; groups?: boolean } = {},
): string {
  const style = nameStyle(charset);
  const accented = style === "latin1" || charset === "ISO_IR 192";
  const family = `${accented ? "ZZFAKÉ" : "ZZFAKE"}${role}${ctx.code()}`;
  const given = `${ctx.rng.pick(accented ? GREEK_LATIN1 : GREEK)}${ctx.code()}`;
  let alpha = `${family}^${given}`;
  if (opts.full) alpha += `^Q${ctx.code(3)}^DR^IV`;
  if (style !== "ja" || !opts.groups) return alpha;
  const [kf, pf] = ctx.rng.pick(JA_FAMILY);
  const [kg, pg] = ctx.rng.pick(JA_GIVEN);
  return `${alpha}=${kf}^${kg}=${pf}^${pg}`;
}

// ---------------------------------------------------------------------------------------------
// data set building

function tagLabel(tag: string): string {
  return `(${tag.slice(0, 4)},${tag.slice(4)})`;
}

/**
 * Per-file text encoding. dcmjs always writes strings as UTF-8, so for Latin-1 and ISO 2022
 * values a placeholder of the same byte length is written and replaced by the real bytes after.
 */
class FileEncoding {
  readonly patches = new Map<string, { placeholder: string; bytes: Buffer }>();
  constructor(readonly charset: Charset | undefined) {}

  text(value: string): string {
    if (isAscii(value) || this.charset === "ISO_IR 192") return value;
    if (this.charset === undefined) throw new Error(`non-ASCII value without a charset: ${value}`);
    const known = this.patches.get(value);
    if (known) return known.placeholder;
    // Each "=" separated part (PN component group) gets its own placeholder part, so that dcmjs's
    // per-group length checks see the real byte lengths. "=" is ASCII: ISO 2022 returns to ASCII
    // before it, so the parts' encodings joined by "=" are the encoding of the whole value.
    const encode = (s: string) =>
      this.charset === "ISO_IR 100" ? encodeLatin1(s) : encodeIso2022Jp(s);
    const parts = value.split("=").map((part) => {
      const b = encode(part);
      if (!b) throw new Error(`${value} cannot be encoded in ${this.charset}`);
      return b;
    });
    const bytes = Buffer.concat(parts.flatMap((b, i) => (i ? [Buffer.from("="), b] : [b])));
    const head = `~${this.patches.size.toString(36)}~`;
    let headDone = false;
    const placeholder = parts
      .map((b) => {
        if (headDone || b.length < head.length + 1) return "~".repeat(b.length);
        headDone = true;
        return head.padEnd(b.length, "~");
      })
      .join("=");
    if (!headDone) throw new Error(`value too short to patch: ${value}`);
    this.patches.set(value, { placeholder, bytes });
    return placeholder;
  }

  apply(buf: Buffer): Buffer {
    for (const { placeholder, bytes } of this.patches.values()) {
      const needle = Buffer.from(placeholder, "latin1");
      let at = buf.indexOf(needle);
      if (at < 0) throw new Error(`placeholder ${placeholder} not written`);
      while (at >= 0) {
        bytes.copy(buf, at);
        at = buf.indexOf(needle, at + needle.length);
      }
    }
    return buf;
  }
}

/** A data set (or sequence item) under construction; PHI put in it is recorded as planted. */
class DS {
  readonly d: DcmjsDataset = {};
  constructor(
    private readonly ctx: Context,
    private readonly enc: FileEncoding,
    private readonly path = "",
  ) {}

  set(tag: string, vr: string, ...values: unknown[]): this {
    this.d[tag] = { vr, Value: values };
    return this;
  }

  /** String values that are PHI: planted under `name (gggg,eeee)`. */
  phi(tag: string, name: string, vr: string, kind: PlantedKind, ...values: string[]): this {
    const where = `${this.path}${name} ${tagLabel(tag)}`;
    for (const v of values) this.ctx.plant(v, where, kind);
    this.d[tag] = { vr, Value: values.map((v) => this.enc.text(v)) };
    return this;
  }

  /** Bytes (OB/OW/UN) holding the ASCII `marker`, planted as binary. */
  phiBytes(tag: string, name: string, vr: string, bytes: Buffer, markers: string[]): this {
    const where = `${this.path}${name} ${tagLabel(tag)}`;
    for (const m of markers) this.ctx.plant(m, where, "binary");
    this.d[tag] = { vr, Value: [toAB(bytes)] };
    return this;
  }

  bytes(tag: string, vr: string, bytes: Buffer): this {
    this.d[tag] = { vr, Value: [toAB(bytes)] };
    return this;
  }

  sq(tag: string, name: string, ...items: ((item: DS) => void)[]): this {
    const itemPath = `${this.path}${name} ${tagLabel(tag)} > `;
    this.d[tag] = {
      vr: "SQ",
      Value: items.map((fill) => {
        const item = new DS(this.ctx, this.enc, itemPath);
        fill(item);
        return item.d;
      }),
    };
    return this;
  }
}

function toAB(b: Buffer): ArrayBuffer {
  const out = new ArrayBuffer(b.length);
  new Uint8Array(out).set(b);
  return out;
}

/** `marker` repeated (with a separator) to exactly `len` bytes; len >= marker length. */
function markerBytes(marker: string, len: number): Buffer {
  const unit = `${marker}|`;
  const s = unit.repeat(Math.ceil(len / unit.length)).slice(0, len);
  return Buffer.from(s, "latin1");
}

// ---------------------------------------------------------------------------------------------
// the plan: who, which study, which series

interface Patient {
  index: number;
  name: string;
  id: string;
  birthDate: string;
  charset: Charset | undefined;
  fields: {
    issuer: string;
    otherId: string;
    otherIdSeq: string;
    otherIdSeqIssuer: string;
    otherName: string;
    birthName: string;
    motherName: string;
    responsible: string;
    birthTime: string;
    age: string;
    address: string;
    phone: string;
    telecom: string;
    ethnic: string;
    rank: string;
    branch: string;
    mrl: string;
    comments: string;
    history: string;
    occupation: string;
    religion: string;
    alerts: string;
    allergies: string;
    country: string;
    region: string;
  };
}

function makePatient(ctx: Context, index: number, charset: Charset | undefined): Patient {
  const c = () => ctx.code();
  const latin = charset === "ISO_IR 100" || charset === "ISO_IR 192";
  const ja = charset === "ISO_IR 192" || charset === "ISO 2022 IR 87";
  return {
    index,
    charset,
    name: fakeName(ctx, "PAT", charset, { full: true, groups: true }),
    id: `ZZFAKE-MRN-${c()}`,
    birthDate: ctx.date(),
    fields: {
      issuer: `ZZFAKE-ISSUER-${c()}`,
      otherId: `ZZFAKE-OPID-${c()}`,
      otherIdSeq: `ZZFAKE-OPIDSQ-${c()}`,
      otherIdSeqIssuer: `ZZFAKE-OPISS-${c()}`,
      otherName: fakeName(ctx, "OTH", charset),
      birthName: fakeName(ctx, "BRN", charset),
      motherName: fakeName(ctx, "MOM", charset),
      responsible: fakeName(ctx, "RSP", charset),
      birthTime: ctx.time(),
      age: `09${ctx.rng.int(10)}Y`,
      address: latin
        ? `ZZFAKE Straße 99-${c()}, Zürich-Nowhere`
        : `ZZFAKE Street 99-${c()}, Nowhere City`,
      phone: `ZZ555-0100-${c()}`,
      telecom: `zzfake-${c().toLowerCase()}@example.invalid`,
      ethnic: `ZZETHNIC-${c()}`,
      rank: `ZZFAKE-RANK-${c()}`,
      branch: `ZZFAKE-BRANCH-${c()}`,
      mrl: `ZZFAKE-MRL-${c()}`,
      comments: ja
        ? `ZZFAKE patient comment ${c()}: 偽のコメント`
        : `ZZFAKE patient comment ${c()}`,
      history: `ZZFAKE additional history ${c()}`,
      occupation: `ZZOCCUP-${c()}`,
      religion: `ZZFAKE-RELIGION-${c()}`,
      alerts: `ZZFAKE-ALERT-${c()}`,
      allergies: `ZZFAKE-ALLERGY-${c()}`,
      country: `ZZFAKELAND-${c()}`,
      region: `ZZFAKE-REGION-${c()}`,
    },
  };
}

interface Study {
  uid: string;
  frameOfReferenceUid: string;
  ppsUid: string;
  accession: string;
  studyId: string;
  date: string;
  time: string;
  creationDate: string;
  creationTime: string;
  ppsDate: string;
  ppsTime: string;
  text: Record<string, string>;
  names: Record<string, string>;
}

function makeStudy(ctx: Context, charset: Charset | undefined): Study {
  const c = () => ctx.code();
  const ja = charset === "ISO_IR 192" || charset === "ISO 2022 IR 87";
  const latin = charset === "ISO_IR 100" || charset === "ISO_IR 192";
  return {
    uid: ctx.uid(),
    frameOfReferenceUid: ctx.uid(),
    ppsUid: ctx.uid(),
    accession: `ZZACC-${ctx.code(6)}`,
    studyId: `ZZSTID-${ctx.code(6)}`,
    date: ctx.date(),
    time: ctx.time(),
    creationDate: ctx.date(),
    creationTime: ctx.time(),
    ppsDate: ctx.date(),
    ppsTime: ctx.time(),
    names: {
      referring: fakeName(ctx, "REF", charset, { groups: true }),
      record: fakeName(ctx, "REC", charset),
      reading: fakeName(ctx, "READ", charset),
      requesting: fakeName(ctx, "REQ", charset),
      deep: fakeName(ctx, "DEEP", charset),
      inText: fakeName(ctx, "TXT", undefined),
    },
    text: {
      studyDescription: `ZZFAKE study description ${c()}`,
      referrerAddress: `ZZFAKE Referrer Road 12-${c()}, Nowhere City`,
      referrerPhone: `ZZ555-0101-${c()}`,
      referrerClinic: `ZZFAKE Referrer Clinic ${c()}`,
      referrerNpi: `ZZNPI${ctx.code(6)}`,
      referrerIdMeaning: `ZZFAKE referrer identifier ${c()}`,
      readerNpi: `ZZNPI${ctx.code(6)}`,
      readerIdMeaning: `ZZFAKE reader identifier ${c()}`,
      requestingService: `ZZFAKE-REQSERVICE-${c()}`,
      institution: ja
        ? `ZZFAKE 偽総合病院 ${c()}`
        : latin
          ? `ZZFAKE Hôpital Général ${c()}`
          : `ZZFAKE General Hospital ${c()}`,
      institutionAddress: `ZZFAKE Hospital Lane 7-${c()}, Nowhere City`,
      department: `ZZFAKE-DEPT-${c()}`,
      admittingDiagnoses: `ZZFAKE admitting diagnosis ${c()}`,
      requestedProcedure: `ZZFAKE requested procedure ${c()}`,
      ppsId: `ZZPPSID-${ctx.code(6)}`,
      ppsDescription: `ZZFAKE performed step ${c()}`,
      requestedProcedureId: `ZZRPID-${ctx.code(6)}`,
      spsId: `ZZSPSID-${ctx.code(6)}`,
      spsDescription: `ZZFAKE scheduled step ${c()}`,
      reason: `ZZFAKE reason for request ${c()}`,
      nestedNote: `ZZFAKE nested note ${c()}`,
      protocolCode: `ZZFAKE protocol code ${c()}`,
      deepText: `ZZFAKE deep text ${c()}`,
      placer: `ZZFAKE-PLACER-${c()}`,
      filler: `ZZFAKE-FILLER-${c()}`,
      admission: `ZZFAKE-ADMISSION-${c()}`,
      privateLo: `ZZFAKE private LO ${c()}`,
      privateNested: `ZZFAKE private nested ${c()}`,
      csa: `ZZFAKE-CSA-${c()}`,
      orphanLo: `ZZFAKE orphan private ${c()}`,
      orphanUn: `ZZFAKE-ORPHAN-UN-${c()}`,
      trailer: `ZZFAKE after pixels ${c()}`,
    },
  };
}

interface Series {
  index: number;
  uid: string;
  number: number;
  date: string;
  time: string;
  acqDate: string;
  acqTime: string;
  contentDate: string;
  contentTime: string;
  acqDateTime: string;
  text: Record<string, string>;
  performing: string;
  operators: [string, string];
}

function makeSeries(ctx: Context, index: number, charset: Charset | undefined): Series {
  const c = () => ctx.code();
  return {
    index,
    uid: ctx.uid(),
    number: index,
    date: ctx.date(),
    time: ctx.time(),
    acqDate: ctx.date(),
    acqTime: ctx.time(),
    contentDate: ctx.date(),
    contentTime: ctx.time(),
    acqDateTime: `${ctx.date()}${ctx.time()}`,
    performing: fakeName(ctx, "PERF", charset),
    operators: [fakeName(ctx, "OPA", charset), fakeName(ctx, "OPB", charset)],
    text: {
      description: `ZZFAKE series description ${c()}`,
      protocol: `ZZFAKE protocol ${c()}`,
      station: `ZZSTN-${ctx.code(6)}`,
      serial: `ZZFAKE-SN-${c()}`,
      detector: `ZZDET-${ctx.code(6)}`,
      performingNpi: `ZZNPI${ctx.code(6)}`,
      operatorNpiA: `ZZNPI${ctx.code(6)}`,
      operatorNpiB: `ZZNPI${ctx.code(6)}`,
      overlayDescription: `ZZFAKE overlay description ${c()}`,
      overlayLabel: `ZZFAKE-OVL-LABEL-${c()}`,
      overlayComments: `ZZFAKE overlay comment ${c()}`,
      overlayData: `ZZFAKE-OVLDATA-${c()}`,
      overlay2Description: `ZZFAKE second overlay ${c()}`,
      curveDescription: `ZZFAKE curve description ${c()}`,
      curveLabel: `ZZFAKE-CURVE-LABEL-${c()}`,
      curveData: `ZZFAKE-CURVEDATA-${c()}`,
    },
  };
}

interface InstanceRef {
  sopClassUid: string;
  sopInstanceUid: string;
  seriesUid: string;
}

interface ImageGeometry {
  rows: number;
  columns: number;
  frames: number;
}

interface BuildOptions {
  modality: Modality;
  syntax: string; // transfer syntax UID of the data set
  charset: Charset | undefined;
  geometry: ImageGeometry;
  burnedIn: "YES" | "NO" | undefined;
  /** Overlay data as OB (for big endian files: the ASCII marker survives unswapped). */
  overlayAsOB?: boolean;
}

interface InstancePlan {
  patient: Patient;
  study: Study;
  series: Series;
  instance: number;
  sopClassUid: string;
  sopInstanceUid: string;
  /** Instances referenced by ReferencedImageSequence (images) or the SR. */
  refs: InstanceRef[];
  /** Fixed-width texts (generateCtSeries patches them per slice in one header template). */
  fixed?: { instanceNumber: string; z: string; imageComment: string };
}

function sopClassFor(modality: Modality, frames: number): string {
  switch (modality) {
    case "CT":
      return frames > 1 ? SOP_CLASS.MultiframeWordSC : SOP_CLASS.CT;
    case "MR":
      return frames > 1 ? SOP_CLASS.MultiframeWordSC : SOP_CLASS.MR;
    case "US":
      return frames > 1 ? SOP_CLASS.USMultiframe : SOP_CLASS.US;
    case "SC":
      return frames > 1 ? SOP_CLASS.MultiframeByteSC : SOP_CLASS.SC;
    case "SR":
      return SOP_CLASS.ComprehensiveSR;
  }
}

const PRIVATE_CREATOR = "IMGSEC SYNTHETIC 1.0";
const PRIVATE_CREATOR_CSA = "IMGSEC SYNTHETIC CSA";
const PRIVATE_CREATOR_TRAILER = "IMGSEC SYNTHETIC TRAILER";

function code(item: DS, value: string, scheme: string, meaning: string): void {
  item.set("00080100", "SH", value).set("00080102", "SH", scheme).set("00080104", "LO", meaning);
}

// Groups of PHI attributes that every object has (also the per-IOD objects' modules: iods/).

/** The patient's name, ID and issuer, birth date and time (PHI), and sex "O". */
export function patientIdentity(ds: DS, pt: Patient): void {
  ds.phi("00100010", "PatientName", "PN", "name", pt.name);
  ds.phi("00100020", "PatientID", "LO", "id", pt.id);
  ds.phi("00100021", "IssuerOfPatientID", "LO", "id", pt.fields.issuer);
  ds.phi("00100030", "PatientBirthDate", "DA", "date", pt.birthDate);
  ds.phi("00100032", "PatientBirthTime", "TM", "time", pt.fields.birthTime);
  ds.set("00100040", "CS", "O");
}

/** OtherPatientIDsSequence: one item with another ID of the patient and its issuer. */
export function otherPatientIdsSequence(ds: DS, pt: Patient): void {
  ds.sq("00101002", "OtherPatientIDsSequence", (i) => {
    i.phi("00100020", "PatientID", "LO", "id", pt.fields.otherIdSeq);
    i.phi("00100021", "IssuerOfPatientID", "LO", "id", pt.fields.otherIdSeqIssuer);
    i.set("00100022", "CS", "TEXT");
  });
}

/** ReferringPhysicianIdentificationSequence: the referrer's clinic and NPI code (PHI). */
export function referringPhysicianIdentification(ds: DS, st: Study): void {
  const t = st.text;
  ds.sq("00080096", "ReferringPhysicianIdentificationSequence", (i) => {
    i.phi("00080080", "InstitutionName", "LO", "text", t.referrerClinic);
    i.sq("00401101", "PersonIdentificationCodeSequence", (c) => {
      c.phi("00080100", "CodeValue", "SH", "id", t.referrerNpi);
      c.set("00080102", "SH", "99ZZNPI");
      c.phi("00080104", "CodeMeaning", "LO", "text", t.referrerIdMeaning);
    });
  });
}

/** The performed procedure step's start date and time, ID and description (PHI). */
export function performedProcedureStep(ds: DS, st: Study): void {
  ds.phi("00400244", "PerformedProcedureStepStartDate", "DA", "date", st.ppsDate);
  ds.phi("00400245", "PerformedProcedureStepStartTime", "TM", "time", st.ppsTime);
  ds.phi("00400253", "PerformedProcedureStepID", "SH", "id", st.text.ppsId);
  ds.phi("00400254", "PerformedProcedureStepDescription", "LO", "text", st.text.ppsDescription);
}

/** Everything but pixel data and the trailer: patient, study, series, PHI in all its hideouts. */
function buildHeader(ctx: Context, enc: FileEncoding, plan: InstancePlan, o: BuildOptions): DS {
  const { patient: pt, study: st, series: se } = plan;
  const pf = pt.fields;
  const t = st.text;
  const ds = new DS(ctx, enc);
  const image = o.modality !== "SR";

  if (o.charset === "ISO 2022 IR 87") ds.set("00080005", "CS", "", "ISO 2022 IR 87");
  else if (o.charset) ds.set("00080005", "CS", o.charset);

  // --- SOP common, general study/series/equipment ---
  ds.set("00080016", "UI", plan.sopClassUid).set("00080018", "UI", plan.sopInstanceUid);
  ds.phi("00080012", "InstanceCreationDate", "DA", "date", st.creationDate);
  ds.phi("00080013", "InstanceCreationTime", "TM", "time", st.creationTime);
  ds.phi("00080020", "StudyDate", "DA", "date", st.date);
  ds.phi("00080030", "StudyTime", "TM", "time", st.time);
  ds.phi("00080021", "SeriesDate", "DA", "date", se.date);
  ds.phi("00080031", "SeriesTime", "TM", "time", se.time);
  ds.phi("00080023", "ContentDate", "DA", "date", se.contentDate);
  ds.phi("00080033", "ContentTime", "TM", "time", se.contentTime);
  if (image) {
    ds.set("00080008", "CS", "ORIGINAL", "PRIMARY", "AXIAL");
    ds.phi("00080022", "AcquisitionDate", "DA", "date", se.acqDate);
    ds.phi("00080032", "AcquisitionTime", "TM", "time", se.acqTime);
    ds.phi("0008002A", "AcquisitionDateTime", "DT", "datetime", se.acqDateTime);
  }
  ds.phi("00080050", "AccessionNumber", "SH", "id", st.accession);
  ds.set("00080060", "CS", o.modality);
  ds.set("00080070", "LO", "IMGSEC SYNTHETIC MODALITY");
  ds.phi("00080080", "InstitutionName", "LO", "text", t.institution);
  ds.phi("00080081", "InstitutionAddress", "ST", "text", t.institutionAddress);
  ds.phi("00080090", "ReferringPhysicianName", "PN", "name", st.names.referring);
  ds.phi("00080092", "ReferringPhysicianAddress", "ST", "text", t.referrerAddress);
  ds.phi("00080094", "ReferringPhysicianTelephoneNumbers", "SH", "id", t.referrerPhone);
  referringPhysicianIdentification(ds, st);
  ds.phi("00081010", "StationName", "SH", "id", se.text.station);
  ds.phi("00081030", "StudyDescription", "LO", "text", t.studyDescription);
  ds.phi("0008103E", "SeriesDescription", "LO", "text", se.text.description);
  ds.phi("00081040", "InstitutionalDepartmentName", "LO", "text", t.department);
  ds.phi("00081048", "PhysiciansOfRecord", "PN", "name", st.names.record);
  ds.phi("00081050", "PerformingPhysicianName", "PN", "name", se.performing);
  ds.sq("00081052", "PerformingPhysicianIdentificationSequence", (i) => {
    i.sq("00401101", "PersonIdentificationCodeSequence", (c) => {
      c.phi("00080100", "CodeValue", "SH", "id", se.text.performingNpi);
      c.set("00080102", "SH", "99ZZNPI").set("00080104", "LO", "Performing physician");
    });
  });
  ds.phi("00081060", "NameOfPhysiciansReadingStudy", "PN", "name", st.names.reading);
  ds.sq("00081062", "PhysiciansReadingStudyIdentificationSequence", (i) => {
    i.sq("00401101", "PersonIdentificationCodeSequence", (c) => {
      c.phi("00080100", "CodeValue", "SH", "id", t.readerNpi);
      c.set("00080102", "SH", "99ZZNPI");
      c.phi("00080104", "CodeMeaning", "LO", "text", t.readerIdMeaning);
    });
  });
  ds.phi("00081070", "OperatorsName", "PN", "name", ...se.operators);
  ds.sq(
    "00081072",
    "OperatorIdentificationSequence",
    ...[se.text.operatorNpiA, se.text.operatorNpiB].map((npi) => (i: DS) => {
      i.sq("00401101", "PersonIdentificationCodeSequence", (c) => {
        c.phi("00080100", "CodeValue", "SH", "id", npi);
        c.set("00080102", "SH", "99ZZNPI").set("00080104", "LO", "Operator");
      });
    }),
  );
  ds.phi("00081080", "AdmittingDiagnosesDescription", "LO", "text", t.admittingDiagnoses);
  ds.sq("00081111", "ReferencedPerformedProcedureStepSequence", (i) => {
    i.set("00081150", "UI", "1.2.840.10008.3.1.2.3.3").set("00081155", "UI", st.ppsUid);
  });
  if (image && plan.refs.length > 0) {
    ds.sq(
      "00081140",
      "ReferencedImageSequence",
      ...plan.refs.map((r) => (i: DS) => {
        i.set("00081150", "UI", r.sopClassUid).set("00081155", "UI", r.sopInstanceUid);
      }),
    );
  }

  // --- patient ---
  patientIdentity(ds, pt);
  ds.phi("00101000", "OtherPatientIDs", "LO", "id", pf.otherId);
  ds.phi("00101001", "OtherPatientNames", "PN", "name", pf.otherName);
  otherPatientIdsSequence(ds, pt);
  ds.phi("00101005", "PatientBirthName", "PN", "name", pf.birthName);
  ds.phi("00101010", "PatientAge", "AS", "id", pf.age);
  ds.phi("00101040", "PatientAddress", "LO", "text", pf.address);
  ds.phi("00101060", "PatientMotherBirthName", "PN", "name", pf.motherName);
  ds.phi("00101080", "MilitaryRank", "LO", "text", pf.rank);
  ds.phi("00101081", "BranchOfService", "LO", "text", pf.branch);
  ds.phi("00101090", "MedicalRecordLocator", "LO", "id", pf.mrl);
  ds.phi("00102000", "MedicalAlerts", "LO", "text", pf.alerts);
  ds.phi("00102110", "Allergies", "LO", "text", pf.allergies);
  ds.phi("00102150", "CountryOfResidence", "LO", "text", pf.country);
  ds.phi("00102152", "RegionOfResidence", "LO", "text", pf.region);
  ds.phi("00102154", "PatientTelephoneNumbers", "SH", "id", pf.phone);
  ds.phi("00102155", "PatientTelecomInformation", "LT", "id", pf.telecom);
  ds.phi("00102160", "EthnicGroup", "SH", "text", pf.ethnic);
  ds.phi("00102180", "Occupation", "SH", "text", pf.occupation);
  ds.phi("001021B0", "AdditionalPatientHistory", "LT", "text", pf.history);
  ds.phi("001021F0", "PatientReligiousPreference", "LO", "text", pf.religion);
  ds.phi("00102297", "ResponsiblePerson", "PN", "name", pf.responsible);
  ds.phi("00104000", "PatientComments", "LT", "text", pf.comments);

  // --- equipment, acquisition ---
  ds.phi("00181000", "DeviceSerialNumber", "LO", "id", se.text.serial);
  ds.set("00181020", "LO", "IMGSEC-SYNTH-1.0");
  ds.phi("00181030", "ProtocolName", "LO", "text", se.text.protocol);
  if (image) ds.phi("0018700A", "DetectorID", "SH", "id", se.text.detector);

  // --- identifiers ---
  ds.set("0020000D", "UI", st.uid).set("0020000E", "UI", se.uid);
  ds.phi("00200010", "StudyID", "SH", "id", st.studyId);
  ds.set("00200011", "IS", se.number);
  ds.set("00200013", "IS", plan.fixed?.instanceNumber ?? plan.instance);
  if (image) {
    ds.set("00200052", "UI", st.frameOfReferenceUid).set("00201040", "LO", "");
    const comment = plan.fixed?.imageComment ?? `ZZFAKE image comment ${ctx.code()}`;
    ds.phi("00204000", "ImageComments", "LT", "text", comment);
  }

  // --- imaging service request, nested sequences 3-4 levels deep ---
  ds.phi("00321032", "RequestingPhysician", "PN", "name", st.names.requesting);
  ds.phi("00321033", "RequestingService", "LO", "text", t.requestingService);
  ds.phi("00321060", "RequestedProcedureDescription", "LO", "text", t.requestedProcedure);
  ds.phi("00380010", "AdmissionID", "LO", "id", t.admission);
  performedProcedureStep(ds, st);
  ds.sq("00400275", "RequestAttributesSequence", (ra) => {
    ra.phi("00080050", "AccessionNumber", "SH", "id", st.accession);
    ra.sq("00081110", "ReferencedStudySequence", (rs) => {
      rs.set("00081150", "UI", "1.2.840.10008.3.1.2.3.1").set("00081155", "UI", st.uid);
      rs.sq("0040A043", "ConceptNameCodeSequence", (cn) => {
        cn.set("00080100", "SH", "ZZ0001").set("00080102", "SH", "99ZZFAKE");
        cn.phi("00080104", "CodeMeaning", "LO", "text", t.nestedNote);
      });
    });
    ra.phi("00400007", "ScheduledProcedureStepDescription", "LO", "text", t.spsDescription);
    ra.sq("00400008", "ScheduledProtocolCodeSequence", (sp) => {
      sp.set("00080100", "SH", "ZZ0002").set("00080102", "SH", "99ZZFAKE");
      sp.phi("00080104", "CodeMeaning", "LO", "text", t.protocolCode);
      sp.sq("00400440", "ProtocolContextSequence", (pc) => {
        pc.set("0040A040", "CS", "TEXT");
        pc.sq("0040A043", "ConceptNameCodeSequence", (cn) => code(cn, "121106", "DCM", "Comment"));
        pc.phi("0040A160", "TextValue", "UT", "text", t.deepText);
        pc.sq("00400441", "ContentItemModifierSequence", (m) => {
          m.set("0040A040", "CS", "PNAME");
          m.sq("0040A043", "ConceptNameCodeSequence", (cn) =>
            code(cn, "ZZ0003", "99ZZFAKE", "Person mentioned"),
          );
          m.phi("0040A123", "PersonName", "PN", "name", st.names.deep);
        });
      });
    });
    ra.phi("00400009", "ScheduledProcedureStepID", "SH", "id", t.spsId);
    ra.phi("00401001", "RequestedProcedureID", "SH", "id", t.requestedProcedureId);
    ra.phi("00401002", "ReasonForTheRequestedProcedure", "LO", "text", t.reason);
  });
  ds.phi("00402016", "PlacerOrderNumberImagingServiceRequest", "LO", "id", t.placer);
  ds.phi("00402017", "FillerOrderNumberImagingServiceRequest", "LO", "id", t.filler);

  // --- private elements: with a creator, nested, a vendor blob, and orphans without a creator ---
  const priv = `private [${PRIVATE_CREATOR}]`;
  ds.set("00090010", "LO", PRIVATE_CREATOR);
  ds.phi("00091010", `${priv} LO`, "LO", "text", t.privateLo);
  ds.phi("00091011", `${priv} PN`, "PN", "name", pt.name);
  ds.sq("00091012", `${priv} SQ`, (i) => {
    i.phi("00100010", "PatientName", "PN", "name", pt.name);
    i.phi("00100020", "PatientID", "LO", "id", pt.id);
    i.set("00090010", "LO", PRIVATE_CREATOR);
    i.phi("00091013", `${priv} LO`, "LO", "text", t.privateNested);
  });
  ds.phi("00091014", `${priv} DA`, "DA", "date", pt.birthDate);
  ds.set("00290010", "LO", PRIVATE_CREATOR_CSA);
  const alphaName = pt.name.split("=")[0] ?? pt.name;
  const csaAscii = isAscii(alphaName);
  const blob = Buffer.concat([
    Buffer.from([0x53, 0x56, 0x31, 0x30, 0x04, 0x03, 0x02, 0x01]), // "SV10" + binary
    Buffer.from(
      `${csaAscii ? `PatientName=${alphaName}\u0000` : ""}PatientID=${pt.id}\u0000Note=${t.csa}\u0000`,
      "latin1",
    ),
  ]);
  const csaBlob = blob.length % 2 ? Buffer.concat([blob, Buffer.from([0])]) : blob;
  ds.phiBytes(
    "00291010",
    `private [${PRIVATE_CREATOR_CSA}] OB blob`,
    "OB",
    csaBlob,
    csaAscii ? [alphaName, pt.id, t.csa] : [pt.id, t.csa],
  );
  ds.phi("00111010", "orphan private (no creator) LO", "LO", "text", t.orphanLo);
  ds.phiBytes(
    "00111011",
    "orphan private (no creator) UN",
    "UN",
    markerBytes(t.orphanUn, t.orphanUn.length + (t.orphanUn.length % 2)),
    [t.orphanUn],
  );

  if (image) addImagePixelModule(ds, plan, o);
  else addSrDocument(ctx, ds, plan, o.charset);
  return ds;
}

function addImagePixelModule(ds: DS, plan: InstancePlan, o: BuildOptions): void {
  const { rows, columns, frames } = o.geometry;
  const se = plan.series;
  const encapsulated = o.syntax === TS.jpegBaseline;
  const rgb = o.modality === "US";
  const bits = encapsulated || o.modality === "US" || o.modality === "SC" ? 8 : 16;
  const samples = rgb ? 3 : 1;
  ds.set("00280002", "US", samples);
  ds.set("00280004", "CS", rgb ? (encapsulated ? "YBR_FULL_422" : "RGB") : "MONOCHROME2");
  if (rgb) ds.set("00280006", "US", 0);
  if (frames > 1) {
    ds.set("00280008", "IS", frames);
    ds.set("00280009", "AT", 0x00181063);
    ds.set("00181063", "DS", 40);
  }
  ds.set("00280010", "US", rows).set("00280011", "US", columns);
  ds.set("00280030", "DS", 0.5, 0.5);
  ds.set("00280100", "US", bits).set("00280101", "US", bits === 16 ? 12 : 8);
  ds.set("00280102", "US", bits === 16 ? 11 : 7).set("00280103", "US", 0);
  if (o.burnedIn) ds.set("00280301", "CS", o.burnedIn);
  if (encapsulated) {
    ds.set("00282110", "CS", "01").set("00282112", "DS", 10).set("00282114", "CS", "ISO_10918_1");
  }
  if (o.modality === "CT") {
    ds.set("00180050", "DS", 1.25).set("00180060", "DS", 120);
    ds.set("00200032", "DS", -100, -100, plan.fixed?.z ?? plan.instance * 1.25);
    ds.set("00200037", "DS", 1, 0, 0, 0, 1, 0);
    ds.set("00201041", "DS", plan.fixed?.z ?? plan.instance * 1.25);
    ds.set("00281050", "DS", 40).set("00281051", "DS", 400);
    ds.set("00281052", "DS", -1024).set("00281053", "DS", 1);
  } else if (o.modality === "MR") {
    ds.set("00180020", "CS", "SE").set("00180021", "CS", "NONE").set("00180022", "CS", "");
    ds.set("00180023", "CS", "2D").set("00180080", "DS", 500).set("00180081", "DS", 15);
    ds.set("00180087", "DS", 1.5);
    ds.set("00200032", "DS", -100, -100, plan.instance * 5);
    ds.set("00200037", "DS", 1, 0, 0, 0, 1, 0);
  } else if (o.modality === "SC") {
    ds.set("00080064", "CS", "WSD");
  }

  // overlay 6000 (full) and 6002 (full), curve 5000: PHI in text and, as a marker, in the bits
  const ovRows = 16;
  const ovCols = 64; // 128 bytes of overlay bits: room for the marker
  const ovVr = o.overlayAsOB ? "OB" : "OW";
  for (const [group, desc, withText] of [
    ["6000", se.text.overlayDescription, true],
    ["6002", se.text.overlay2Description, false],
  ] as const) {
    const g = group;
    ds.set(`${g}0010`, "US", ovRows).set(`${g}0011`, "US", ovCols);
    ds.phi(`${g}0022`, "OverlayDescription", "LO", "text", desc);
    ds.set(`${g}0040`, "CS", "G").set(`${g}0050`, "SS", 1, 1);
    ds.set(`${g}0100`, "US", 1).set(`${g}0102`, "US", 0);
    if (withText) {
      ds.phi(`${g}1500`, "OverlayLabel", "LO", "text", se.text.overlayLabel);
      ds.phiBytes(`${g}3000`, "OverlayData", ovVr, markerBytes(se.text.overlayData, 128), [
        se.text.overlayData,
      ]);
      ds.phi(`${g}4000`, "OverlayComments", "LT", "text", se.text.overlayComments);
    } else {
      ds.bytes(`${g}3000`, ovVr, Buffer.alloc((ovRows * ovCols) / 8, 0x81));
    }
  }
  ds.set("50000005", "US", 2).set("50000010", "US", 16);
  ds.set("50000020", "CS", "TAC");
  ds.phi("50000022", "CurveDescription", "LO", "text", se.text.curveDescription);
  ds.set("50000030", "SH", "DPPS", "NONE").set("50000103", "US", 0);
  ds.phi("50002500", "CurveLabel", "LO", "text", se.text.curveLabel);
  ds.phiBytes("50003000", "CurveData", "OB", markerBytes(se.text.curveData, 64), [
    se.text.curveData,
  ]);
}

/** Comprehensive SR: TEXT/PNAME/DATE/DATETIME items with PHI, ContentSequence 3 levels deep. */
function addSrDocument(ctx: Context, ds: DS, plan: InstancePlan, charset: Charset | undefined) {
  const st = plan.study;
  const ja = charset === "ISO_IR 192" || charset === "ISO 2022 IR 87";
  const observer = fakeName(ctx, "OBS", charset);
  const verifier = fakeName(ctx, "VER", charset);
  const mentioned = fakeName(ctx, "MEN", charset, { groups: true });
  const [family = "", given = ""] = st.names.inText.split("^");
  const mentionedDate = ctx.date();
  const dd = `${mentionedDate.slice(6, 8)}.${mentionedDate.slice(4, 6)}.${mentionedDate.slice(0, 4)}`;
  const finding = `ZZFAKE finding ${ctx.code()}: ${given} ${family} was seen on ${dd}.`;
  const impression = ja
    ? `ZZFAKE impression ${ctx.code()}: 偽の所見です`
    : `ZZFAKE impression ${ctx.code()}`;
  const itemDate = ctx.date();
  const itemDateTime = `${ctx.date()}${ctx.time()}`;
  const verificationDateTime = `${ctx.date()}${ctx.time()}`;
  const observationDateTime = `${ctx.date()}${ctx.time()}`;

  ds.set("0040A040", "CS", "CONTAINER");
  ds.sq("0040A043", "ConceptNameCodeSequence", (c) =>
    code(c, "18748-4", "LN", "Diagnostic Imaging Report"),
  );
  ds.set("0040A050", "CS", "SEPARATE");
  ds.set("0040A491", "CS", "COMPLETE").set("0040A493", "CS", "VERIFIED");
  ds.sq("0040A073", "VerifyingObserverSequence", (v) => {
    v.phi("0040A075", "VerifyingObserverName", "PN", "name", verifier);
    v.phi("0040A027", "VerifyingOrganization", "LO", "text", `ZZFAKE-VERIFYING-ORG-${ctx.code()}`);
    v.phi("0040A030", "VerificationDateTime", "DT", "datetime", verificationDateTime);
    v.sq("0040A088", "VerifyingObserverIdentificationCodeSequence");
  });
  ds.sq("0040A504", "ContentTemplateSequence", (c) => {
    c.set("00080105", "CS", "DCMR").set("0040DB00", "CS", "2000");
  });
  ds.sq("0040A372", "PerformedProcedureCodeSequence");
  // evidence: the referenced instances, grouped by series
  const bySeries = new Map<string, InstanceRef[]>();
  for (const r of plan.refs) bySeries.set(r.seriesUid, [...(bySeries.get(r.seriesUid) ?? []), r]);
  if (bySeries.size > 0) {
    ds.sq("0040A375", "CurrentRequestedProcedureEvidenceSequence", (ev) => {
      ev.set("0020000D", "UI", st.uid);
      ev.sq(
        "00081115",
        "ReferencedSeriesSequence",
        ...[...bySeries].map(([seriesUid, refs]) => (s: DS) => {
          s.set("0020000E", "UI", seriesUid);
          s.sq(
            "00081199",
            "ReferencedSOPSequence",
            ...refs.map((r) => (x: DS) => {
              x.set("00081150", "UI", r.sopClassUid).set("00081155", "UI", r.sopInstanceUid);
            }),
          );
        }),
      );
    });
  }
  const firstRef = plan.refs[0];
  ds.sq(
    "0040A730",
    "ContentSequence",
    (l1) => {
      l1.set("0040A010", "CS", "HAS OBS CONTEXT").set("0040A040", "CS", "PNAME");
      l1.sq("0040A043", "ConceptNameCodeSequence", (c) =>
        code(c, "121008", "DCM", "Person Observer Name"),
      );
      l1.phi("0040A123", "PersonName", "PN", "name", observer);
    },
    (l1) => {
      l1.set("0040A010", "CS", "CONTAINS").set("0040A040", "CS", "CONTAINER");
      l1.sq("0040A043", "ConceptNameCodeSequence", (c) => code(c, "121070", "DCM", "Findings"));
      l1.set("0040A050", "CS", "SEPARATE");
      l1.sq(
        "0040A730",
        "ContentSequence",
        (l2) => {
          l2.set("0040A010", "CS", "CONTAINS").set("0040A040", "CS", "TEXT");
          l2.sq("0040A043", "ConceptNameCodeSequence", (c) => code(c, "121071", "DCM", "Finding"));
          l2.phi("0040A032", "ObservationDateTime", "DT", "datetime", observationDateTime);
          l2.phi("0040A160", "TextValue", "UT", "text", finding);
          // the same text also holds a name ("Given Family") and a date (DD.MM.YYYY)
          ctx.plant(
            st.names.inText,
            "ContentSequence (0040,A730) > ContentSequence (0040,A730) > TextValue (0040,A160) [name inside free text, as 'Given Family']",
            "name",
          );
          ctx.plant(
            mentionedDate,
            "ContentSequence (0040,A730) > ContentSequence (0040,A730) > TextValue (0040,A160) [date inside free text, as DD.MM.YYYY]",
            "date",
          );
        },
        (l2) => {
          l2.set("0040A010", "CS", "CONTAINS").set("0040A040", "CS", "CONTAINER");
          l2.sq("0040A043", "ConceptNameCodeSequence", (c) =>
            code(c, "121072", "DCM", "Impressions"),
          );
          l2.set("0040A050", "CS", "SEPARATE");
          const l3items: ((x: DS) => void)[] = [
            (l3) => {
              l3.set("0040A010", "CS", "CONTAINS").set("0040A040", "CS", "TEXT");
              l3.sq("0040A043", "ConceptNameCodeSequence", (c) =>
                code(c, "121073", "DCM", "Impression"),
              );
              l3.phi("0040A160", "TextValue", "UT", "text", impression);
            },
            (l3) => {
              l3.set("0040A010", "CS", "HAS PROPERTIES").set("0040A040", "CS", "PNAME");
              l3.sq("0040A043", "ConceptNameCodeSequence", (c) =>
                code(c, "ZZ0004", "99ZZFAKE", "Person mentioned"),
              );
              l3.phi("0040A123", "PersonName", "PN", "name", mentioned);
            },
            (l3) => {
              l3.set("0040A010", "CS", "HAS PROPERTIES").set("0040A040", "CS", "DATE");
              l3.sq("0040A043", "ConceptNameCodeSequence", (c) =>
                code(c, "ZZ0005", "99ZZFAKE", "Date of event"),
              );
              l3.phi("0040A121", "Date", "DA", "date", itemDate);
            },
            (l3) => {
              l3.set("0040A010", "CS", "HAS PROPERTIES").set("0040A040", "CS", "DATETIME");
              l3.sq("0040A043", "ConceptNameCodeSequence", (c) =>
                code(c, "ZZ0006", "99ZZFAKE", "Date and time of event"),
              );
              l3.phi("0040A120", "DateTime", "DT", "datetime", itemDateTime);
            },
          ];
          if (firstRef) {
            l3items.push((l3) => {
              l3.set("0040A010", "CS", "INFERRED FROM").set("0040A040", "CS", "IMAGE");
              l3.sq("0040A043", "ConceptNameCodeSequence", (c) =>
                code(c, "121112", "DCM", "Source of Measurement"),
              );
              l3.sq("00081199", "ReferencedSOPSequence", (x) => {
                x.set("00081150", "UI", firstRef.sopClassUid);
                x.set("00081155", "UI", firstRef.sopInstanceUid);
              });
            });
          }
          l2.sq("0040A730", "ContentSequence", ...l3items);
        },
      );
    },
  );
}

/** Private elements placed after PixelData (7FE1,xxxx): parsers that stop at pixels miss them. */
function buildTrailer(ctx: Context, enc: FileEncoding, study: Study): DS {
  const ds = new DS(ctx, enc);
  ds.set("7FE10010", "LO", PRIVATE_CREATOR_TRAILER);
  ds.phi(
    "7FE11010",
    `private [${PRIVATE_CREATOR_TRAILER}] LO after PixelData`,
    "LO",
    "text",
    study.text.trailer,
  );
  return ds;
}

// ---------------------------------------------------------------------------------------------
// pixel data

type PixelKind = "u16" | "u8" | "rgb";

function pixelKind(modality: Modality): PixelKind {
  return modality === "US" ? "rgb" : modality === "SC" ? "u8" : "u16";
}

/** One uncompressed frame with a simple pattern: 16-bit < 0x1000, 8-bit >= 0x80 (never text). */
function frame(kind: PixelKind, rows: number, columns: number, k: number): Buffer {
  if (kind === "u16") {
    const a = new Uint16Array(rows * columns);
    for (let y = 0; y < rows; y++) {
      const base = y * columns;
      for (let x = 0; x < columns; x++) a[base + x] = (x * 7 + y * 3 + k * 11) & 0x0fff;
    }
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  }
  const spp = kind === "rgb" ? 3 : 1;
  const b = Buffer.alloc(rows * columns * spp);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const v = 0x80 | ((x + y + k * 3) & 0x7f);
      const at = (y * columns + x) * spp;
      for (let s = 0; s < spp; s++) b[at + s] = v ^ (s * 0x15);
    }
  }
  return b;
}

/** A JPEG-looking frame (SOI, APP0 "JFIF", filler, EOI); it does not decode. */
function fakeJpeg(len: number, k: number): Buffer {
  const head = [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1];
  const n = Math.max(len, head.length + 4) + (len % 2);
  const b = Buffer.alloc(n);
  Buffer.from(head).copy(b, 0);
  for (let i = head.length; i < n - 2; i++) b[i] = 0x80 | (i + k * 5) % 0x70;
  b[n - 2] = 0xff;
  b[n - 1] = 0xd9;
  return b;
}

function pixelValue(o: BuildOptions, instance: number): DcmjsElement {
  const { rows, columns, frames } = o.geometry;
  const kind = pixelKind(o.modality);
  if (o.syntax === TS.jpegBaseline) {
    const per = Math.max(64, Math.floor((rows * columns * (kind === "rgb" ? 3 : 1)) / 10));
    const list: ArrayBuffer[] = [];
    for (let k = 0; k < frames; k++) list.push(toAB(fakeJpeg(per, k + instance)));
    return { vr: "OB", Value: list };
  }
  const all = Buffer.concat(
    Array.from({ length: frames }, (_, k) => frame(kind, rows, columns, k + instance)),
  );
  if (kind === "u16" && o.syntax === TS.bigEndian) all.swap16();
  return { vr: kind === "u16" ? "OW" : "OB", Value: [toAB(all)] };
}

// ---------------------------------------------------------------------------------------------
// writing

function fileMeta(sopClassUid: string, sopInstanceUid: string, syntax: string): DcmjsDataset {
  return {
    "00020001": { vr: "OB", Value: [toAB(Buffer.from([0, 1]))] },
    "00020002": { vr: "UI", Value: [sopClassUid] },
    "00020003": { vr: "UI", Value: [sopInstanceUid] },
    "00020010": { vr: "UI", Value: [syntax] },
    "00020012": { vr: "UI", Value: ["2.25.31415926535897932384626433832795"] },
    "00020013": { vr: "SH", Value: ["IMGSEC_SYNTH_1"] },
  };
}

/** Part 10 file (or a bare data set) from a data set, with Latin-1/ISO 2022 bytes patched in. */
function serialize(
  dataset: DcmjsDataset,
  enc: FileEncoding,
  sopClassUid: string,
  sopInstanceUid: string,
  syntax: string,
  preamble: boolean,
): Buffer {
  let out: Buffer;
  if (!preamble) {
    out = writeBareDataset(dataset, syntax);
  } else if (syntax === TS.deflated) {
    // dcmjs writes the data set of a deflated file uncompressed (explicit VR LE): deflate it here
    const dict = new dcmjs.data.DicomDict(fileMeta(sopClassUid, sopInstanceUid, syntax));
    dict.dict = dataset;
    const plain = enc.apply(Buffer.from(dict.write()));
    const start = 144 + plain.readUInt32LE(140);
    return Buffer.concat([plain.subarray(0, start), deflateRawSync(plain.subarray(start))]);
  } else {
    const dict = new dcmjs.data.DicomDict(fileMeta(sopClassUid, sopInstanceUid, syntax));
    dict.dict = dataset;
    out = Buffer.from(dict.write());
  }
  return enc.apply(out);
}

// ---------------------------------------------------------------------------------------------
// public API

function resolve(o: StudyOptions) {
  const modality = o.modality ?? "CT";
  const ts = o.transferSyntax ?? "explicit";
  const preamble = o.preamble ?? true;
  if (!preamble && ts === "encapsulated") {
    throw new Error("preamble: false needs an uncompressed transfer syntax (no file meta)");
  }
  return {
    modality,
    syntax: ts === "implicit" ? TS.implicit : ts === "encapsulated" ? TS.jpegBaseline : TS.explicit,
    preamble,
    patients: o.patients ?? 1,
    seriesPerStudy: o.seriesPerStudy ?? 2,
    instancesPerSeries: o.instancesPerSeries ?? 3,
    geometry: {
      rows: o.rows ?? 32,
      columns: o.columns ?? 32,
      frames: modality === "SR" ? 1 : (o.frames ?? 1),
    },
    charset: o.charset,
    includeSr: o.includeSr ?? false,
    prefix: o.namePrefix ?? "",
  };
}

function burnedInFor(modality: Modality, instance: number): "YES" | "NO" | undefined {
  if (modality === "US") return "YES";
  if (modality === "SC") return instance % 2 === 1 ? "YES" : "NO"; // some, not all
  if (modality === "SR") return undefined;
  return "NO";
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, "0");
}

function buildStudies(ctx: Context, opts: StudyOptions): GeneratedFile[] {
  const r = resolve(opts);
  const files: GeneratedFile[] = [];
  for (let p = 1; p <= r.patients; p++) {
    const patient = makePatient(ctx, p, r.charset);
    const study = makeStudy(ctx, r.charset);
    const studyRefs: InstanceRef[] = [];
    const seriesList: { series: Series; modality: Modality; uids: string[] }[] = [];
    const seriesCount = r.seriesPerStudy + (r.includeSr ? 1 : 0);
    for (let s = 1; s <= seriesCount; s++) {
      const modality: Modality = s > r.seriesPerStudy ? "SR" : r.modality;
      const series = makeSeries(ctx, s, r.charset);
      const count = modality === "SR" && s > r.seriesPerStudy ? 1 : r.instancesPerSeries;
      seriesList.push({ series, modality, uids: Array.from({ length: count }, () => ctx.uid()) });
    }
    for (const { series, modality, uids } of seriesList) {
      const frames = modality === "SR" ? 1 : r.geometry.frames;
      const sopClassUid = sopClassFor(modality, frames);
      const syntax = modality === "SR" && r.syntax === TS.jpegBaseline ? TS.explicit : r.syntax;
      uids.forEach((sopInstanceUid, i) => {
        const instance = i + 1;
        // images reference the next instance of their series; an SR document added by includeSr
        // references every image of the study; SR-only series reference their other documents
        let refs: InstanceRef[];
        if (modality === "SR" && series.index > r.seriesPerStudy) refs = [...studyRefs];
        else {
          refs =
            uids.length > 1
              ? [
                  {
                    sopClassUid,
                    sopInstanceUid: uids[(i + 1) % uids.length] as string,
                    seriesUid: series.uid,
                  },
                ]
              : [];
        }
        const plan: InstancePlan = {
          patient,
          study,
          series,
          instance,
          sopClassUid,
          sopInstanceUid,
          refs,
        };
        const burnedIn = burnedInFor(modality, instance);
        const o: BuildOptions = {
          modality,
          syntax,
          charset: r.charset,
          geometry: { ...r.geometry, frames },
          burnedIn,
        };
        const enc = new FileEncoding(r.charset);
        const ds = buildHeader(ctx, enc, plan, o);
        if (modality !== "SR") {
          ds.d["7FE00010"] = pixelValue(o, instance);
          Object.assign(ds.d, buildTrailer(ctx, enc, study).d);
        }
        const bytes = serialize(ds.d, enc, sopClassUid, sopInstanceUid, syntax, r.preamble);
        const name = `${r.prefix}p${pad(p, 2)}-se${pad(series.index, 2)}-i${pad(instance, 3)}.dcm`;
        files.push({
          name,
          bytes,
          info: {
            patient: p,
            series: series.index,
            instance,
            modality,
            sopClassUid,
            sopInstanceUid,
            studyInstanceUid: study.uid,
            seriesInstanceUid: series.uid,
            frameOfReferenceUid: modality === "SR" ? undefined : study.frameOfReferenceUid,
            transferSyntaxUid: syntax,
            charset: r.charset,
            preamble: r.preamble,
            frames,
            rows: modality === "SR" ? undefined : r.geometry.rows,
            columns: modality === "SR" ? undefined : r.geometry.columns,
            burnedInAnnotation: burnedIn,
            references: refs.map((x) => x.sopInstanceUid),
          },
        });
        if (modality !== "SR")
          studyRefs.push({ sopClassUid, sopInstanceUid, seriesUid: series.uid });
      });
    }
  }
  return files;
}

/** Synthetic studies (one per patient) with planted fake PHI; deterministic in `opts`. */
export function generateStudy(opts: StudyOptions): GeneratedStudy {
  const ctx = new Context(opts.seed);
  const files = buildStudies(ctx, opts);
  return { files, planted: ctx.plantedValues() };
}

/**
 * The varied corpus the tests use: every modality, transfer syntax and character set, files
 * without preamble, multi-frame images and SR documents (about 40 files), from one seed, so all
 * planted values are unique across it.
 */
export function generateCorpus(seed = 20240601): GeneratedStudy {
  const ctx = new Context(seed);
  const parts: StudyOptions[] = [
    {
      seed,
      namePrefix: "ct-utf8-",
      modality: "CT",
      patients: 2,
      charset: "ISO_IR 192",
      includeSr: true,
    },
    {
      seed,
      namePrefix: "mr-latin1-implicit-",
      modality: "MR",
      seriesPerStudy: 1,
      transferSyntax: "implicit",
      charset: "ISO_IR 100",
    },
    {
      seed,
      namePrefix: "us-jis-jpeg-",
      modality: "US",
      seriesPerStudy: 1,
      instancesPerSeries: 2,
      frames: 3,
      transferSyntax: "encapsulated",
      charset: "ISO 2022 IR 87",
    },
    { seed, namePrefix: "sc-ascii-", modality: "SC", seriesPerStudy: 1, instancesPerSeries: 2 },
    {
      seed,
      namePrefix: "sc-nopreamble-",
      modality: "SC",
      seriesPerStudy: 1,
      instancesPerSeries: 2,
      preamble: false,
      transferSyntax: "implicit",
    },
    {
      seed,
      namePrefix: "ct-jis-nopreamble-",
      modality: "CT",
      seriesPerStudy: 1,
      instancesPerSeries: 2,
      preamble: false,
      charset: "ISO 2022 IR 87",
    },
    {
      seed,
      namePrefix: "sr-jis-",
      modality: "SR",
      seriesPerStudy: 1,
      instancesPerSeries: 2,
      charset: "ISO 2022 IR 87",
    },
    {
      seed,
      namePrefix: "sr-latin1-implicit-",
      modality: "SR",
      seriesPerStudy: 1,
      instancesPerSeries: 1,
      charset: "ISO_IR 100",
      transferSyntax: "implicit",
    },
    {
      seed,
      namePrefix: "mf-ct-",
      modality: "CT",
      seriesPerStudy: 1,
      instancesPerSeries: 1,
      frames: 4,
      rows: 24,
      columns: 20,
    },
    {
      seed,
      namePrefix: "us-rgb-",
      modality: "US",
      seriesPerStudy: 1,
      instancesPerSeries: 2,
      frames: 2,
      charset: "ISO_IR 192",
    },
  ];
  const files = parts.flatMap((p) => buildStudies(ctx, p));
  return { files, planted: ctx.plantedValues() };
}

/** Writes the files of a generated study into `dir` (created); returns their paths. */
export function writeStudy(
  dir: string,
  study: GeneratedStudy,
  opts: { manifest?: boolean } = {},
): string[] {
  mkdirSync(dir, { recursive: true });
  const paths = study.files.map((f) => {
    const path = join(dir, f.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.bytes);
    return path;
  });
  if (opts.manifest) {
    // The manifest holds the planted (fake) values: keep it out of directories that get scanned.
    const manifest = {
      planted: study.planted,
      files: study.files.map((f) => ({ name: f.name, ...f.info })),
    };
    writeFileSync(join(dir, "corpus-manifest.json"), JSON.stringify(manifest, null, 2));
  }
  return paths;
}

function element(tag: number, vr: string, length: number, syntax: string): Buffer {
  const group = tag >>> 16;
  const el = tag & 0xffff;
  if (syntax === TS.implicit) {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(group, 0);
    b.writeUInt16LE(el, 2);
    b.writeUInt32LE(length, 4);
    return b;
  }
  const b = Buffer.alloc(12);
  b.writeUInt16LE(group, 0);
  b.writeUInt16LE(el, 2);
  b.write(vr, 4, "latin1");
  b.writeUInt32LE(length, 8);
  return b;
}

/** Offset of the value `text` of the (top-level, short) element `tag` in a Part 10 header. */
function valueOffset(b: Buffer, tag: number, text: string, syntax: string): number {
  const t = Buffer.alloc(4);
  t.writeUInt16LE(tag >>> 16, 0);
  t.writeUInt16LE(tag & 0xffff, 2);
  const value = Buffer.from(text, "latin1");
  for (let at = b.indexOf(t, 132); at >= 0; at = b.indexOf(t, at + 1)) {
    const v = at + 8; // explicit: tag, VR, 16-bit length; implicit: tag, 32-bit length
    const len = syntax === TS.implicit ? b.readUInt32LE(at + 4) : b.readUInt16LE(at + 6);
    if (len >= value.length && b.subarray(v, v + value.length).equals(value)) return v;
  }
  throw new Error(`element ${tag.toString(16)} with value ${text} not found`);
}

/** Offsets of every occurrence of `text` in `b`. */
function offsetsOf(b: Buffer, text: string): number[] {
  const needle = Buffer.from(text, "latin1");
  const out: number[] = [];
  for (let at = b.indexOf(needle); at >= 0; at = b.indexOf(needle, at + 1)) out.push(at);
  return out;
}

/**
 * A CT series for benchmarks: `slices` files of rows x columns 16-bit pixels, each with the full
 * set of planted PHI. Fast: dcmjs writes one header template; per slice only fixed-width fields
 * (SOP Instance UID, the referenced UID, InstanceNumber, z position, ImageComments) are patched
 * in, and the pixel frame is made once and copied.
 */
export function generateCtSeries(opts: {
  slices: number;
  rows: number;
  columns: number;
  seed?: number;
  transferSyntax?: "explicit" | "implicit";
}): GeneratedStudy {
  const n = opts.slices;
  const ctx = new Context(opts.seed ?? 1);
  const syntax = opts.transferSyntax === "implicit" ? TS.implicit : TS.explicit;
  const patient = makePatient(ctx, 1, undefined);
  const study = makeStudy(ctx, undefined);
  const series = makeSeries(ctx, 1, undefined);
  const uids = Array.from({ length: n }, () => ctx.uid()); // all of one length
  const comments = uids.map(() => `ZZFAKE image comment ${ctx.code()}`);
  const instanceNumber = (i: number) => pad(i + 1, 6);
  const z = (i: number) => ((i + 1) * 1.25).toFixed(2).padStart(9, "0");
  const ref = (i: number) => uids[(i + 1) % n] as string;

  const plan: InstancePlan = {
    patient,
    study,
    series,
    instance: 1,
    sopClassUid: SOP_CLASS.CT,
    sopInstanceUid: uids[0] as string,
    refs:
      n > 1 ? [{ sopClassUid: SOP_CLASS.CT, sopInstanceUid: ref(0), seriesUid: series.uid }] : [],
    fixed: { instanceNumber: instanceNumber(0), z: z(0), imageComment: comments[0] as string },
  };
  const o: BuildOptions = {
    modality: "CT",
    syntax,
    charset: undefined,
    geometry: { rows: opts.rows, columns: opts.columns, frames: 1 },
    burnedIn: "NO",
  };
  const enc = new FileEncoding(undefined);
  const header = serialize(
    buildHeader(ctx, enc, plan, o).d,
    enc,
    SOP_CLASS.CT,
    uids[0] as string,
    syntax,
    true,
  );
  for (const c of comments.slice(1)) {
    ctx.plant(c, "ImageComments (0020,4000)", "text");
  }
  const trailer = writeBareDataset(buildTrailer(ctx, enc, study).d, syntax);
  const pixels = frame("u16", opts.rows, opts.columns, 0);
  const pixelHeader = element(0x7fe00010, "OW", pixels.length, syntax);

  // where the per-slice texts sit in the template (each is unique there)
  const at = {
    uid: offsetsOf(header, uids[0] as string),
    ref: n > 1 ? offsetsOf(header, ref(0)) : [],
    comment: offsetsOf(header, comments[0] as string),
    number: [valueOffset(header, 0x00200013, instanceNumber(0), syntax)],
    z: offsetsOf(header, z(0)),
  };
  if (at.uid.length !== 2 || at.comment.length !== 1 || at.number.length !== 1) {
    throw new Error("generateCtSeries: header template fields are not unique");
  }
  if (at.z.length !== 2 || (n > 1 && at.ref.length !== 1)) {
    throw new Error("generateCtSeries: header template positions are not unique");
  }
  const size = header.length + pixelHeader.length + pixels.length + trailer.length;
  const files: GeneratedFile[] = [];
  for (let i = 0; i < n; i++) {
    const b = Buffer.allocUnsafe(size);
    header.copy(b, 0);
    pixelHeader.copy(b, header.length);
    pixels.copy(b, header.length + pixelHeader.length);
    trailer.copy(b, size - trailer.length);
    if (i > 0) {
      for (const x of at.uid) b.write(uids[i] as string, x, "latin1");
      for (const x of at.ref) b.write(ref(i), x, "latin1");
      for (const x of at.comment) b.write(comments[i] as string, x, "latin1");
      for (const x of at.number) b.write(instanceNumber(i), x, "latin1");
      for (const x of at.z) b.write(z(i), x, "latin1");
    }
    files.push({
      name: `ct-${pad(i + 1, 4)}.dcm`,
      bytes: b,
      info: {
        patient: 1,
        series: 1,
        instance: i + 1,
        modality: "CT",
        sopClassUid: SOP_CLASS.CT,
        sopInstanceUid: uids[i] as string,
        studyInstanceUid: study.uid,
        seriesInstanceUid: series.uid,
        frameOfReferenceUid: study.frameOfReferenceUid,
        transferSyntaxUid: syntax,
        preamble: true,
        frames: 1,
        rows: opts.rows,
        columns: opts.columns,
        burnedInAnnotation: "NO",
        references: n > 1 ? [ref(i)] : [],
      },
    });
  }
  return { files, planted: ctx.plantedValues() };
}

/**
 * A multi-frame 16-bit image written straight to `path`, frame by frame: the header comes from
 * dcmjs, the PixelData element header and frames are appended with fs, so files of 500 MB and
 * more are written without holding them in memory. The pixel data must stay under 4 GiB.
 */
export function generateMultiframe(opts: {
  path: string;
  frames: number;
  rows: number;
  columns: number;
  seed?: number;
  transferSyntax?: "explicit" | "implicit";
}): { path: string; size: number; planted: PlantedValue[]; info: FileInfo } {
  const { frames, rows, columns } = opts;
  const frameBytes = rows * columns * 2;
  const total = frameBytes * frames;
  if (total >= 0xffffffff) throw new Error("pixel data of 4 GiB or more cannot be written");
  const ctx = new Context(opts.seed ?? 1);
  const syntax = opts.transferSyntax === "implicit" ? TS.implicit : TS.explicit;
  const patient = makePatient(ctx, 1, undefined);
  const study = makeStudy(ctx, undefined);
  const series = makeSeries(ctx, 1, undefined);
  const sopInstanceUid = ctx.uid();
  // An Enhanced CT object: a modality image, not a screen capture, so it is de-identified, not quarantined.
  const sopClassUid = SOP_CLASS.EnhancedCT;
  const plan: InstancePlan = {
    patient,
    study,
    series,
    instance: 1,
    sopClassUid,
    sopInstanceUid,
    refs: [],
  };
  const o: BuildOptions = {
    modality: "CT",
    syntax,
    charset: undefined,
    geometry: { rows, columns, frames },
    burnedIn: "NO",
  };
  const enc = new FileEncoding(undefined);
  const header = serialize(
    buildHeader(ctx, enc, plan, o).d,
    enc,
    sopClassUid,
    sopInstanceUid,
    syntax,
    true,
  );
  const trailer = writeBareDataset(buildTrailer(ctx, enc, study).d, syntax);
  mkdirSync(dirname(opts.path), { recursive: true });
  const fd = openSync(opts.path, "w");
  let size = 0;
  const put = (b: Buffer) => {
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    size += b.length;
  };
  try {
    put(header);
    put(element(0x7fe00010, "OW", total, syntax));
    const f = frame("u16", rows, columns, 0);
    for (let k = 0; k < frames; k++) {
      f.writeUInt16LE(k & 0x0fff, 0); // frames differ in their first pixel
      put(f);
    }
    put(trailer);
  } finally {
    closeSync(fd);
  }
  return {
    path: opts.path,
    size,
    planted: ctx.plantedValues(),
    info: {
      patient: 1,
      series: 1,
      instance: 1,
      modality: "CT",
      sopClassUid,
      sopInstanceUid,
      studyInstanceUid: study.uid,
      seriesInstanceUid: series.uid,
      frameOfReferenceUid: study.frameOfReferenceUid,
      transferSyntaxUid: syntax,
      preamble: true,
      frames,
      rows,
      columns,
      burnedInAnnotation: "NO",
      references: [],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// malformed inputs

export type MalformedKind = "truncated" | "not-dicom" | "wrong-length" | "big-endian" | "deflated";

export interface MalformedCase {
  name: string;
  kind: MalformedKind;
  /** What is wrong (or unusual) with it, for test names and messages. */
  description: string;
  bytes: Buffer;
  /** The fake PHI in these bytes (deflated: inside the compressed data set). */
  planted: PlantedValue[];
  /** wrong-length: offset of the element header whose length is wrong. */
  elementOffset?: number;
}

/** Offset of the first explicit VR LE element header `tag` with VR `vr` (searched by bytes). */
export function findExplicitElement(bytes: Buffer, tag: number, vr: string): number {
  const h = Buffer.alloc(6);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  h.write(vr, 4, "latin1");
  return bytes.indexOf(h);
}

/**
 * Inputs a de-identifier must survive without leaking: truncated files (inside the preamble, the
 * file meta, the pixel data), files that are not DICOM, elements whose length is wrong, and the
 * rarely supported big endian and deflated transfer syntaxes (both valid DICOM).
 */
export function malformed(seed = 7): MalformedCase[] {
  const one = (o: Partial<StudyOptions>, ctx: Context) =>
    buildStudies(ctx, {
      seed,
      modality: "CT",
      patients: 1,
      seriesPerStudy: 1,
      instancesPerSeries: 1,
      rows: 16,
      columns: 16,
      ...o,
    })[0] as GeneratedFile;
  const cases: MalformedCase[] = [];

  // truncated
  {
    const ctx = new Context(seed);
    const f = one({}, ctx);
    cases.push({
      name: "truncated-in-preamble.dcm",
      kind: "truncated",
      description: "100 bytes: ends inside the 128-byte preamble, no DICM",
      bytes: Buffer.from(f.bytes.subarray(0, 100)),
      planted: [],
    });
    const metaEnd = 144 + f.bytes.readUInt32LE(140);
    cases.push({
      name: "truncated-in-meta.dcm",
      kind: "truncated",
      description: "ends in the middle of the file meta group",
      bytes: Buffer.from(f.bytes.subarray(0, Math.floor((132 + metaEnd) / 2))),
      planted: [],
    });
    const px = findExplicitElement(f.bytes, 0x7fe00010, "OW");
    cases.push({
      name: "truncated-in-pixel-data.dcm",
      kind: "truncated",
      description: "ends in the middle of PixelData (all of the header, with its PHI, is there)",
      bytes: Buffer.from(f.bytes.subarray(0, px + 12 + 100)),
      // the trailer after PixelData is cut off
      planted: ctx.plantedValues().filter((p) => !p.where.includes(PRIVATE_CREATOR_TRAILER)),
    });
  }
  // not DICOM
  {
    const ctx = new Context(seed + 1);
    const name = fakeName(ctx, "NOTDCM", undefined);
    ctx.plant(name, "not-dicom text file body", "name");
    cases.push({
      name: "not-dicom.txt.dcm",
      kind: "not-dicom",
      description: "plain text with a .dcm name (holds a fake name)",
      bytes: Buffer.from(`This is not a DICOM file. Patient: ${name}\n`, "latin1"),
      planted: ctx.plantedValues(),
    });
    cases.push({
      name: "not-dicom-png.dcm",
      kind: "not-dicom",
      description: "PNG signature and junk",
      bytes: Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        Buffer.alloc(200, 0x90),
      ]),
      planted: [],
    });
    const junk = Buffer.alloc(400, 0xa5);
    junk.write("DICM", 128, "latin1");
    cases.push({
      name: "dicm-then-junk.dcm",
      kind: "not-dicom",
      description: "preamble and DICM, then junk instead of a file meta group",
      bytes: junk,
      planted: [],
    });
  }
  // wrong element lengths
  {
    const ctx = new Context(seed + 2);
    const b = Buffer.from(one({}, ctx).bytes);
    const at = findExplicitElement(b, 0x00081030, "LO"); // StudyDescription
    b.writeUInt16LE(0xfff0, at + 6);
    cases.push({
      name: "wrong-length-overrun.dcm",
      kind: "wrong-length",
      description: "StudyDescription (0008,1030) claims 0xFFF0 bytes, more than the file has left",
      bytes: b,
      elementOffset: at,
      planted: ctx.plantedValues(),
    });
    const ctx2 = new Context(seed + 3);
    const b2 = Buffer.from(one({}, ctx2).bytes);
    const at2 = findExplicitElement(b2, 0x00104000, "LT"); // PatientComments
    b2.writeUInt16LE(b2.readUInt16LE(at2 + 6) - 3, at2 + 6);
    cases.push({
      name: "wrong-length-misaligned.dcm",
      kind: "wrong-length",
      description:
        "PatientComments (0010,4000) is 3 bytes shorter than its value: the parser lands mid-text",
      bytes: b2,
      elementOffset: at2,
      planted: ctx2.plantedValues(),
    });
  }
  // big endian (retired but valid) and deflated transfer syntaxes
  {
    const ctx = new Context(seed + 4);
    cases.push({
      name: "big-endian.dcm",
      kind: "big-endian",
      description: "Explicit VR Big Endian (1.2.840.10008.1.2.2, retired)",
      bytes: writeVariant(ctx, TS.bigEndian),
      planted: ctx.plantedValues(),
    });
    const ctx2 = new Context(seed + 5);
    cases.push({
      name: "deflated.dcm",
      kind: "deflated",
      description:
        "Deflated Explicit VR Little Endian (1.2.840.10008.1.2.1.99): the PHI is compressed",
      bytes: writeVariant(ctx2, TS.deflated),
      planted: ctx2.plantedValues(),
    });
  }
  return cases;
}

/** One small CT image in a transfer syntax buildStudies does not offer. */
function writeVariant(ctx: Context, syntax: string): Buffer {
  const patient = makePatient(ctx, 1, undefined);
  const study = makeStudy(ctx, undefined);
  const series = makeSeries(ctx, 1, undefined);
  const sopInstanceUid = ctx.uid();
  const plan: InstancePlan = {
    patient,
    study,
    series,
    instance: 1,
    sopClassUid: SOP_CLASS.CT,
    sopInstanceUid,
    refs: [],
  };
  const o: BuildOptions = {
    modality: "CT",
    syntax,
    charset: undefined,
    geometry: { rows: 16, columns: 16, frames: 1 },
    burnedIn: "NO",
    overlayAsOB: syntax === TS.bigEndian,
  };
  const enc = new FileEncoding(undefined);
  const ds = buildHeader(ctx, enc, plan, o);
  ds.d["7FE00010"] = pixelValue(o, 1);
  Object.assign(ds.d, buildTrailer(ctx, enc, study).d);
  return serialize(ds.d, enc, SOP_CLASS.CT, sopInstanceUid, syntax, true);
}

// ---------------------------------------------------------------------------------------------
// building blocks for the per-IOD objects of ./iods: the same seeded values, planting and writer

export { Context, DS, FileEncoding, code, fakeName, frame, makePatient, makeSeries, makeStudy };
export { serialize as serializeDataset };
export type { Patient, Series, Study };
