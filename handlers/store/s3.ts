/**
 * The object store over one S3 bucket (AWS SDK v3).
 *
 * - Reads are pinned to the version opened (VersionId, or the ETag with If-Match in a bucket
 *   without versioning), so a concurrent overwrite never mixes two versions. `stream()` is one
 *   streaming GetObject; `read(offset, length)` is a ranged GetObject through a small read-ahead
 *   cache, so the DICOM engine's many small header reads cost a few requests.
 * - Writes are lib-storage `Upload`s (streamed; a single PutObject under one part, a multipart
 *   upload above), conditional on the key being free (`If-None-Match: *`, which lib-storage passes
 *   to PutObject and CompleteMultipartUpload: the two requests that create the object), under
 *   SSE-KMS with the given key and the object's tags in the same request. 412 Precondition Failed
 *   is "exists". On any failure the multipart upload is aborted (no orphaned parts, no object).
 * - Errors name the bucket, an HTTP status or AWS error code, and the key's ref; never a key, and
 *   never the SDK's own message.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectCommandInput,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { Readable } from "node:stream";
import {
  CopyOptions,
  DeleteOptions,
  ObjectHead,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutResult,
  StoreError,
  StoredObject,
  keyRef,
} from "./types";
import { checkKey, checkMetadata, checkPrefix, checkTags, encodeTags } from "./validate";

export interface S3StoreOptions {
  bucket: string;
  client?: S3Client;
  /** SSE-KMS under this key (id, ARN or alias): what the stack's bucket policy requires. */
  kmsKeyId?: string;
  /** S3 Bucket Key with SSE-KMS (fewer KMS requests); default true. */
  bucketKey?: boolean;
  /**
   * A relaxation, named in `relaxedControls`: send no encryption header and let the bucket's
   * default encryption apply. Without it, a store with no `kmsKeyId` is refused.
   */
  bucketDefaultEncryption?: boolean;
  /** Multipart part size; default 8 MiB (objects up to 80 GB; more when `size` is given). */
  partSize?: number;
  /** Parts uploaded at once; default 4. Memory for an upload is about partSize × (queueSize + 1). */
  queueSize?: number;
  /** Bytes fetched by a small ranged read; default 256 KiB. */
  readAhead?: number;
  /** Read-ahead blocks kept per open object; default 4. */
  cacheBlocks?: number;
}

const MIB = 1024 * 1024;
const MAX_PARTS = 10_000;

interface AwsError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const statusOf = (e: unknown) => (e as AwsError)?.$metadata?.httpStatusCode;

/** Why an AWS call failed: an AWS error code and HTTP status, or a network error code. */
function why(e: unknown): string {
  const err = e as AwsError;
  const net = err?.code ?? /\b(E[A-Z][A-Z0-9_]{2,})\b/.exec(String(err?.message))?.[1];
  const status = statusOf(e);
  if (status) return `${err?.name ?? "error"} (HTTP ${status})`;
  return net ?? err?.name ?? "error";
}

function destroyBody(body: Readable | Buffer): void {
  if (body instanceof Readable && !body.destroyed) body.destroy();
}

/** The CopySource header: bucket and key, URL-encoded per segment, with the version if pinned. */
function copySource(bucket: string, key: string, versionId?: string): string {
  const path = key.split("/").map(encodeURIComponent).join("/");
  return `${bucket}/${path}${versionId ? `?versionId=${encodeURIComponent(versionId)}` : ""}`;
}

export class S3ObjectStore implements ObjectStore {
  readonly name: string;
  readonly relaxedControls: readonly string[];
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly sse: {
    ServerSideEncryption?: "aws:kms";
    SSEKMSKeyId?: string;
    BucketKeyEnabled?: boolean;
  };
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly readAhead: number;
  private readonly cacheBlocks: number;

