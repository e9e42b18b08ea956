/**
 * Verifies every audit log under an S3 prefix from its segments alone: the logs of function
 * instances (one per Lambda sandbox, sealed per invocation) and the S3 copies of local logs. Per
 * log: the segments are contiguous, none hidden by a delete marker or overwritten, each under
 * Object Lock retention and holding exactly the records its name says; then the records, joined,
 * get every check of `verifyAuditLog` (HMACs, chain, checkpoint signatures). A log that ends at a
 * seal or interval checkpoint never closed (its instance was recycled): a WARN of its own, apart
 * from tampering.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { CheckResult } from "../results/result";
import { AuditHead } from "./anchor";
import { AuditLogError } from "./errors";
import { AUDIT_RULES, AuditRuleKey, result } from "./rules";
import { listSegmentObjects, readSegment, SegmentObject, SegmentRead } from "./s3";
import { AuditVerifyReport, FirstBad, verifyAuditLog, VerifyOptions } from "./verify";

export interface PrefixVerifyOptions {
  auditKey?: Buffer;
  publicKey?: VerifyOptions["publicKey"];
  /** A head kept elsewhere: held against the log it names (a FAIL if no such log is here). */
  expectHead?: AuditHead;
  /** For retention dates; default now. */
  now?: Date;
  /** Segments read at once (default 8). */
  concurrency?: number;
  onEvent?: VerifyOptions["onEvent"];
}

/** closed: ends at a close checkpoint; not-closed: ends at a seal or interval one; tampered: a FAIL. */
export type LogStatus = "closed" | "not-closed" | "tampered";

export interface PrefixLogReport {
  log: string;
  /** s3://bucket/<prefix...>/<log id>/ */
  resource: string;
  status: LogStatus;
  segments: number;
  counts: AuditVerifyReport["counts"];
  /** The log's last checkpoint: for a log that never closed, its last seal. */
  last?: { seq: number; ts: string; reason: string };
  firstBad?: FirstBad;
  firstBadMessage?: string;
  /** The object key of the segment holding the first bad record (its line counts from the log's first segment). */
  firstBadSegment?: string;
  head?: AuditHead;
}

export interface AuditPrefixReport extends AuditVerifyReport {
  /** One entry per log folder under the prefix, in key order. */
  logs: PrefixLogReport[];
  /** Segment objects read. */
  segments: number;
  /** Objects under the prefix that are not segments (not read). */
  ignored: number;
}

const NAME = (s: SegmentObject) => s.key.slice(s.key.lastIndexOf("/", s.key.length - 1) + 1);

/** Verifies every log under s3://bucket/prefix; AuditLogError (exit 2) when S3 cannot be read or holds none. */
export async function verifyS3Prefix(
  client: S3Client,
  bucket: string,
  prefix: string,
  opts: PrefixVerifyOptions = {},
): Promise<AuditPrefixReport> {
  const where = `s3://${bucket}/${prefix}`;
  const { segments, ignored } = await listSegmentObjects(client, bucket, prefix);
  if (segments.length === 0) throw new AuditLogError(`no audit log segments under ${where}`);
  const folders = new Map<string, SegmentObject[]>();
  for (const s of segments) {
    const list = folders.get(s.folder) ?? [];
    list.push(s);
    folders.set(s.folder, list);
  }
  const logs: PrefixLogReport[] = [];
  const reports: AuditVerifyReport[] = [];
  const results: CheckResult[] = [];
  for (const folder of [...folders.keys()].sort()) {
    const segs = (folders.get(folder) as SegmentObject[]).sort(
      (a, b) => a.first - b.first || a.last - b.last,
    );
    const reads = await readAll(client, bucket, segs, opts.concurrency ?? 8);
    const r = verifyLog(folder, segs, reads, opts);
    logs.push(r.log);
    reports.push(r.report);
    results.push(...r.report.results);
  }
  if (opts.expectHead && !logs.some((l) => l.log === opts.expectHead?.log))
    results.push(
      result(
        "anchor",
        "FAIL",
        where,
        `no log ${opts.expectHead.log} under ${where}, which the anchored head (seq ${opts.expectHead.seq}) names: the anchored log was removed or replaced`,
      ),
    );
  const bad = logs.findIndex((l) => l.status === "tampered");
  const one = reports.length === 1 ? reports[0] : undefined;
  const sum = (k: keyof AuditVerifyReport["counts"]) =>
    reports.reduce((n, r) => n + r.counts[k], 0);
  return {
    resource: where,
    intact: !results.some((x) => x.status === "FAIL"),
    log: one?.log,
    results,
    firstBad: bad >= 0 ? logs[bad].firstBad : undefined,
    firstBadMessage:
      bad >= 0
        ? `${logs.length > 1 ? `log ${logs[bad].log}: ` : ""}${logs[bad].firstBadMessage ?? firstFailOf(reports[bad])}`
        : undefined,
    counts: {
      lines: sum("lines"),
      records: sum("records"),
      events: sum("events"),
      checkpoints: sum("checkpoints"),
    },
    lastCheckpoint: one?.lastCheckpoint,
    head: one?.head,
    checked: { hmac: !!opts.auditKey, signatures: !!opts.publicKey },
    logs,
    segments: segments.length,
    ignored,
  };
}

