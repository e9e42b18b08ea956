import { lstatSync, rmSync } from "node:fs";
import { join } from "node:path";
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
import { commitNoClobber } from "../handlers/fs/atomic";
import {
  InputChangedError,
  ResultDigest,
  digestExisting,
  digestResult,
  writeResultTemp,
} from "./deid-files";
import { errnoCode } from "./errors";

export interface WorkerConfig {
  outDir: string;
  options: OptionName[];
  pseudonymizationKey: Buffer;
}

/**
 * How each input ends, exactly one of: de-identified (its output written by this run), duplicate
 * (an identical output is already there, from another input of this run or from before it: not
 * written again), conflict (another object already has this SOP Instance UID, with other content:
 * not written, nothing replaced), quarantined, rejected.
 */
export type DeidStatus = "deidentified" | "duplicate" | "conflict" | "quarantined" | "rejected";

/** What a duplicate or a conflict met: an input of this run (0-based), or an earlier output. */
export type Other = number | "existing";

/** What holds an output name once the input that claimed it is done (see OutputClaims). */
export interface Holder {
  digest: string;
  /** The output was in the folder before this input claimed the name (not written by it). */
  existing: boolean;
}

export interface FileOutcome {
  status: DeidStatus;
  reason?: string;
  /**
   * The output file of this object's SOP Instance UID: written by this input (deidentified), or
   * already there (duplicate: same bytes; conflict: other bytes).
   */
  output?: string;
  /** duplicate, conflict: the other object. */
  other?: Other;
  /** Only for the input that held the claim on `output`: what is there now. */
  holder?: Holder;
  /**
   * This file's audit record, built and validated against the audit schema before its output was
   * written: an output never exists without a record the log accepts. It names the object by new
   * UID (or, for a kept UID, a keyed digest of it) and patient pseudonym, never by input values.
   */
  audit: AuditEvent;
  bytesIn: number;
  bytesOut: number;
}

/** The run's answer to "may this input write `name`, with this digest?". */
export type ClaimAnswer =
  | { write: true }
  | { write: false; status: "duplicate" | "conflict"; other: Other };

export interface DeidHooks {
  /** Called after de-identification, before the output is written (e.g. to save the mapping). */
  beforeCommit?: () => void;
  /**
   * Asks the run (the main thread, one registry for every worker) whether this input may write
   * `name`. Without it, only the file system decides (the no-clobber commit still holds).
   */
  claim?: (name: string, digest: string) => Promise<ClaimAnswer>;
}

/** Messages from a worker thread to the main thread. */
export type WorkerMessage =
  | { type: "claim"; index: number; name: string; digest: string }
  | { type: "outcome"; index: number; outcome: FileOutcome };

/**
 * The run's register of output names, kept by the main thread: the first input to claim a name
 * writes it, and holds it until its outcome is reported (settle); an input that claims a name
 * meanwhile waits, then is told duplicate (same digest as what holds the name) or conflict. JS
 * runs this on one thread, so the check and the claim are one step; on disk, commitNoClobber
 * makes the final step exclusive against other processes and earlier runs.
 */
export class OutputClaims {
  private readonly held = new Map<string, { digest: string; other: Other }>();
  private readonly busy = new Map<string, Promise<void>>();
  private readonly owners = new Map<number, { name: string; release: () => void }>();

  async claim(index: number, name: string, digest: string): Promise<ClaimAnswer> {
    for (let b = this.busy.get(name); b; b = this.busy.get(name)) await b;
    const h = this.held.get(name);
    if (h)
      return {
        write: false,
        status: h.digest === digest ? "duplicate" : "conflict",
        other: h.other,
      };
    let release!: () => void;
    this.busy.set(name, new Promise<void>((r) => (release = r)));
    this.owners.set(index, { name, release });
    return { write: true };
  }

  /**
   * Ends input `index`'s claim, if it held one: `holder` is what is at the name now (its own
   * output, or an earlier output it found there); none (a failure) leaves the name free.
   */
  settle(index: number, holder?: Holder): void {
    const o = this.owners.get(index);
    if (!o) return;
    this.owners.delete(index);
    if (holder)
      this.held.set(o.name, { digest: holder.digest, other: holder.existing ? "existing" : index });
    this.busy.delete(o.name);
    o.release();
  }
}

type Deidentified = Extract<DeidResult, { status: "deidentified" }>;

const OUTCOME = {
  deidentified: "ok",
  duplicate: "ok",
  conflict: "refused",
  quarantined: "refused",
  rejected: "failed",
} as const;

