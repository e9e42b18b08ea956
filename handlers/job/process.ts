/**
 * The per-object job, the same in Lambda and in `imgsec run`: read one identified DICOM object
 * from a store, de-identify it, encrypt it into a package written to the package store (never
 * over another), record the audit events, and route what cannot be packaged to quarantine. The
 * de-identified bytes exist only as the engine's result (handlers/job/output.ts) streamed into the
 * ESDK: no plaintext is written anywhere.
 *
 * Idempotent: the package is named by the new SOP Instance UID and carries, in its metadata, a
 * keyed digest of where it came from (store, key, version) and of its plaintext. Running the same
 * object again finds its own package ("already-packaged", nothing written); another input with the
 * same content is a duplicate; another input with the same UID and other content is a conflict,
 * quarantined, never written over the first. Concurrent runs race on the store's conditional
 * create, and the loser is told apart the same way.
 */
import { createHmac, hkdfSync } from "node:crypto";
import type { KeyringNode } from "@aws-crypto/client-node";
import type { AuditEvent, AuditObject } from "../audit/schema";
import { validateEvent } from "../audit/schema";
import { PRODUCER } from "../crypto/version";
import { buildContext } from "../crypto/context";
import { packageStream } from "../crypto/stream";
import { pixelDigestKey } from "../crypto/pixel-digest";
import type { SuiteChoice } from "../crypto/package";
import {
  type DeidResult,
  NotDeidentifiedError,
  type OptionName,
  deidentify,
  inspectDeidentified,
  policyDetails,
} from "../dicom";
import { retainedUidDigest } from "../dicom/audit-ref";
import type { Metadata, ObjectHead, ObjectStore, StoredObject } from "../store/types";
import { StoreError } from "../store/types";
import { quarantine } from "../store/quarantine";
import { zeroize } from "../keys/keyfile";
import { DeidentifiedOutput, SourceChangedError } from "./output";

export const PACKAGE_EXT = ".imgsec";

/** Every input ends as exactly one of these. */
export const JOB_OUTCOMES = [
  "packaged",
  "already-packaged",
  "duplicate",
  "conflict",
  "quarantined",
  "rejected",
] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

/** What a job reports: codes, new UIDs and digests only (no key, no name, no free text). */
export interface JobResult {
  outcome: JobOutcome;
  /** The new SOP Instance UID (absent for retain-uids, where it could identify, and failures). */
  uid?: string;
  /** The package's name in the package store. */
  package?: string;
  /** The package's SHA-256 (packaged only: an existing package is not read back). */
  digest?: string;
  /** A reason code (kebab-case), for everything but packaged. */
  reason?: string;
  /** Input bytes. */
  bytes: number;
}

/**
 * A failure worth retrying (throttling, a service or network error): Step Functions retries on
 * this error name; the CLI reports the input as failed.
 */
export class TransientError extends Error {
  constructor(readonly code: string) {
    super(`transient failure (${code}): retry later`);
    this.name = "TransientError";
  }
}

export interface ObjectRef {
  key: string;
  /** The version to process (S3 VersionId); the current one when absent. */
  versionId?: string;
}

export interface JobContext {
  /** Identified objects. */
  source: ObjectStore;
  /** Names the source in the idempotency key (an S3 bucket name; locally, the input folder). */
  sourceName: string;
  /** Where packages go, under `packagePrefix`. */
  packages: ObjectStore;
  packagePrefix: string;
  /** Refused inputs are moved here in the source store; when unset they stay where they are. */
  quarantinePrefix?: string;
  dataset: string;
  options: OptionName[];
  /** 32 bytes; the job derives its digests' keys from it and zeroes those copies. */
  pseudonymizationKey: Buffer;
  keyring: KeyringNode;
  suite?: SuiteChoice;
  frameLength?: number;
  /** Appends one audit event (validated first: an event the log would refuse fails the job). */
  audit(event: AuditEvent): Promise<unknown>;
}

const OUTCOME_AUDIT = {
  packaged: "ok",
  "already-packaged": "ok",
  duplicate: "ok",
  conflict: "refused",
  quarantined: "refused",
  rejected: "failed",
} as const;

/** The engine's fixed reasons as codes: tags and logs hold codes, never sentences. */
export function reasonCode(reason: string): string {
  const code = reason
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64)
    .replace(/-+$/, "");
  return /^[a-z]/.test(code) ? code : `r-${code}`.slice(0, 64);
}

/** A key derived from the pseudonymization key for one purpose (HKDF-SHA256, no salt). */
function derive(key: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), info, 32));
}

