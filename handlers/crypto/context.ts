/**
 * The encryption context of an imgsec package: authenticated by the ESDK, stored in clear in the
 * message header, so anyone can read it. It therefore carries identifiers that mean nothing outside
 * the organisation and digests only; `validateContext` enforces that before anything is encrypted.
 */
export const CONTEXT_SCHEMA = "1";

export const CTX = {
  schema: "imgsec:schema",
  dataset: "imgsec:dataset",
  modality: "imgsec:modality",
  policyHash: "imgsec:policy-hash",
  pixelDigest: "imgsec:pixel-digest",
  producer: "imgsec:producer",
} as const;

/** Provider id of data keys wrapped with the local key file's encryption key (raw AES keyring). */
export const LOCAL_PROVIDER = "imgsec-local";
/** Provider id the ESDK's KMS keyring writes. */
export const KMS_PROVIDER = "aws-kms";

/** Reserved by the ESDK for signed suites (the message's ECDSA public key). */
export const ESDK_PUBLIC_KEY = "aws-crypto-public-key";

export interface PackageFacts {
  datasetId: string;
  modality: string;
  policyHash: string;
  pixelDigest: string;
  producer: string;
}

export type EncryptionContext = Record<string, string>;

/** A context value that must not be encrypted: the message names the key, never the value. */
export class ContextError extends Error {}

/** Modality (0008,0060): a DICOM code string. */
export const MODALITY_RE = /^[A-Z0-9]{1,16}$/;

/** The pattern every context value must match; policies/package/params.json holds the same. */
export const CONTEXT_PATTERNS: Readonly<Record<string, RegExp>> = {
  [CTX.schema]: /^1$/,
  [CTX.dataset]: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
  [CTX.modality]: MODALITY_RE,
  [CTX.policyHash]: /^[0-9a-f]{64}$/,
  [CTX.pixelDigest]: /^[0-9a-f]{64}$/,
  [CTX.producer]: /^imgsec\/[0-9]+\.[0-9]+\.[0-9]+$/,
};

/**
 * Dataset ids are chosen by people, and people type MRNs, dates and names. Beyond the pattern, an
 * id that looks like one of those is refused: six or more digits in a row (record numbers, dates),
 * SSN-like groups, or a date written with separators.
 */
export function datasetIdProblem(id: string): string | null {
  if (!CONTEXT_PATTERNS[CTX.dataset].test(id))
    return "dataset id must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit";
  if (/[0-9]{6,}/.test(id))
    return "dataset id must not contain six or more digits in a row (it could be a record number or a date)";
  if (/[0-9]{3}-[0-9]{2}-[0-9]{4}/.test(id)) return "dataset id must not look like an SSN";
  if (/(19|20)[0-9]{2}[-._][01]?[0-9][-._][0-3]?[0-9]/.test(id))
    return "dataset id must not contain a date";
  return null;
}

export function buildContext(facts: PackageFacts): EncryptionContext {
  const ctx: EncryptionContext = {
    [CTX.schema]: CONTEXT_SCHEMA,
    [CTX.dataset]: facts.datasetId,
    [CTX.modality]: facts.modality,
    [CTX.policyHash]: facts.policyHash,
    [CTX.pixelDigest]: facts.pixelDigest,
    [CTX.producer]: facts.producer,
  };
  validateContext(ctx);
  return ctx;
}

/** Exactly the imgsec keys, each matching its pattern; throws ContextError naming the key only. */
export function validateContext(ctx: EncryptionContext): void {
  for (const key of Object.keys(ctx)) {
    if (!(key in CONTEXT_PATTERNS))
      throw new ContextError("encryption context has a key that is not allowed");
  }
  for (const [key, pattern] of Object.entries(CONTEXT_PATTERNS)) {
    const value = ctx[key];
    if (typeof value !== "string") throw new ContextError(`encryption context lacks ${key}`);
    if (key === CTX.dataset) {
      const problem = datasetIdProblem(value);
      if (problem) throw new ContextError(problem);
    } else if (!pattern.test(value)) {
      throw new ContextError(`encryption context value of ${key} is not well-formed`);
    }
  }
}
