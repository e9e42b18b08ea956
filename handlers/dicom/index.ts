/**
 * imgsec DICOM de-identification core (contract: README.md in this folder). Pure library: no AWS,
 * no CLI; bytes come in through a ByteSource and go out as `parts`.
 */
export { bufferSource, fileSource } from "./source";
export type { ByteSource } from "./source";
export { deidentify, outputName, DeidConfigError } from "./deidentify";
export type { DeidConfig, DeidResult, OutputPart } from "./deidentify";
export { OPTION_NAMES, PROFILES, optionBits, optionsOfBits } from "./options";
export type { OptionName } from "./options";
export { PseudonymMapping, PseudonymMappingError } from "./patient";
export { retainedUidDigest } from "./audit-ref";
export {
  ENCAPSULATED_SYNTAXES,
  NATIVE_SYNTAXES,
  SYNTAX_REASONS,
  transferSyntaxProblem,
} from "./transfer-syntax";
export { DEFAULT_PIXEL_MASKS } from "./mask";
export type { PixelMaskRule, MaskRectangle } from "./mask";
export { policyDetails, policyHash, profilePolicyHash } from "./policy";
export { inspectDeidentified, NotDeidentifiedError } from "./inspect";
export type { DeidentifiedFacts } from "./inspect";
