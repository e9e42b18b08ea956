/** Where the audit log is and what signs it: settings light enough for the CLI's start-up. */
import { dirname, join } from "node:path";

/** An AWS KMS ECC_NIST_P256 SIGN_VERIFY key ARN: checkpoints are then signed by KMS. */
export const KMS_SIGNER_ENV = "IMGSEC_AUDIT_SIGNING_KMS_KEY";

/** The log when neither a flag, IMGSEC_AUDIT_LOG nor a key file says otherwise. */
export const DEFAULT_AUDIT_LOG = join(".imgsec", "audit.jsonl");

/**
 * Audit log path: the flag, then IMGSEC_AUDIT_LOG, then audit.jsonl beside the key file (so
 * .imgsec/audit.jsonl by default). A log is bound to the audit key that sealed it, so a log kept
 * next to its key file follows it when the key file lives elsewhere.
 */
export function auditLogPath(flag?: string, keysPath?: string): string {
  return (
    flag ??
    process.env.IMGSEC_AUDIT_LOG ??
    (keysPath ? join(dirname(keysPath), "audit.jsonl") : DEFAULT_AUDIT_LOG)
  );
}