const firstFailOf = (r: AuditVerifyReport) =>
  r.results.find((x) => x.status === "FAIL")?.message ?? "a check failed";

/** Reads the segments, `limit` at a time, in order. */
async function readAll(
  client: S3Client,
  bucket: string,
  segs: SegmentObject[],
  limit: number,
): Promise<SegmentRead[]> {
  const out: SegmentRead[] = new Array(segs.length);
  let next = 0;
  const worker = async () => {
    while (next < segs.length) {
      const i = next++;
      out[i] = await readSegment(client, bucket, segs[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, segs.length) }, worker));
  return out;
}

/** The seq, log id and type of a segment's first and last lines, if readable. */
function ends(bytes: Buffer): {
  first?: { seq?: unknown; log?: unknown };
  last?: { seq?: unknown; type?: unknown };
  terminated: boolean;
} {
  const terminated = bytes.length > 0 && bytes[bytes.length - 1] === 0x0a;
  const body = terminated ? bytes.subarray(0, bytes.length - 1) : bytes;
  const parse = (b: Buffer) => {
    try {
      const v = JSON.parse(b.toString("utf8"));
      return v !== null && typeof v === "object" ? v : undefined;
    } catch {
      return undefined;
    }
  };
  const nl = body.indexOf(0x0a);
  const lastNl = body.lastIndexOf(0x0a);
  return {
    first: parse(nl < 0 ? body : body.subarray(0, nl)),
    last: parse(lastNl < 0 ? body : body.subarray(lastNl + 1)),
    terminated,
  };
}

/**
 * Replaces a rule's results with `fresh`, where they stood; a FAIL of that rule is kept as it is
 * (the finding says more than the replacement would).
 */
function swap(report: AuditVerifyReport, rule: AuditRuleKey, fresh: CheckResult[]): void {
  const id = AUDIT_RULES[rule].rule;
  const results = report.results;
  if (results.some((x) => x.rule === id && x.status === "FAIL")) return;
  const at = results.findIndex((x) => x.rule === id);
  const rest = results.filter((x) => x.rule !== id);
  const pos = at < 0 ? rest.length : at;
  report.results = [...rest.slice(0, pos), ...fresh, ...rest.slice(pos)];
}

/**
 * The segment holding `seq` (for a deleted record, the first one after it): where an auditor
 * looks in the bucket.
 */
function segmentOf(segs: SegmentObject[], seq: number | undefined): string | undefined {
  if (seq === undefined) return undefined;
  return (segs.find((x) => x.first <= seq && seq <= x.last) ?? segs.find((x) => x.first > seq))
    ?.key;
}

