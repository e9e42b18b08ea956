/**
 * Quarantine: a move, done the same way over either store. The object (the version that was
 * read) is copied to `<prefix><version>/<key>` with a PHI-free reason code in its tags and
 * metadata, then the original is removed only if it is still that version. The version in the
 * name keeps two quarantined versions of one key apart, so a copy never stands in for another.
 * Retrying after a crash finds the copy ("exists") and finishes the removal.
 *
 * The quarantine copy stays in the same bucket or folder, under the same protections, so the key
 * (which can hold PHI) crosses no boundary. In a versioned bucket the removal is a delete marker:
 * the original version also stays until lifecycle expires it.
 */
import { ObjectStore, StoreError } from "./types";

export const DEFAULT_QUARANTINE_PREFIX = "quarantine/";

/** An outcome code, never free text: it is stored in clear, in tags that many roles can read. */
const REASON = /^[a-z0-9][a-z0-9-]{0,63}$/;

export interface QuarantineOptions {
  /** Why, as a code such as `burned-in-annotation` or `malformed`. */
  reason: string;
  /** The version that was read (from `open`); the move refuses to act on another. */
  versionId?: string;
  /** The ETag of that version (from `open`). */
  etag: string;
  /** Default `quarantine/`. */
  prefix?: string;
}

export interface QuarantineResult {
  /** Where the copy is. */
  key: string;
  copy: "created" | "exists";
  /** "changed": the object was replaced since it was read, and the new one is left in place. */
  original: "deleted" | "changed" | "absent";
}

/** Moves the version of `key` that was read under the quarantine prefix (see the module). */
export async function quarantine(
  store: ObjectStore,
  key: string,
  opts: QuarantineOptions,
): Promise<QuarantineResult> {
  if (!REASON.test(opts.reason))
    throw new StoreError(
      "a quarantine reason is a code: lower-case letters, digits and -, at most 64",
      "invalid",
    );
  const prefix = opts.prefix ?? DEFAULT_QUARANTINE_PREFIX;
  // A folder name from the version: S3 version ids and local ones are key-safe; an ETag is hex.
  const version = (opts.versionId ?? opts.etag).replace(/[^A-Za-z0-9._-]/g, "");
  if (version === "") throw new StoreError("quarantine needs the version that was read", "invalid");
  const target = `${prefix}${version}/${key}`;
  const marks = { "imgsec-reason": opts.reason, "imgsec-quarantined": "true" };
  const copy = await store.copy(key, target, {
    sourceVersionId: opts.versionId,
    sourceEtag: opts.etag,
    metadata: marks,
    tags: marks,
  });
  const original = await store.delete(key, { ifMatch: opts.etag });
  return { key: target, copy, original };
}