  constructor(opts: S3StoreOptions) {
    this.bucket = opts.bucket;
    this.name = `s3://${opts.bucket}`;
    if (opts.kmsKeyId) {
      this.sse = {
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: opts.kmsKeyId,
        BucketKeyEnabled: opts.bucketKey ?? true,
      };
      this.relaxedControls = opts.bucketKey === false ? ["bucketKey false"] : [];
    } else if (opts.bucketDefaultEncryption) {
      this.sse = {};
      this.relaxedControls = ["bucketDefaultEncryption (no SSE-KMS key named on writes)"];
    } else {
      throw new StoreError(
        `the S3 store for ${this.name} needs kmsKeyId (SSE-KMS under the PHI key), or bucketDefaultEncryption: true as a named relaxation`,
        "invalid",
      );
    }
    this.partSize = opts.partSize ?? 8 * MIB;
    this.queueSize = opts.queueSize ?? 4;
    this.readAhead = opts.readAhead ?? 256 * 1024;
    this.cacheBlocks = opts.cacheBlocks ?? 4;
    if (this.partSize < 5 * MIB)
      throw new StoreError("the S3 part size must be at least 5 MiB", "invalid");
    // A local endpoint (AWS_ENDPOINT_URL: moto, a test) serves buckets by path, not host name.
    this.client =
      opts.client ?? new S3Client(process.env.AWS_ENDPOINT_URL ? { forcePathStyle: true } : {});
  }

  /** An AWS error as a StoreError: action, bucket, the key's ref, an AWS code. */
  private error(e: unknown, action: string, key: string): StoreError {
    if (e instanceof StoreError) return e;
    const status = statusOf(e);
    const name = (e as AwsError)?.name ?? "";
    const msg = `cannot ${action} object ${keyRef(key)} in ${this.name}: ${why(e)}`;
    if (status === 404 || ["NoSuchKey", "NotFound", "NoSuchVersion"].includes(name))
      return new StoreError(msg, "not-found");
    if (status === 403) return new StoreError(msg, "denied");
    if (status === 409) return new StoreError(msg, "conflict");
    if (status === 412) return new StoreError(msg, "version-mismatch");
    const network = status === undefined && /^E[A-Z]|^TimeoutError$/.test(why(e));
    if (network || status === 429 || (status !== undefined && status >= 500))
      return new StoreError(msg, "unavailable");
    if (status === 400) return new StoreError(msg, "invalid");
    return new StoreError(msg, "io");
  }

