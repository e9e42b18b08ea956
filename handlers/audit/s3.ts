/**
 * The S3 Object Lock copy of the audit log: one object per checkpoint segment, named
 * `<prefix><log id>/<first seq>-<last seq>.jsonl` (12 digits each, so names sort in log order),
 * written with a SHA-256 checksum, never over an existing object (If-None-Match: *), and, when
 * configured, under an Object Lock retention. Deleting or rewriting the local file then leaves a
 * copy nobody can change, which `readS3Log` reassembles for verification.
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { sha256Hex } from "./canonical";
import { AuditLogError, awsReason } from "./errors";
import { AuditSegment, AuditSink } from "./sink";

export interface S3SinkOptions {
  bucket: string;
  /** Key prefix, e.g. "audit/" (a trailing "/" is added when missing). */
  prefix?: string;
  /** Object Lock retention in days from the upload; none when unset (the bucket default applies). */
  retainDays?: number;
  /** Object Lock mode for retainDays; default COMPLIANCE (nobody, root included, can shorten it). */
  mode?: "COMPLIANCE" | "GOVERNANCE";
  /**
   * The customer managed KMS key segments are encrypted with (SSE-KMS, bucket key on): the PHI
   * buckets' policies refuse uploads that do not ask for it. Unset: the bucket default applies.
   */
  kmsKeyId?: string;
  client?: S3Client;
}

const SEGMENT_RE = /([0-9a-f]{32})\/(\d{12})-(\d{12})\.jsonl$/;

const pad = (n: number) => String(n).padStart(12, "0");

/** `<log id>/<first seq>-<last seq>.jsonl`: where a segment goes under the prefix. */
export function segmentName(seg: Pick<AuditSegment, "log" | "first" | "last">): string {
  return `${seg.log}/${pad(seg.first)}-${pad(seg.last)}.jsonl`;
}

function normalizePrefix(prefix = ""): string {
  return prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
}

/** s3://bucket/prefix/ → {bucket, prefix}. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) throw new AuditLogError(`${url} is not an S3 location (s3://bucket/prefix/)`);
  return { bucket: m[1], prefix: normalizePrefix(m[2] ?? "") };
}

/** An S3 client for the environment; AWS_ENDPOINT_URL (a local endpoint) gets path-style URLs. */
export function s3ClientFromEnv(env: NodeJS.ProcessEnv = process.env): S3Client {
  return new S3Client({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL, forcePathStyle: true } : {}),
  });
}

/** The sink named by IMGSEC_AUDIT_S3 (s3://bucket/prefix/), if set. */
export function s3SinkFromEnv(env: NodeJS.ProcessEnv = process.env): AuditSink | undefined {
  const url = env.IMGSEC_AUDIT_S3;
  if (!url) return undefined;
  return s3Sink({ ...parseS3Url(url), kmsKeyId: env.IMGSEC_KMS_KEY_ARN || undefined });
}

const status = (e: unknown) =>
  (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

export function s3Sink(opts: S3SinkOptions): AuditSink {
  const prefix = normalizePrefix(opts.prefix);
  const client = opts.client ?? s3ClientFromEnv();
  if (opts.retainDays !== undefined && !(Number.isInteger(opts.retainDays) && opts.retainDays > 0))
    throw new AuditLogError(
      `S3 audit retainDays must be a positive integer (got ${opts.retainDays})`,
    );
  const name = `s3://${opts.bucket}/${prefix}`;
  return {
    name,
    locate: (seg) => `${name}${segmentName(seg)}`,
    async put(seg: AuditSegment): Promise<void> {
      const Key = `${prefix}${segmentName(seg)}`;
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: opts.bucket,
            Key,
            Body: seg.bytes,
            ContentType: "application/x-ndjson",
            ChecksumAlgorithm: "SHA256",
            IfNoneMatch: "*",
            ...(opts.kmsKeyId
              ? {
                  ServerSideEncryption: "aws:kms",
                  SSEKMSKeyId: opts.kmsKeyId,
                  BucketKeyEnabled: true,
                }
              : {}),
            ...(opts.retainDays
              ? {
                  ObjectLockMode: opts.mode ?? "COMPLIANCE",
                  ObjectLockRetainUntilDate: new Date(Date.now() + opts.retainDays * 86_400_000),
                }
              : {}),
          }),
        );
      } catch (e) {
        // 412: the object exists. A retry of an upload whose answer was lost finds its own bytes
        // there, which is success; anything else there is a conflict we must not paper over.
        if (status(e) !== 412) throw e;
        const existing = await getBytes(client, opts.bucket, Key);
        if (sha256Hex(existing) !== sha256Hex(seg.bytes))
          throw new AuditLogError(`${name}${segmentName(seg)} already exists with other content`);
      }
    },
  };
}

