/**
 * The object store of the per-object job: what it needs to read identified DICOM, write an
 * encrypted package without ever overwriting one, and move a failed object to quarantine. Two
 * implementations: a local folder (local.ts) and an S3 bucket (s3.ts).
 *
 * Object keys can hold PHI (people name folders after patients): nothing here puts a key in an
 * error message. Errors name an object by `keyRef(key)`, a digest that cannot be reversed.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import type { ByteSource } from "../dicom/source";

/** User metadata (S3 `x-amz-meta-*`): lower-case names, printable ASCII values. No PHI. */
export type Metadata = Record<string, string>;
/** Object tags (at most 10, S3's rules). No PHI. */
export type Tags = Record<string, string>;

/** An object as a listing shows it. */
export interface ObjectInfo {
  key: string;
  size: number;
  /**
   * Opaque; equal ETags mean equal content. S3: the object's ETag. Local: the SHA-256 of the
   * content when this store wrote it, otherwise derived from the version id.
   */
  etag?: string;
  lastModified?: Date;
}

/** What `head` and `open` tell of one version of an object. */
export interface ObjectHead extends ObjectInfo {
  etag: string;
  /**
   * The version read. S3: the VersionId (undefined in a bucket without versioning). Local:
   * device, inode, modification time (ns) and size, which change whenever the file is replaced
   * or rewritten.
   */
  versionId?: string;
  metadata: Metadata;
  contentType?: string;
  /** Only when asked for (`head(key, {tags: true})`): S3 answers them in a second request. */
  tags?: Tags;
}

/** One version of an object, open for reading: streams and ranged reads of that version only. */
export interface StoredObject extends ObjectHead, ByteSource {
  /**
   * The object's bytes, from `start` (default 0) to `end` (exclusive; default the end), as a
   * byte stream that never holds the whole object.
   */
  stream(range?: { start?: number; end?: number }): Readable;
  /** Releases the file handle (local) or the read-ahead cache (S3). */
  close(): Promise<void>;
}

export interface PutOptions {
  metadata?: Metadata;
  tags?: Tags;
  contentType?: string;
  /** The body's size when known: S3 then chooses a part size that fits objects over 80 GB. */
  size?: number;
}

export type PutResult =
  | { status: "created"; etag: string; versionId?: string }
  | { status: "exists" };

export interface CopyOptions {
  /** Copy this version of the source (S3 VersionId, local version id); else the current one. */
  sourceVersionId?: string;
  /** Copy only if the source still has this ETag. */
  sourceEtag?: string;
  /** The copy's metadata; the source's when unset. */
  metadata?: Metadata;
  /** The copy's tags; the source's when unset. */
  tags?: Tags;
}

export interface DeleteOptions {
  /** Delete only if the current object still has this ETag (from `open` or `head`). */
  ifMatch?: string;
}

export interface ObjectStore {
  /** Where this store is, for messages: `s3://bucket` or `local folder`; never a key. */
  readonly name: string;
  /** Controls this store runs without, by name (see each implementation); empty by default. */
  readonly relaxedControls: readonly string[];
  /** Opens a version of an object (the current one unless `versionId`); StoreError not-found. */
  open(key: string, opts?: { versionId?: string }): Promise<StoredObject>;
  /** The object's size, version, ETag and metadata (and tags if asked), or undefined if absent. */
  head(key: string, opts?: { versionId?: string; tags?: boolean }): Promise<ObjectHead | undefined>;
  /**
   * Creates `key` from `body` unless something is already there: never overwrites, whoever
   * wrote it, even when writers race ("exists" for all but one). Nothing half-written is ever
   * visible. Takes ownership of `body`: it is read to the end or destroyed.
   */
  putIfAbsent(key: string, body: Readable | Buffer, opts?: PutOptions): Promise<PutResult>;
  /** Copies `from` to `to` unless `to` exists; "exists" then. */
  copy(from: string, to: string, opts?: CopyOptions): Promise<"created" | "exists">;
  /**
   * Removes the current object. In a versioned S3 bucket this adds a delete marker: earlier
   * versions stay, as evidence, until lifecycle expires them. "changed" when `ifMatch` no longer
   * holds (nothing removed), "absent" when nothing was there.
   */
  delete(key: string, opts?: DeleteOptions): Promise<"deleted" | "changed" | "absent">;
  /** Every object whose key starts with `prefix`, in key order (UTF-8 bytes, as S3 lists). */
  list(prefix?: string): AsyncIterable<ObjectInfo>;
}

export type StoreErrorCode =
  /** The key or an option is not acceptable (never quoted). */
  | "invalid"
  | "not-found"
  /** The object changed since it was opened, or the pinned version is not the current one. */
  | "version-mismatch"
  | "denied"
  /** A concurrent conditional write: retry the whole write. */
  | "conflict"
  /** Throttling, a 5xx, a network error: retry later. */
  | "unavailable"
  | "io";

/** A store failure, in one line that names no key and no content. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly code: StoreErrorCode,
  ) {
    super(message);
    this.name = "StoreError";
  }

  /** Whether the same call may succeed later. */
  get retryable(): boolean {
    return this.code === "conflict" || this.code === "unavailable";
  }
}

// A random salt per process: refs correlate the messages of one run, and cannot be matched
// against a dictionary of names (an unsalted hash of "SMITH^JOHN/" could).
const REF_SALT = randomBytes(16);

/** A short, salted, irreversible reference to a key, for messages: `ref:1f2e3d4c5b6a`. */
export function keyRef(key: string): string {
  return `ref:${createHmac("sha256", REF_SALT).update(key).digest("hex").slice(0, 12)}`;
}
