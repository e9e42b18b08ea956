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
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { sha256Hex } from "./canonical";
import { AuditLogError } from "./errors";
import { AuditSegment, AuditSink } from "./sink";

export interface S3SinkOptions {
  bucket: string;
  /** Key prefix, e.g. "audit/" (a trailing "/" is added when missing). */
  prefix?: string;
  /** Object Lock retention in days from the upload; none when unset (the bucket default applies). */
  retainDays?: number;
  /** Object Lock mode for retainDays; default COMPLIANCE (nobody, root included, can shorten it). */
  mode?: "COMPLIANCE" | "GOVERNANCE";
  client?: S3Client;
}

const SEGMENT_RE = /([0-9a-f]{32})\/(\d{12})-(\d{12})\.jsonl$/;

const pad = (n: number) => String(n).padStart(12, "0");

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
  return s3Sink(parseS3Url(url));
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
    async put(seg: AuditSegment): Promise<void> {
      const Key = `${prefix}${seg.log}/${pad(seg.first)}-${pad(seg.last)}.jsonl`;
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: opts.bucket,
            Key,
            Body: seg.bytes,
            ContentType: "application/x-ndjson",
            ChecksumAlgorithm: "SHA256",
            IfNoneMatch: "*",
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
          throw new AuditLogError(
            `${name}${seg.log}/${pad(seg.first)}-${pad(seg.last)}.jsonl already exists with other content`,
          );
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

/** Why an AWS call failed, in a few words: an HTTP status, a network error code, or the SDK's name. */
function why(e: unknown): string {
  // The SDK sometimes wraps a network error, leaving its code only in the message.
  const code =
    (e as NodeJS.ErrnoException)?.code ??
    /\b(E[A-Z][A-Z0-9_]{2,})\b/.exec(String((e as Error)?.message))?.[1];
  const http = status(e);
  const name = (e as Error)?.name ?? "error";
  return code ? code : http ? `${name} (HTTP ${http})` : name;
}

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
