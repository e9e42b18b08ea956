import { createHmac, hkdfSync } from "node:crypto";

/**
 * How the audit log names an object whose own UID was kept (`retain-uids`): HMAC-SHA256 of the UID
 * under a key derived (HKDF) from the pseudonymization key. A kept UID may itself identify (it can
 * embed a device serial, a date or an accession number), so the log never holds it; only the key
 * holder can link a record to an object, by recomputing the digest from the object's UID.
 */
export function retainedUidDigest(pseudonymizationKey: Buffer, uid: string): string {
  const derived = Buffer.from(
    hkdfSync("sha256", pseudonymizationKey, Buffer.alloc(0), "imgsec/audit-retained-uid/v1", 32),
  );
  try {
    return `hmac-sha256:${createHmac("sha256", derived).update(uid, "latin1").digest("hex")}`;
  } finally {
    derived.fill(0);
  }
}