/** Keyed digests of the output: the pixel digest of the package context, and of everything. */
async function digests(
  out: DeidentifiedOutput,
  pixel: { start: number; end: number } | null,
  key: Buffer,
): Promise<{ pixel: string; content: string }> {
  // The same key as `imgsec encrypt`'s pixel digest: the packages' contexts agree.
  const pixelKey = pixelDigestKey(key);
  const contentKey = derive(key, "imgsec/content-digest/v1");
  try {
    const px = createHmac("sha256", pixelKey);
    const all = createHmac("sha256", contentKey);
    let at = 0;
    for await (const chunk of out.chunks()) {
      all.update(chunk);
      if (pixel) {
        const a = Math.max(pixel.start, at) - at;
        const b = Math.min(pixel.end, at + chunk.length) - at;
        if (b > a) px.update(chunk.subarray(a, b));
      }
      at += chunk.length;
    }
    return { pixel: px.digest("hex"), content: all.digest("hex") };
  } finally {
    zeroize(pixelKey);
    zeroize(contentKey);
  }
}

/** Where an input came from, as a keyed digest (keys may hold PHI; versions pin the bytes). */
function sourceDigest(ctx: JobContext, ref: ObjectRef, opened: StoredObject): string {
  const key = derive(ctx.pseudonymizationKey, "imgsec/source-digest/v1");
  try {
    return createHmac("sha256", key)
      .update(`${ctx.sourceName}\n${ref.key}\n${opened.versionId ?? opened.etag}`)
      .digest("hex");
  } finally {
    zeroize(key);
  }
}

const META = { source: "imgsec-source", content: "imgsec-content" } as const;

/** What is already at the package's name, compared with this input. */
function compare(
  head: ObjectHead,
  source: string,
  content: string,
): "already-packaged" | "duplicate" | "conflict" {
  if (head.metadata[META.source] === source && head.metadata[META.content] === content)
    return "already-packaged";
  return head.metadata[META.content] === content ? "duplicate" : "conflict";
}

/** A store or KMS failure as the job reports it: retryable ones become TransientError. */
function classify(e: unknown): unknown {
  if (e instanceof StoreError) return e.retryable ? new TransientError(e.code) : e;
  const name = (e as { name?: unknown })?.name;
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (
    typeof name === "string" &&
    /^(ThrottlingException|KMSInternalException|DependencyTimeoutException|ServiceUnavailable|RequestTimeout|TimeoutError|NetworkingError)$/.test(
      name,
    )
  )
    return new TransientError(name);
  if (status !== undefined && status >= 500) return new TransientError(`http-${status}`);
  const code = (e as { code?: unknown })?.code;
  if (
    typeof code === "string" &&
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN)$/.test(code)
  )
    return new TransientError(code);
  return e;
}

export async function processObject(ref: ObjectRef, ctx: JobContext): Promise<JobResult> {
  let src: StoredObject;
  try {
    src = await ctx.source.open(ref.key, ref.versionId ? { versionId: ref.versionId } : {});
  } catch (e) {
    if (e instanceof StoreError && (e.code === "not-found" || e.code === "version-mismatch")) {
      await record(ctx, "rejected", [], { reason: "source-missing" });
      return { outcome: "rejected", reason: "source-missing", bytes: 0 };
    }
    throw classify(e);
  }
  try {
    return await run(ref, src, ctx);
  } catch (e) {
    throw classify(e);
  } finally {
    await src.close();
  }
}

