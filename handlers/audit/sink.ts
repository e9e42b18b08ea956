/**
 * A checkpoint segment: the records from the one after the previous checkpoint up to and
 * including a checkpoint, exactly as they are in the local log (so a copy verifies the same way).
 */
export interface AuditSegment {
  log: string;
  first: number;
  last: number;
  bytes: Buffer;
}

/** An additional destination for checkpoint segments (the local JSONL file stays the primary). */
export interface AuditSink {
  /** For messages, e.g. "s3://bucket/prefix/". */
  readonly name: string;
  /** Stores one segment; never overwrites an existing one. */
  put(segment: AuditSegment): Promise<void>;
  /** Where `put` stores a segment, for reports (e.g. "s3://bucket/prefix/<log>/<first>-<last>.jsonl"). */
  locate?(segment: Pick<AuditSegment, "log" | "first" | "last">): string;
}
