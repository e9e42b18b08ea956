/**
 * Lambda entry point of the pipeline (modules/pipeline): Step Functions passes one object
 * (`{bucket, key, versionId}`, steady traffic) or a batch (`{Items, BatchInput}`, the backfill's
 * Distributed Map with ItemBatcher). Each object goes through the shared job (handlers/job); the
 * invocation's audit records are sealed to the Object Lock bucket before it reports success.
 *
 * What leaves this function is PHI-free: results are outcome codes, new UIDs, package names and
 * digests; errors are an error name and a fixed message (AWS error messages can quote an object
 * key, and keys can hold patient names); logs go through the PHI-safe formatter.
 */
import type { Context } from "aws-lambda";
import { createLogger } from "./observability/log";
import { type CountedOutcome, countOutcome, createMetrics } from "./observability/metrics";
import { type Pipeline, pipelineFromEnv } from "./job/aws";
import { type JobResult, TransientError, processObject } from "./job/process";

const logger = createLogger(process.env.POWERTOOLS_SERVICE_NAME || "imgsec-pipeline");
const metrics = createMetrics(process.env.POWERTOOLS_SERVICE_NAME || "imgsec-pipeline");

/** One object's result as Step Functions keeps it (execution history, backfill results). */
export interface ObjectResult {
  outcome: JobResult["outcome"] | "skipped";
  uid?: string;
  package?: string;
  digest?: string;
  reason?: string;
}

/** An error as it leaves the function: its name (Step Functions matches on it), a fixed message. */
export class PipelineError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface Item {
  key: string;
  versionId?: string;
  /** Outside the incoming prefix (an inventory lists the whole bucket): not ours to process. */
  skip?: boolean;
}

const str = (v: unknown, max: number): v is string =>
  typeof v === "string" && v.length > 0 && v.length <= max;

/** The objects of an event, checked; a malformed event is refused without quoting it. */
export function itemsOf(
  event: unknown,
  settings: { rawBucket: string; incomingPrefix: string },
): { items: Item[]; batch: boolean } {
  const bad = () =>
    new PipelineError("InvalidEvent", "the event is not an object reference or a batch of them");
  if (!event || typeof event !== "object") throw bad();
  const e = event as Record<string, unknown>;
  const batch = Array.isArray(e.Items);
  const raw = batch ? (e.Items as unknown[]) : [event];
  const urlKeys =
    batch &&
    typeof e.BatchInput === "object" &&
    (e.BatchInput as Record<string, unknown> | null)?.keyEncoding === "url";
  if (raw.length === 0 || raw.length > 1000) throw bad();
  const items = raw.map((r): Item => {
    if (!r || typeof r !== "object") throw bad();
    const o = r as Record<string, unknown>;
    // Listings name the key `Key`; our own events `key`.
    const bucket = o.bucket ?? o.Bucket;
    let key = o.key ?? o.Key;
    const versionId = o.versionId ?? o.VersionId;
    if (bucket !== undefined && bucket !== settings.rawBucket)
      throw new PipelineError(
        "InvalidEvent",
        "the event names a bucket this pipeline does not process",
      );
    if (!str(key, 1024) || (versionId !== undefined && versionId !== null && !str(versionId, 1024)))
      throw bad();
    if (urlKeys) {
      try {
        key = decodeURIComponent(key.replace(/\+/g, " "));
      } catch {
        throw bad();
      }
    }
    const k = key as string;
    return {
      key: k,
      ...(typeof versionId === "string" ? { versionId } : {}),
      ...(k.startsWith(settings.incomingPrefix) ? {} : { skip: true }),
    };
  });
  return { items, batch };
}

let pipeline: Promise<Pipeline> | undefined;

/** Built on the first invocation of a sandbox and kept; a failed build is tried again next time. */
function current(): Promise<Pipeline> {
  pipeline ??= pipelineFromEnv(process.env).catch((e) => {
    pipeline = undefined;
    throw e;
  });
  return pipeline;
}

/** The error to let out: a known name and a fixed message, never the original text. */
function outward(e: unknown): PipelineError {
  if (e instanceof PipelineError) return e;
  if (e instanceof TransientError) return new PipelineError("TransientError", e.message);
  const name = (e as { name?: unknown })?.name;
  const safe =
    typeof name === "string" && /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name) ? name : "Error";
  return new PipelineError(
    safe,
    `${safe}: the object could not be processed; see the function's logs`,
  );
}

export async function handler(
  event: unknown,
  context?: Context,
): Promise<ObjectResult | { results: ObjectResult[] }> {
  if (context) logger.addContext(context);
  let p: Pipeline;
  try {
    p = await current();
  } catch (e) {
    logger.error("cold start failed", e as Error);
    throw outward(e);
  }
  const { items, batch } = itemsOf(event, p.settings);
  const results: ObjectResult[] = [];
  let failure: unknown;
  for (const [position, item] of items.entries()) {
    if (item.skip) {
      results.push({ outcome: "skipped", reason: "outside-incoming-prefix" });
      continue;
    }
    const started = Date.now();
    try {
      const r = await processObject({ key: item.key, versionId: item.versionId }, p.context);
      countOutcome(metrics, r.outcome as CountedOutcome, r.bytes);
      logger.info("object done", {
        position,
        outcome: r.outcome,
        // Only the fields this outcome has: the formatter counts an absent one as withheld.
        ...(r.uid ? { uid: r.uid } : {}),
        ...(r.digest ? { digest: r.digest } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
        bytes: r.bytes,
        durationMs: Date.now() - started,
      });
      results.push({
        outcome: r.outcome,
        ...(r.uid ? { uid: r.uid } : {}),
        ...(r.package ? { package: r.package } : {}),
        ...(r.digest ? { digest: r.digest } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
      });
    } catch (e) {
      countOutcome(metrics, "failed");
      logger.error("object failed", { position, error: e });
      failure = e;
      break; // the batch is retried whole (the job is idempotent)
    }
  }
  // Every record of this invocation is durable before it reports anything, failure included.
  try {
    await p.audit.seal();
  } catch (e) {
    logger.error("audit seal failed", e as Error);
    failure ??= new TransientError("audit-seal");
  } finally {
    metrics.publishStoredMetrics();
  }
  if (failure !== undefined) throw outward(failure);
  return batch ? { results } : results[0];
}