async function run(ref: ObjectRef, src: StoredObject, ctx: JobContext): Promise<JobResult> {
  const bytes = src.size;
  const result: DeidResult = await deidentify(src, {
    options: ctx.options,
    pseudonymizationKey: ctx.pseudonymizationKey,
    patientIdentity: { mode: "hmac" },
  });
  if (result.status !== "deidentified")
    return refuse(ctx, ref, src, result.status, reasonCode(result.reason), [], bytes);

  const objects: AuditObject[] = [
    result.uidsRetained
      ? {
          kind: "retained-instance",
          digest: retainedUidDigest(ctx.pseudonymizationKey, result.sopInstanceUid),
        }
      : { kind: "instance", uid: result.sopInstanceUid },
    { kind: "patient", pseudonym: result.patientPseudonym },
  ];
  const uid = result.uidsRetained ? undefined : result.sopInstanceUid;
  const out = new DeidentifiedOutput(src, result.parts);
  let facts;
  try {
    facts = await inspectDeidentified(out);
  } catch (e) {
    // Our own output not reading back as de-identified would be an engine defect: never packaged.
    if (e instanceof NotDeidentifiedError)
      return refuse(ctx, ref, src, "rejected", "output-unreadable", [], bytes);
    throw e;
  }
  const pixel = facts.pixel ? { start: facts.pixel.valueStart, end: facts.pixel.end } : null;
  let d;
  try {
    d = await digests(out, pixel, ctx.pseudonymizationKey);
  } catch (e) {
    if (e instanceof SourceChangedError)
      return refuse(ctx, ref, src, "rejected", "source-changed", [], bytes);
    throw e;
  }
  const source = sourceDigest(ctx, ref, src);
  const name = `${ctx.packagePrefix}${result.sopInstanceUid}${PACKAGE_EXT}`;
  const base = { uid, package: name, bytes };

  // The name may be taken already: a rerun, a duplicate, or a conflict.
  const there = await ctx.packages.head(name);
  if (there) return settle(ctx, ref, src, compare(there, source, d.content), objects, base, source);

  const context = buildContext({
    datasetId: ctx.dataset,
    modality: facts.modality,
    policyHash: facts.policyHash,
    pixelDigest: d.pixel,
    producer: PRODUCER,
  });
  const suite = ctx.suite ?? "signed";
  // Validated before anything is written: no package may lack a record the log accepts.
  const deidEvent = event(ctx, "packaged", objects, {
    source,
    masked: result.pixelsMasked,
    pseudonyms: "keyed-hmac",
  });
  validateEvent(deidEvent);
  const stream = packageStream(out.chunks(), {
    keyring: ctx.keyring,
    context,
    suite,
    frameLength: ctx.frameLength,
  });
  const metadata: Metadata = { [META.source]: source, [META.content]: d.content };
  let put;
  try {
    put = await ctx.packages.putIfAbsent(name, stream.body, {
      metadata,
      contentType: "application/octet-stream",
    });
  } catch (e) {
    await stream.written.catch(() => undefined);
    // When the ESDK fails (KMS throttled, refusing or unreachable as it makes the data key) the
    // upload fails with it, and the store can only report an S3 write error: the error the package
    // stream ended in is the cause, and it decides whether a retry can help.
    throw stream.body.errored ?? e;
  }
  if (put.status === "exists") {
    // Another run wrote this name meanwhile: told apart like one found before.
    await stream.written.catch(() => undefined);
    const now = await ctx.packages.head(name);
    if (!now) throw new TransientError("package-vanished");
    return settle(ctx, ref, src, compare(now, source, d.content), objects, base, source);
  }
  const written = await stream.written;
  await ctx.audit(deidEvent);
  await ctx.audit({
    op: "encrypt",
    outcome: "ok",
    objects: [
      objects[0],
      { kind: "package", digest: written.digest },
      { kind: "dataset", id: ctx.dataset },
    ],
    details: { suite, bytes: written.size },
  });
  return { outcome: "packaged", ...base, digest: written.digest };
}

/** A name already taken: a rerun (nothing new), a duplicate, or a conflict (quarantined). */
async function settle(
  ctx: JobContext,
  ref: ObjectRef,
  src: StoredObject,
  how: "already-packaged" | "duplicate" | "conflict",
  objects: AuditObject[],
  base: { uid?: string; package: string; bytes: number },
  source: string,
): Promise<JobResult> {
  if (how === "conflict")
    return refuse(ctx, ref, src, "conflict", "same-uid-other-content", objects, base.bytes);
  // A rerun is recorded too (details.status tells it apart): the run that wrote the package may
  // have ended before its records were sealed, and no package may lack its record.
  await record(ctx, how, objects, { source });
  return { outcome: how, ...base, reason: how === "duplicate" ? "identical-content" : undefined };
}

/** Quarantines (when the context says where) and records a refused input. */
async function refuse(
  ctx: JobContext,
  ref: ObjectRef,
  src: StoredObject,
  outcome: "quarantined" | "rejected" | "conflict",
  reason: string,
  objects: AuditObject[],
  bytes: number,
): Promise<JobResult> {
  if (ctx.quarantinePrefix !== undefined)
    await quarantine(ctx.source, ref.key, {
      reason,
      versionId: src.versionId,
      etag: src.etag,
      prefix: ctx.quarantinePrefix,
    });
  await record(ctx, outcome, objects, { reason });
  return { outcome, reason, bytes };
}

function event(
  ctx: JobContext,
  status: JobOutcome,
  objects: AuditObject[],
  details: Record<string, string | boolean>,
): AuditEvent {
  return {
    op: "deid",
    outcome: OUTCOME_AUDIT[status],
    objects,
    // The policy and option set name the run's profile and CID 7050 codes in the report.
    details: {
      status,
      options: ctx.options.length,
      ...policyDetails(ctx.options),
      dataset: ctx.dataset,
      ...details,
    },
  };
}

async function record(
  ctx: JobContext,
  status: JobOutcome,
  objects: AuditObject[],
  details: Record<string, string>,
): Promise<void> {
  await ctx.audit(event(ctx, status, objects, details));
}
