import {
  DeidResult,
  deidentify,
  fileSource,
  outputName,
  OptionName,
  PseudonymMapping,
  retainedUidDigest,
} from "../handlers/dicom";
import { AuditEvent, AuditObject, validateEvent } from "../handlers/audit/schema";
import { InputChangedError, writeResult } from "./deid-files";
import { errnoCode } from "./errors";

export interface WorkerConfig {
  outDir: string;
  options: OptionName[];
  pseudonymizationKey: Buffer;
}

export interface FileOutcome {
  status: "deidentified" | "quarantined" | "rejected";
  reason?: string;
  output?: string;
  /**
   * This file's audit record, built and validated against the audit schema before its output was
   * written: an output never exists without a record the log accepts. It names the object by new
   * UID (or, for a kept UID, a keyed digest of it) and patient pseudonym, never by input values.
   */
  audit: AuditEvent;
  bytesIn: number;
  bytesOut: number;
}

export interface DeidHooks {
  /** Called after de-identification, before the output is written (e.g. to save the mapping). */
  beforeCommit?: () => void;
}

type Deidentified = Extract<DeidResult, { status: "deidentified" }>;

function event(status: FileOutcome["status"], options: number, objects: AuditObject[]): AuditEvent {
  return {
    op: "deid",
    outcome: status === "deidentified" ? "ok" : status === "quarantined" ? "refused" : "failed",
    objects,
    details: { status, options },
  };
}

/** The object references of a de-identified result: never a UID the input had. */
function objectsOf(result: Deidentified, key: Buffer): AuditObject[] {
  return [
    result.uidsRetained
      ? { kind: "retained-instance", digest: retainedUidDigest(key, result.sopInstanceUid) }
      : { kind: "instance", uid: result.sopInstanceUid },
    { kind: "patient", pseudonym: result.patientPseudonym },
  ];
}

const failed = (
  config: WorkerConfig,
  status: "quarantined" | "rejected",
  reason: string,
  bytesIn: number,
): FileOutcome => ({
  status,
  reason,
  audit: event(status, config.options.length, []),
  bytesIn,
  bytesOut: 0,
});

/** De-identifies one file and writes its output; never throws for bad input (a reason instead). */
export async function deidentifyPath(
  path: string,
  config: WorkerConfig,
  mapping?: PseudonymMapping,
  hooks: DeidHooks = {},
): Promise<FileOutcome> {
  let src;
  try {
    src = await fileSource(path);
  } catch (e) {
    const code = errnoCode(e);
    return failed(config, "rejected", `cannot read the file${code ? ` (${code})` : ""}`, 0);
  }
  try {
    const result = await deidentify(src, {
      options: config.options,
      pseudonymizationKey: config.pseudonymizationKey,
      patientIdentity: mapping ? { mode: "mapping", mapping } : { mode: "hmac" },
    });
    if (result.status !== "deidentified")
      return failed(config, result.status, result.reason, src.size);
    const audit = event(
      "deidentified",
      config.options.length,
      objectsOf(result, config.pseudonymizationKey),
    );
    try {
      validateEvent(audit);
    } catch {
      // Fail closed: no output whose record the audit log would refuse.
      return failed(
        config,
        "rejected",
        "the audit record for this object would be refused",
        src.size,
      );
    }
    hooks.beforeCommit?.();
    const name = outputName(result.sopInstanceUid);
    let bytesOut: number;
    try {
      bytesOut = await writeResult(path, result, config.outDir, name);
    } catch (e) {
      // An output that could not be written is a failure of this file, not of the run.
      if (e instanceof InputChangedError) return failed(config, "rejected", e.message, src.size);
      const code = errnoCode(e);
      return failed(
        config,
        "rejected",
        `cannot write the output${code ? ` (${code})` : ""}`,
        src.size,
      );
    }
    return { status: "deidentified", output: name, audit, bytesIn: src.size, bytesOut };
  } finally {
    await src.close();
  }
}