async function getBytes(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const r = await client.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }),
  );
  if (!r.Body) throw new AuditLogError(`s3://${bucket}/${key} has no body`);
  return Buffer.from(await r.Body.transformToByteArray());
}

const why = awsReason;

async function listSegments(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ key: string; log: string; first: number }[]> {
  const where = `s3://${bucket}/${prefix}`;
  const segments: { key: string; log: string; first: number }[] = [];
  try {
    let token: string | undefined;
    do {
      const r = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of r.Contents ?? []) {
        const m = o.Key ? SEGMENT_RE.exec(o.Key) : null;
        if (m) segments.push({ key: o.Key as string, log: m[1], first: Number(m[2]) });
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  } catch (e) {
    if (e instanceof AuditLogError) throw e;
    throw new AuditLogError(`cannot list ${where}: ${why(e)}`);
  }
  return segments;
}

async function concatSegments(
  client: S3Client,
  bucket: string,
  prefix: string,
  segments: { key: string; first: number }[],
): Promise<Buffer> {
  segments.sort((a, b) => a.first - b.first);
  const parts: Buffer[] = [];
  try {
    for (const s of segments) parts.push(await getBytes(client, bucket, s.key));
  } catch (e) {
    if (e instanceof AuditLogError) throw e;
    throw new AuditLogError(`cannot read s3://${bucket}/${prefix}: ${why(e)}`);
  }
  return Buffer.concat(parts);
}

/**
 * Reassembles a log from its segments under `prefix` (which may name the log id folder), in seq
 * order. A missing segment shows up in verification as deleted records.
 */
export async function readS3Log(client: S3Client, bucket: string, prefix: string): Promise<Buffer> {
  const where = `s3://${bucket}/${prefix}`;
  const segments = await listSegments(client, bucket, prefix);
  const logs = [...new Set(segments.map((s) => s.log))];
  if (logs.length === 0) throw new AuditLogError(`no audit log segments under ${where}`);
  if (logs.length > 1)
    throw new AuditLogError(
      `${where} holds ${logs.length} audit logs: name one, e.g. ${where}${logs[0]}/`,
    );
  return concatSegments(client, bucket, prefix, segments);
}

/** The log id folders directly under `prefix` (the first page is enough to name some). */
async function logFolders(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  try {
    const r = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: "/" }),
    );
    return (r.CommonPrefixes ?? [])
      .map((p) => /([0-9a-f]{32})\/$/.exec(p.Prefix ?? "")?.[1])
      .filter((x): x is string => x !== undefined);
  } catch (e) {
    throw new AuditLogError(`cannot list s3://${bucket}/${prefix}: ${why(e)}`);
  }
}

/**
 * The copy of log `logId` under `prefix` (the IMGSEC_AUDIT_S3 location), with its location. None
 * there is an error naming the logs that are: a wrong location, a log never copied, or a local
 * log that replaced the one the copy holds.
 */
export async function readS3Copy(
  client: S3Client,
  bucket: string,
  prefix: string,
  logId: string,
): Promise<{ bytes: Buffer; location: string }> {
  const folder = `${normalizePrefix(prefix)}${logId}/`;
  const location = `s3://${bucket}/${folder}`;
  const segments = await listSegments(client, bucket, folder);
  if (segments.length === 0) {
    const others = await logFolders(client, bucket, normalizePrefix(prefix));
    throw new AuditLogError(
      `no S3 copy of audit log ${logId} at ${location} (s3://${bucket}/${prefix} holds ${others.length ? `log ${others.slice(0, 3).join(", ")}${others.length > 3 ? ", ..." : ""}` : "no audit log"}): a wrong --s3 location, a log never copied, or a local log that replaced the copied one`,
    );
  }
  return { bytes: await concatSegments(client, bucket, folder, segments), location };
}