function verifyLog(
  folder: string,
  segs: SegmentObject[],
  reads: SegmentRead[],
  opts: PrefixVerifyOptions,
): { log: PrefixLogReport; report: AuditVerifyReport } {
  const logId = segs[0].log;
  const now = (opts.now ?? new Date()).getTime();

  // The segments as objects: contiguous from seq 0, each once, holding what its name says.
  const findings: string[] = [];
  let next = 0;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    const name = NAME(s);
    if (s.first > s.last) findings.push(`segment ${name} names an empty range`);
    if (s.first > next)
      findings.push(
        `no segment holds seq ${next}-${s.first - 1} (before ${name}): a segment was deleted`,
      );
    else if (s.first < next)
      findings.push(
        `segment ${name} overlaps the one before it (seq ${s.first}-${Math.min(next - 1, s.last)} twice)`,
      );
    next = Math.max(next, s.last + 1);
    if (s.deleted)
      findings.push(
        `segment ${name} is hidden by a delete marker (deleted; its version under the marker was read)`,
      );
    if (s.versions > 1) findings.push(`segment ${name} has ${s.versions} versions: overwritten`);
    const e = ends(reads[i].bytes);
    if (!e.terminated || e.first?.seq !== s.first || e.last?.seq !== s.last)
      findings.push(`segment ${name} does not hold exactly seq ${s.first}-${s.last}`);
    else if (e.last?.type !== "checkpoint")
      findings.push(`segment ${name} does not end at a checkpoint`);
    else if (e.first?.log !== logId) findings.push(`segment ${name} holds records of another log`);
  }

  // Object Lock: COMPLIANCE (or a legal hold) in force on every segment.
  const none: string[] = [];
  const weak: string[] = [];
  const expired: string[] = [];
  let until = Infinity;
  reads.forEach((r, i) => {
    const t = r.lock.retainUntil?.getTime();
    const retained = r.lock.mode !== undefined && t !== undefined;
    if (r.lock.legalHold) return;
    if (!retained) none.push(NAME(segs[i]));
    else if ((t as number) <= now) expired.push(NAME(segs[i]));
    else if (r.lock.mode !== "COMPLIANCE") weak.push(NAME(segs[i]));
    else until = Math.min(until, t as number);
  });
  const list = (names: string[]) =>
    `${names.slice(0, 3).join(", ")}${names.length > 3 ? `, ... (${names.length})` : ""}`;

  const bytes = Buffer.concat(reads.map((r) => r.bytes));
  const head = opts.expectHead?.log === logId ? opts.expectHead : undefined;
  const report = verifyAuditLog(bytes, {
    auditKey: opts.auditKey,
    publicKey: opts.publicKey,
    // Segments end at checkpoints: where the last one ends is judged below (closed or not).
    allowOpen: true,
    resource: folder,
    expectHead: head,
    onEvent: opts.onEvent,
  });

  const records = report.counts.records;
  const lastCp = report.head;
  const endsAtCheckpoint = lastCp !== undefined && lastCp.seq === records - 1;
  const closed = endsAtCheckpoint && lastCp.reason === "close";
  // IMGSEC-AUDIT-004: closed, or not closed (WARN, with its last seal), never a FAIL for that.
  swap(report, "complete", [
    closed
      ? result(
          "complete",
          "PASS",
          folder,
          `the log ends at a signed close checkpoint (seq ${lastCp.seq}, ${lastCp.ts}) covering all ${records} records`,
        )
      : result(
          "complete",
          "WARN",
          folder,
          endsAtCheckpoint
            ? `not closed: the log ends at its last ${lastCp.reason} checkpoint, seq ${lastCp.seq} at ${lastCp.ts} (its instance was recycled, or is still running); every record up to it is signed`
            : `not closed: the log holds no signed checkpoint at its end`,
        ),
  ]);
  // IMGSEC-AUDIT-006: the bucket's versions anchor the copy when nothing can be removed unseen.
  const locked = none.length === 0 && weak.length === 0 && expired.length === 0;
  const untouched = !segs.some((s) => s.deleted || s.versions > 1);
  const headResults = report.results.filter((x) => x.rule === AUDIT_RULES.anchor.rule);
  const versionAnchor =
    locked && untouched
      ? result(
          "anchor",
          "PASS",
          folder,
          `the bucket's versions show no segment hidden by a delete marker or overwritten, and COMPLIANCE retention keeps any from being removed: a segment taken away after it was written would show`,
        )
      : result(
          "anchor",
          "WARN",
          folder,
          `the bucket's versions cannot vouch for the end of the log (see IMGSEC-AUDIT-007 and 008): a trailing segment removed without trace would look like a log that stopped there`,
        );
  // With a head for this log, its own result stays beside this one; without, this one replaces
  // the file-alone WARN ("no anchor").
  swap(report, "anchor", head ? [...headResults, versionAnchor] : [versionAnchor]);
  // IMGSEC-AUDIT-007 and 008, after the record checks.
  report.results.push(
    none.length > 0
      ? result(
          "retention",
          "FAIL",
          folder,
          `${none.length} of ${segs.length} segment(s) have no Object Lock retention or legal hold (${list(none)}): they can be deleted or overwritten`,
        )
      : expired.length > 0 || weak.length > 0
        ? result(
            "retention",
            "WARN",
            folder,
            [
              expired.length
                ? `${expired.length} segment(s) past their retention (${list(expired)})`
                : "",
              weak.length
                ? `${weak.length} segment(s) under GOVERNANCE retention, which s3:BypassGovernanceRetention lifts (${list(weak)})`
                : "",
            ]
              .filter(Boolean)
              .join("; "),
          )
        : result(
            "retention",
            "PASS",
            folder,
            `all ${segs.length} segment(s) under COMPLIANCE retention (or a legal hold)${until < Infinity ? `, the earliest until ${new Date(until).toISOString()}` : ""}`,
          ),
    findings.length > 0
      ? result(
          "segments",
          "FAIL",
          folder,
          `${findings[0]}${findings.length > 1 ? ` (and ${findings.length - 1} more)` : ""}`,
        )
      : result(
          "segments",
          "PASS",
          folder,
          `${segs.length} segment(s), seq 0-${next - 1}, contiguous, each written once and holding the records its name says`,
        ),
  );
  report.intact = !report.results.some((x) => x.status === "FAIL");
  if (!report.intact && !report.firstBadMessage && findings.length > 0)
    report.firstBadMessage = findings[0];
  return {
    report,
    log: {
      log: logId,
      resource: folder,
      status: !report.intact ? "tampered" : closed ? "closed" : "not-closed",
      segments: segs.length,
      counts: report.counts,
      last: lastCp ? { seq: lastCp.seq, ts: lastCp.ts, reason: lastCp.reason } : undefined,
      firstBad: report.firstBad,
      firstBadMessage: report.firstBadMessage,
      firstBadSegment: report.firstBad ? segmentOf(segs, report.firstBad.seq) : undefined,
      head: report.head,
    },
  };
}