  private async headObject(key: string, versionId?: string): Promise<ObjectHead | undefined> {
    try {
      const h = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }),
      );
      return {
        key,
        size: h.ContentLength ?? 0,
        versionId: h.VersionId,
        etag: h.ETag ?? "",
        lastModified: h.LastModified,
        metadata: h.Metadata ?? {},
        contentType: h.ContentType,
      };
    } catch (e) {
      // A 404 with a VersionId that does not exist is a 404 too (or a 400 in some regions).
      if (statusOf(e) === 404) return undefined;
      throw this.error(e, "read", key);
    }
  }

  async head(
    key: string,
    opts: { versionId?: string; tags?: boolean } = {},
  ): Promise<ObjectHead | undefined> {
    checkKey(key);
    const h = await this.headObject(key, opts.versionId);
    if (!h || !opts.tags) return h;
    try {
      const t = await this.client.send(
        new GetObjectTaggingCommand({ Bucket: this.bucket, Key: key, VersionId: h.versionId }),
      );
      h.tags = Object.fromEntries((t.TagSet ?? []).map((x) => [x.Key ?? "", x.Value ?? ""]));
    } catch (e) {
      throw this.error(e, "read the tags of", key);
    }
    return h;
  }

  async open(key: string, opts: { versionId?: string } = {}): Promise<StoredObject> {
    checkKey(key);
    const h = await this.headObject(key, opts.versionId);
    if (!h)
      throw new StoreError(
        `cannot open object ${keyRef(key)} in ${this.name}: not found`,
        "not-found",
      );
    return new S3Object(this, h, this.readAhead, this.cacheBlocks);
  }

  /** @internal GetObject of the pinned version, for S3Object. */
  async get(h: ObjectHead, range?: string) {
    const input: GetObjectCommandInput = { Bucket: this.bucket, Key: h.key, Range: range };
    // Pin the version read: by id where the bucket has versions, else by content (ETag).
    if (h.versionId) input.VersionId = h.versionId;
    else input.IfMatch = h.etag;
    try {
      const r = await this.client.send(new GetObjectCommand(input));
      if (!r.Body)
        throw new StoreError(`object ${keyRef(h.key)} in ${this.name} has no body`, "io");
      return r.Body as Readable & { transformToByteArray(): Promise<Uint8Array> };
    } catch (e) {
      const err = this.error(e, "read", h.key);
      if (err.code === "version-mismatch")
        throw new StoreError(
          `object ${keyRef(h.key)} in ${this.name} changed while it was read`,
          "version-mismatch",
        );
      throw err;
    }
  }

  async putIfAbsent(
    key: string,
    body: Readable | Buffer,
    opts: PutOptions = {},
  ): Promise<PutResult> {
    try {
      checkKey(key);
      checkMetadata(opts.metadata);
      checkTags(opts.tags);
    } catch (e) {
      destroyBody(body);
      throw e;
    }
    const partSize = Math.max(this.partSize, Math.ceil((opts.size ?? 0) / MAX_PARTS));
    const upload = new Upload({
      client: this.client,
      partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: body,
        // Sent with PutObject and CompleteMultipartUpload; S3 ignores it on the other calls.
        IfNoneMatch: "*",
        ContentType: opts.contentType,
        Metadata: opts.metadata,
        // The tags travel with the object (x-amz-tagging on PutObject/CreateMultipartUpload), not
        // in a PutObjectTagging afterwards, which would leave an untagged object for a moment.
        Tagging: opts.tags && Object.keys(opts.tags).length ? encodeTags(opts.tags) : undefined,
        ...this.sse,
      },
    });
    try {
      const r = await upload.done();
      return { status: "created", etag: r.ETag ?? "", versionId: r.VersionId };
    } catch (e) {
      destroyBody(body);
      const status = statusOf(e);
      if (status === 412) return { status: "exists" };
      // 409 ConditionalRequestConflict: another conditional write to this key was in flight.
      // If it created the object, we lost the race; otherwise the caller writes again.
      if (status === 409 && (await this.headObject(key).catch(() => undefined)))
        return { status: "exists" };
      throw this.error(e, "write", key);
    }
  }

  async copy(from: string, to: string, opts: CopyOptions = {}): Promise<"created" | "exists"> {
    checkKey(from);
    checkKey(to);
    checkMetadata(opts.metadata);
    checkTags(opts.tags);
    // If-None-Match on CopyObject closes the race on S3; the look first also answers on
    // emulators that ignore it (moto) and saves a copy when a retry finds its own earlier one.
    // Without s3:ListBucket, S3 answers 403 for a missing key: then the condition alone decides.
    try {
      if (await this.headObject(to)) return "exists";
    } catch (e) {
      if (!(e instanceof StoreError && e.code === "denied")) throw e;
    }
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: to,
          CopySource: copySource(this.bucket, from, opts.sourceVersionId),
          CopySourceIfMatch: opts.sourceEtag,
          IfNoneMatch: "*",
          MetadataDirective: opts.metadata ? "REPLACE" : "COPY",
          Metadata: opts.metadata,
          TaggingDirective: opts.tags ? "REPLACE" : "COPY",
          Tagging: opts.tags ? encodeTags(opts.tags) : undefined,
          ...this.sse,
        }),
      );
      return "created";
    } catch (e) {
      const status = statusOf(e);
      // 412: the target appeared (If-None-Match) or the source changed (CopySourceIfMatch).
      if (status === 412 || status === 409) {
        if (await this.headObject(to)) return "exists";
        if (status === 412)
          throw new StoreError(
            `cannot copy object ${keyRef(from)} in ${this.name}: it changed since it was read`,
            "version-mismatch",
          );
      }
      throw this.error(e, "copy", from);
    }
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<"deleted" | "changed" | "absent"> {
    checkKey(key);
    try {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: key, IfMatch: opts.ifMatch }),
      );
      return "deleted";
    } catch (e) {
      const status = statusOf(e);
      if (status === 412) return "changed";
      if (status === 404) return "absent";
      throw this.error(e, "delete", key);
    }
  }

  async *list(prefix = ""): AsyncIterable<ObjectInfo> {
    checkPrefix(prefix);
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.client },
        { Bucket: this.bucket, Prefix: prefix || undefined },
      )) {
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined) continue;
          yield { key: o.Key, size: o.Size ?? 0, etag: o.ETag, lastModified: o.LastModified };
        }
      }
    } catch (e) {
      throw this.error(e, "list", prefix);
    }
  }
}

