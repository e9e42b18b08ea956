/**
 * The parts of dcmjs 0.52 (it ships no type declarations) that imgsec uses. The engine itself
 * reads and writes DICOM with its own little endian codec (dataset.ts), because dcmjs decodes every
 * string to UTF-8 and rewrites Specific Character Set to ISO_IR 192 (and refuses ISO 2022 code
 * extensions); the tests build input objects and read outputs back with dcmjs, an independent
 * parser.
 */
declare module "dcmjs" {
  /** One element of dcmjs's "dict" form: `{ "00100010": { vr: "PN", Value: [...] } }`. */
  export interface DcmjsElement {
    vr: string;
    Value?: unknown[];
  }
  export type DcmjsDataset = Record<string, DcmjsElement>;

  export interface DcmjsReadOptions {
    ignoreErrors?: boolean;
    untilTag?: string | null;
    includeUntilTagValue?: boolean;
    noCopy?: boolean;
    forceStoreRaw?: boolean;
  }

  export namespace data {
    class DicomDict {
      constructor(meta: DcmjsDataset);
      meta: DcmjsDataset;
      dict: DcmjsDataset;
      write(options?: {
        allowInvalidVRLength?: boolean;
        fragmentMultiframe?: boolean;
      }): ArrayBuffer;
    }
    const DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: DcmjsReadOptions): DicomDict;
    };
    const DicomMetaDictionary: {
      naturalizeDataset(dataset: DcmjsDataset): Record<string, unknown>;
      denaturalizeDataset(dataset: Record<string, unknown>): DcmjsDataset;
    };
  }

  export const log: {
    setLevel(level: string): void;
    getLogger(name: string): { setLevel(level: string): void };
  };
}
