/** The normalized document every rule reads (see normalize.ts), and helpers its builders share. */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

export const isObj = (v: unknown): v is Obj =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The marker that stands for an unknown part of a value (see normalize.ts). */
export const UNKNOWN = "${?}";

/** Raised for input that cannot be checked; the CLI prints its one-line message and exits 2. */
export class UnusableInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnusableInputError";
  }
}

export function* strings(v: Json): Generator<string> {
  if (typeof v === "string") yield v;
  else if (Array.isArray(v)) for (const x of v) yield* strings(x);
  else if (isObj(v)) for (const x of Object.values(v)) yield* strings(x);
}

export interface NormalizedResource {
  address: string;
  config_address: string;
  type: string;
  name: string;
  mode: "managed" | "data";
  values: Obj;
  refs: Record<string, string[]>;
  /** Inbound references, by source type and attribute: {"aws_s3_bucket_versioning": {"bucket": [addresses]}}.
   * Built once here so rules relate resources in linear time instead of scanning all pairs. */
  referenced_by: Record<string, Record<string, string[]>>;
  policies: Record<string, Obj | null>;
  /**
   * Where the resource is written, for findings: the file (relative to the checked path), the
   * 1-based lines of its block, the module path (`module.phi`), and for cdktf the construct path
   * (`imgsec-prod/raw/bucket`). Plans give the best they know. Not seen by the rules.
   */
  source?: SourceLocation;
}

export interface SourceLocation {
  file: string;
  startLine?: number;
  endLine?: number;
  module?: string;
  construct?: string;
}

/** `# imgsec:waive RULE until=YYYY-MM-DD reason="..."` written in HCL, scoped to one block. */
export interface InlineWaiver {
  rule: string;
  /** The block it sits in or directly above: the resource's config address (module path included). */
  address: string;
  reason: string;
  until?: string;
  file: string;
  line: number;
}

export interface NormalizedStack {
  stack: string;
  /** cdktf synth output, a plan, Terraform JSON only, or a module with HCL (`.tf`, `.tofu`) files. */
  source: "cdktf" | "plan" | "tfjson" | "hcl";
  file: string;
  resources: Record<string, NormalizedResource>;
  /** Waivers written in the configuration's comments (HCL); applied unless --no-inline-waivers. */
  inlineWaivers?: InlineWaiver[];
  /**
   * What the loader could not do and the user should know (a module not downloaded, a function not
   * evaluated, an undeclared variable): printed as notes; never values, never a module's source.
   */
  notes?: string[];
}
