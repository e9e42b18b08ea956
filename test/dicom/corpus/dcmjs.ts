/**
 * The few parts of dcmjs (0.52.2, which ships no type declarations) that the tests use, typed
 * locally: the synthetic corpus and the engine tests build inputs and read outputs back with it.
 * The engine itself never uses dcmjs (see handlers/dicom/README.md). Only test code imports this file.
 */

/** One element of dcmjs's "dict" form: `{ "00100010": { vr: "PN", Value: [...] } }`. */
export interface DcmjsElement {
  vr: string;
  Value?: unknown[];
  /** Set by the reader: the value as it was in the file (strings undecoded by VR). */
  _rawValue?: unknown;
}
export type DcmjsDataset = Record<string, DcmjsElement>;

export interface DcmjsDicomDict {
  meta: DcmjsDataset;
  dict: DcmjsDataset;
  write(options?: { allowInvalidVRLength?: boolean; fragmentMultiframe?: boolean }): ArrayBuffer;
}

export interface DcmjsWriteBufferStream {
  size: number;
  getBuffer(start?: number, end?: number): ArrayBuffer;
}

export interface DcmjsReadOptions {
  ignoreErrors?: boolean;
  untilTag?: string | null;
  includeUntilTagValue?: boolean;
  noCopy?: boolean;
  forceStoreRaw?: boolean;
}

interface DcmjsModule {
  data: {
    DicomDict: new (meta: DcmjsDataset) => DcmjsDicomDict;
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: DcmjsReadOptions): DcmjsDicomDict;
      write(
        dataset: DcmjsDataset,
        stream: DcmjsWriteBufferStream,
        syntax: string,
        options?: Record<string, unknown>,
      ): number;
      /** Internal, but the only way to read a bare data set (no preamble, no file meta). */
      _read(stream: unknown, syntax: string, options?: DcmjsReadOptions): DcmjsDataset;
    };
    DicomMetaDictionary: {
      naturalizeDataset(dataset: DcmjsDataset): Record<string, unknown>;
      denaturalizeDataset(dataset: Record<string, unknown>): DcmjsDataset;
    };
    WriteBufferStream: new (defaultSize: number, littleEndian: boolean) => DcmjsWriteBufferStream;
    ReadBufferStream: new (buffer: ArrayBuffer, littleEndian?: boolean | null) => unknown;
  };
  log: { setLevel(level: string): void; getLogger(name: string): { setLevel(l: string): void } };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const dcmjs = require("dcmjs") as DcmjsModule;

// dcmjs logs (through loglevel) every private or retired element it cannot type, e.g. "Invalid vr
// type ox - using OW" for curve and overlay data in implicit VR; the corpus has such elements on
// purpose. Errors are still raised as exceptions.
dcmjs.log.setLevel("silent");
dcmjs.log.getLogger("validation.dcmjs").setLevel("silent");

/** An ArrayBuffer holding exactly the bytes of `b` (dcmjs wants ArrayBuffers, not Buffers). */
export function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(b.byteLength);
  new Uint8Array(out).set(b);
  return out;
}

/** Reads a DICOM Part 10 file (128-byte preamble, "DICM", file meta) with dcmjs. */
export function readPart10(bytes: Uint8Array, options?: DcmjsReadOptions): DcmjsDicomDict {
  return dcmjs.data.DicomMessage.readFile(toArrayBuffer(bytes), {
    ignoreErrors: false,
    untilTag: null,
    includeUntilTagValue: false,
    noCopy: false,
    ...options,
  });
}

/** Reads a bare data set (no preamble, no "DICM", no file meta) in the given transfer syntax. */
export function readBareDataset(
  bytes: Uint8Array,
  transferSyntaxUid: string,
  options?: DcmjsReadOptions,
): DcmjsDataset {
  const stream = new dcmjs.data.ReadBufferStream(toArrayBuffer(bytes));
  return dcmjs.data.DicomMessage._read(stream, transferSyntaxUid, {
    ignoreErrors: false,
    untilTag: null,
    includeUntilTagValue: false,
    ...options,
  });
}

/** Writes a data set (no preamble, no file meta) in the given transfer syntax. */
export function writeBareDataset(dataset: DcmjsDataset, transferSyntaxUid: string): Buffer {
  const little = transferSyntaxUid !== "1.2.840.10008.1.2.2";
  const stream = new dcmjs.data.WriteBufferStream(64 * 1024, little);
  dcmjs.data.DicomMessage.write(dataset, stream, transferSyntaxUid, {});
  return Buffer.from(stream.getBuffer(0, stream.size));
}