function event(
  status: DeidStatus,
  options: number,
  objects: AuditObject[],
  existing?: boolean,
): AuditEvent {
  return {
    op: "deid",
    outcome: OUTCOME[status],
    objects,
    details: { status, options, ...(existing !== undefined ? { existing } : {}) },
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

/** Fixed, PHI-free reasons of duplicates and conflicts, by whether the other was an input. */
export const SAME_UID_REASONS = {
  duplicate: {
    input: "identical to another input",
    existing: "identical to an output already in the folder",
  },
  conflict: {
    input: "same SOP Instance UID as another input, other content",
    existing: "same SOP Instance UID as an output already in the folder, other content",
  },
} as const;

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

/** An output file that could not be written (or the input changed while read): that input fails. */
function writeFailure(config: WorkerConfig, e: unknown, bytesIn: number): FileOutcome {
  if (e instanceof InputChangedError) return failed(config, "rejected", e.message, bytesIn);
  const code = errnoCode(e);
  return failed(config, "rejected", `cannot write the output${code ? ` (${code})` : ""}`, bytesIn);
}

function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

const writeAnyway = async (): Promise<ClaimAnswer> => ({ write: true });

/**
 * De-identifies one file and writes its output, unless its output name is taken (duplicate or
 * conflict: nothing written, nothing replaced); never throws for bad input (a reason instead).
 */
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
    const objects = objectsOf(result, config.pseudonymizationKey);
    const audit = event("deidentified", config.options.length, objects);
    try {
      validateEvent(audit);
    } catch {
      // Fail closed: no output whose record the audit log would refuse. (The duplicate and
      // conflict records name the same objects.)
      return failed(
        config,
        "rejected",
        "the audit record for this object would be refused",
        src.size,
      );
    }
    hooks.beforeCommit?.();
    return await place(path, result, config, objects, audit, src.size, hooks.claim ?? writeAnyway);
  } finally {
    await src.close();
  }
}

/**
 * Puts a result in the output folder under its name, never over another file: claims the name
 * from the run, then commits with no clobber; a name already taken (by this run or an earlier
 * one, or another process) makes the input a duplicate (same bytes) or a conflict.
 */
async function place(
  path: string,
  result: Deidentified,
  config: WorkerConfig,
  objects: AuditObject[],
  audit: AuditEvent,
  bytesIn: number,
  claim: (name: string, digest: string) => Promise<ClaimAnswer>,
): Promise<FileOutcome> {
  const name = outputName(result.sopInstanceUid);
  const target = join(config.outDir, name);
  const sameUid = (
    status: "duplicate" | "conflict",
    other: Other,
    holder?: Holder,
  ): FileOutcome => ({
    status,
    reason: SAME_UID_REASONS[status][other === "existing" ? "existing" : "input"],
    output: name,
    other,
    ...(holder ? { holder } : {}),
    audit: event(status, config.options.length, objects, other === "existing"),
    bytesIn,
    bytesOut: 0,
  });
  let tmp: string | undefined;
  try {
    // A name already there (a run resumed, a folder reused): its digest, without writing.
    let produced: ResultDigest;
    if (present(target)) produced = await digestResult(path, result);
    else ({ tmp, ...produced } = await writeResultTemp(path, result, target));
    const answer = await claim(name, produced.digest);
    if (!answer.write) return sameUid(answer.status, answer.other);
    // This input holds the name in the run until its outcome (with `holder`) is reported.
    for (let attempt = 0; ; attempt++) {
      if (tmp !== undefined && commitNoClobber(tmp, target, { mode: 0o644 }) === "committed") {
        tmp = undefined;
        return {
          status: "deidentified",
          output: name,
          holder: { digest: produced.digest, existing: false },
          audit,
          bytesIn,
          bytesOut: produced.bytes,
        };
      }
      // Taken: by an earlier run, or by another process since the check.
      const there = await digestExisting(target);
      if (there !== undefined || attempt >= 2) {
        const status = there === produced.digest ? "duplicate" : "conflict";
        return sameUid(status, "existing", { digest: there ?? "unreadable", existing: true });
      }
      // What was there is gone (removed meanwhile): this input's output goes in its place.
      tmp ??= (await writeResultTemp(path, result, target)).tmp;
    }
  } catch (e) {
    // An output that could not be written is a failure of this file, not of the run.
    return writeFailure(config, e, bytesIn);
  } finally {
    if (tmp !== undefined) rmSync(tmp, { force: true });
  }
}