/** One version of an S3 object: ranged reads through a small LRU of read-ahead blocks. */
class S3Object implements StoredObject {
  readonly key: string;
  readonly size: number;
  readonly versionId?: string;
  readonly etag: string;
  readonly lastModified?: Date;
  readonly metadata: Record<string, string>;
  readonly contentType?: string;
  /** Most recently used first. */
  private blocks: { start: number; buf: Buffer }[] = [];

  constructor(
    private readonly store: S3ObjectStore,
    private readonly h: ObjectHead,
    private readonly readAhead: number,
    private readonly cacheBlocks: number,
  ) {
    this.key = h.key;
    this.size = h.size;
    this.versionId = h.versionId;
    this.etag = h.etag;
    this.lastModified = h.lastModified;
    this.metadata = h.metadata;
    this.contentType = h.contentType;
  }

  private async fetch(start: number, end: number): Promise<Buffer> {
    const body = await this.store.get(this.h, `bytes=${start}-${end - 1}`);
    let bytes: Uint8Array;
    try {
      bytes = await body.transformToByteArray();
    } catch (e) {
      throw new StoreError(`cannot read object ${keyRef(this.key)}: ${why(e)}`, "unavailable");
    }
    if (bytes.length !== end - start)
      throw new StoreError(`cannot read object ${keyRef(this.key)}: short read`, "io");
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, offset + Math.max(0, length));
    if (offset < 0 || end <= offset) return Buffer.alloc(0);
    for (let i = 0; i < this.blocks.length; i++) {
      const b = this.blocks[i];
      if (offset >= b.start && end <= b.start + b.buf.length) {
        if (i > 0) this.blocks.unshift(...this.blocks.splice(i, 1));
        // A copy: the caller may keep or change it without touching the cache.
        return Buffer.from(b.buf.subarray(offset - b.start, end - b.start));
      }
    }
    // Large reads (pixel data copies) go straight through and are not cached.
    if (end - offset >= this.readAhead) return this.fetch(offset, end);
    const buf = await this.fetch(offset, Math.min(this.size, offset + this.readAhead));
    this.blocks.unshift({ start: offset, buf });
    if (this.blocks.length > this.cacheBlocks) this.blocks.length = this.cacheBlocks;
    return Buffer.from(buf.subarray(0, end - offset));
  }

  stream(range: { start?: number; end?: number } = {}): Readable {
    const start = Math.max(0, range.start ?? 0);
    const end = Math.min(range.end ?? this.size, this.size);
    if (start >= end) return Readable.from([], { objectMode: false });
    const whole = start === 0 && end === this.size;
    const store = this.store;
    const h = this.h;
    // One GetObject, consumed as it arrives; destroying the stream ends the request.
    async function* chunks(): AsyncGenerator<Buffer> {
      const body = await store.get(h, whole ? undefined : `bytes=${start}-${end - 1}`);
      try {
        for await (const chunk of body) yield chunk as Buffer;
      } catch (e) {
        if (e instanceof StoreError) throw e;
        throw new StoreError(`cannot read object ${keyRef(h.key)}: ${why(e)}`, "unavailable");
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async close(): Promise<void> {
    this.blocks = [];
  }
}
