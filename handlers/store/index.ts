/**
 * The object store of the per-object job: one interface (types.ts), a local folder (local.ts)
 * and an S3 bucket (s3.ts), and the quarantine move over either (quarantine.ts). No Lambda types:
 * the CLI and the Lambda entry points both use it.
 */
export type {
  CopyOptions,
  DeleteOptions,
  Metadata,
  ObjectHead,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutResult,
  StoreErrorCode,
  StoredObject,
  Tags,
} from "./types";
export { StoreError, keyRef } from "./types";
export { LocalObjectStore } from "./local";
export type { LocalStoreOptions } from "./local";
export { S3ObjectStore } from "./s3";
export type { S3StoreOptions } from "./s3";
export { DEFAULT_QUARANTINE_PREFIX, quarantine } from "./quarantine";
export type { QuarantineOptions, QuarantineResult } from "./quarantine";
