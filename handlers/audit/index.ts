/** The tamper-evident audit log: writer, verifier, S3 Object Lock sink. See README.md. */
export { AuditLogError, AuditEventError } from "./errors";
export { resolveActor, checkActor } from "./actor";
export {
  AUDIT_OPS,
  AUDIT_OUTCOMES,
  validateEvent,
  type AuditEvent,
  type AuditObject,
  type AuditOp,
  type AuditOutcome,
  type AuditRecord,
  CHECKPOINT_ALGS,
  CHECKPOINT_REASONS,
  type CheckpointReason,
} from "./schema";
export {
  openAuditLog,
  auditLogPath,
  DEFAULT_AUDIT_LOG,
  DEFAULT_CHECKPOINT_EVERY,
  type AuditWriter,
  type AppendResult,
  type OpenAuditLogOptions,
  type SignerOption,
} from "./writer";
export {
  openInstanceLog,
  INSTANCE_CHECKPOINT_EVERY,
  type InstanceLog,
  type InstanceLogOptions,
  type SealResult,
} from "./instance";
export {
  verifyS3Prefix,
  type AuditPrefixReport,
  type PrefixLogReport,
  type PrefixVerifyOptions,
  type LogStatus,
} from "./prefix";
export {
  ed25519Signer,
  kmsSigner,
  kmsSigningPublicKey,
  checkpointAlgOf,
  verifyCheckpointSignature,
  KMS_SIGNER_ENV,
  type CheckpointSigner,
  type CheckpointAlg,
  type KmsSignerOptions,
} from "./signer";
export type { AuditSink, AuditSegment } from "./sink";
export {
  s3Sink,
  s3SinkFromEnv,
  s3ClientFromEnv,
  readS3Log,
  readS3Copy,
  parseS3Url,
  segmentName,
  listSegmentObjects,
  readSegment,
  type SegmentObject,
  type SegmentRead,
  type S3SinkOptions,
} from "./s3";
export {
  verifyAuditLog,
  describe as describeFirstBad,
  type AuditLogInput,
  type AuditVerifyReport,
  type FirstBad,
  type TamperKind,
  type VerifyOptions,
} from "./verify";
export {
  HEAD_FORMAT,
  formatHead,
  parseHead,
  readHeadArg,
  checkHeadSignature,
  type AuditHead,
} from "./anchor";
export { AUDIT_RULES } from "./rules";
export { canonical, publicKeyFingerprint } from "./canonical";