/** One segment object under a prefix, as the bucket's versions show it. */
export interface SegmentObject {
  key: string;
  /** `s3://bucket/<folder>`: the log's folder, `<...>/<log id>/`. */
  folder: string;
  log: string;
  first: number;
  last: number;
  /** The version a reader gets (for a hidden segment, the newest version under its delete marker). */
  versionId?: string;
  /** Object versions stored under the key: more than one means it was overwritten. */
  versions: number;
  /** Its newest version is a delete marker: hidden from listings (the locked version remains). */
  deleted: boolean;
}

const SEGMENT_KEY_RE = /^(.*?)([0-9a-f]{32})\/(\d{12})-(\d{12})\.jsonl$/;

/**
 * Every segment under `prefix`, from the bucket's versions (ListObjectVersions), so a segment
 * hidden by a delete marker or overwritten is seen as such; `ignored` counts other objects.
 */
export async function listSegmentObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ segments: SegmentObject[]; ignored: number }> {
  const where = `s3://${bucket}/${prefix}`;
  type Seen = { versions: { id?: string; latest: boolean }[]; marker: boolean };
  const byKey = new Map<string, Seen>();
  const seen = (key: string) => {
    let s = byKey.get(key);
    if (!s) byKey.set(key, (s = { versions: [], marker: false }));
    return s;
  };
  try {
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      const r = await client.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          Prefix: prefix,
          KeyMarker,
          VersionIdMarker,
        }),
      );
      // Versions of a key come newest first.
      for (const v of r.Versions ?? [])
        if (v.Key) seen(v.Key).versions.push({ id: v.VersionId, latest: v.IsLatest === true });
      for (const m of r.DeleteMarkers ?? []) if (m.Key && m.IsLatest) seen(m.Key).marker = true;
      KeyMarker = r.IsTruncated ? r.NextKeyMarker : undefined;
      VersionIdMarker = r.IsTruncated ? r.NextVersionIdMarker : undefined;
    } while (KeyMarker);
  } catch (e) {
    throw new AuditLogError(
      `cannot list the versions under ${where}: ${why(e)}${status(e) === 403 ? " (s3:ListBucketVersions is needed)" : ""}`,
    );
  }
  const segments: SegmentObject[] = [];
  let ignored = 0;
  for (const [key, s] of byKey) {
    const m = SEGMENT_KEY_RE.exec(key);
    if (!m || s.versions.length === 0) {
      if (s.versions.length > 0) ignored++;
      continue;
    }
    const current = s.versions.find((v) => v.latest) ?? s.versions[0];
    segments.push({
      key,
      folder: `s3://${bucket}/${m[1]}${m[2]}/`,
      log: m[2],
      first: Number(m[3]),
      last: Number(m[4]),
      versionId: current.id,
      versions: s.versions.length,
      deleted: s.marker,
    });
  }
  return { segments, ignored };
}

/** A segment's bytes (checksum-validated) and the Object Lock state S3 reports with them. */
export interface SegmentRead {
  bytes: Buffer;
  lock: { mode?: string; retainUntil?: Date; legalHold: boolean };
}

/** Reads one segment version; needs s3:GetObject (s3:GetObjectVersion for a version id), s3:GetObjectRetention, s3:GetObjectLegalHold. */
export async function readSegment(
  client: S3Client,
  bucket: string,
  seg: Pick<SegmentObject, "key" | "versionId">,
): Promise<SegmentRead> {
  try {
    const r = await client.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: seg.key,
        VersionId: seg.versionId && seg.versionId !== "null" ? seg.versionId : undefined,
        ChecksumMode: "ENABLED",
      }),
    );
    if (!r.Body) throw new AuditLogError(`s3://${bucket}/${seg.key} has no body`);
    return {
      bytes: Buffer.from(await r.Body.transformToByteArray()),
      lock: {
        mode: r.ObjectLockMode,
        retainUntil: r.ObjectLockRetainUntilDate,
        legalHold: r.ObjectLockLegalHoldStatus === "ON",
      },
    };
  } catch (e) {
    if (e instanceof AuditLogError) throw e;
    throw new AuditLogError(`cannot read s3://${bucket}/${seg.key}: ${why(e)}`);
  }
}
