import { closeSync, lstatSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  DeidResult,
  deidentify,
  outputName,
  OptionName,
  PseudonymMapping,
  policyDetails,
  retainedUidDigest,
} from "../dicom";
import { AuditEvent, AuditObject, validateEvent } from "../audit/schema";
import { DirSync, commitNoClobberDurably } from "../fs/atomic";
import {
  InputChangedError,
  InputFile,
  digestExisting,
  digestResult,
  openInput,
  writeResultTemp,
} from "./deid-output";
import { errnoCode } from "../fs/errors";

export interface WorkerConfig {
  outDir: string;
  options: OptionName[];
  pseudonymizationKey: Buffer;
  /** The names in the output folder before the run (outputFolderNames); looked up on disk without. */
  existingNames?: Set<string>;
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

/**
 * A digest (sha256:<hex>) of an output's bytes, or how to get it: outputs are hashed only when
 * their name is claimed twice, the one case where bytes are compared.
 */
export type DigestOf = string | (() => string | Promise<string>);

/** What holds an output name once the input that claimed it is done (see OutputClaims). */
export interface Holder {
  /**
   * Absent for an output this run wrote: it is hashed from the output folder (where nothing
   * replaces it) only if another input claims its name.
   */
  digest?: string;
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
   * `name`; `digest` gives this input's output digest, asked for only if the name is taken.
   * Without it, only the file system decides (the no-clobber commit still holds).
   */
  claim?: (name: string, digest: () => string) => Promise<ClaimAnswer>;
  /**
   * Called with the size of the output as its write starts (the write and then the fsync are
   * under way on the thread pool): the runner bounds the bytes on their way to the disk.
   */
  written?: (bytes: number) => void;
}

/** Messages from a worker thread to the main thread. */
export type WorkerMessage =
  | { type: "claim"; index: number; name: string }
  | { type: "outcome"; index: number; outcome: FileOutcome };

/** The main thread's answer to a worker's claim: write, or the holder to compare with. */
export type ClaimReply = { write: true } | { write: false; digest: string; other: Other };

/** A digest worked out once, when first asked for. */
function once(d: DigestOf): () => Promise<string> {
  let p: Promise<string> | undefined;
  return () => (p ??= typeof d === "string" ? Promise.resolve(d) : Promise.resolve().then(d));
}

/**
 * The run's register of output names, kept by the main thread: the first input to claim a name
 * writes it, and holds it until its outcome is reported (settle); an input that claims a name
 * meanwhile waits, then is told duplicate (same digest as what holds the name) or conflict. JS
 * runs this on one thread, so the check and the claim are one step; on disk, commitNoClobberDurably
 * makes the final step exclusive against other processes and earlier runs.
 */
export class OutputClaims {
  private readonly held = new Map<string, { digest: () => Promise<string>; other: Other }>();
  private readonly busy = new Map<string, Promise<void>>();
  private readonly owners = new Map<number, { name: string; release: () => void }>();

  /** `outDir`: where the outputs are, to hash one whose holder gave no digest (see Holder). */
  constructor(private readonly outDir?: string) {}

  async claim(index: number, name: string, digest: DigestOf): Promise<ClaimAnswer> {
    const r = await this.reply(index, name);
    if (r.write) return r;
    const mine = typeof digest === "string" ? digest : await digest();
    return { write: false, status: mine === r.digest ? "duplicate" : "conflict", other: r.other };
  }

  /**
   * The first step of a claim, for a claimant whose digest is elsewhere (a worker thread):
   * write (the name is now this input's), or the digest of what holds it, to compare with.
   * Claims are taken in the order they are asked for (the reservation is synchronous when the
   * name is free).
   */
  async reply(index: number, name: string): Promise<ClaimReply> {
    for (let b = this.busy.get(name); b; b = this.busy.get(name)) await b;
    const h = this.held.get(name);
    if (h) return { write: false, digest: await h.digest(), other: h.other };
    let release!: () => void;
    this.busy.set(name, new Promise<void>((r) => (release = r)));
    this.owners.set(index, { name, release });
    return { write: true };
  }

  /**
   * Ends input `index`'s claim, if it held one: `holder` is what is at the name now (its own
   * output, or an earlier output it found there); none (a failure) leaves the name free.
   */
  settle(index: number, holder?: { digest?: DigestOf; existing: boolean }): void {
    const o = this.owners.get(index);
    if (!o) return;
    this.owners.delete(index);
    if (holder) {
      const dir = this.outDir;
      const digest: DigestOf =
        holder.digest ??
        (() => (dir ? (digestExisting(join(dir, o.name)) ?? "unreadable") : "unreadable"));
      this.held.set(o.name, {
        digest: once(digest),
        other: holder.existing ? "existing" : index,
      });
    }
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
  options: readonly OptionName[],
  objects: AuditObject[],
  more: { existing?: boolean; masked?: boolean; pseudonyms?: string } = {},
): AuditEvent {
  return {
    op: "deid",
    outcome: OUTCOME[status],
    objects,
    // The policy and option set name the run's profile and CID 7050 codes in the report.
    details: { status, options: options.length, ...policyDetails(options), ...more },
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
  audit: event(status, config.options, []),
  bytesIn,
  bytesOut: 0,
});

/** An output file that could not be written (or the input changed while read): that input fails. */
function writeFailure(config: WorkerConfig, e: unknown, bytesIn: number): FileOutcome {
  if (e instanceof InputChangedError) return failed(config, "rejected", e.message, bytesIn);
  const code = errnoCode(e);
  return failed(config, "rejected", `cannot write the output${code ? ` (${code})` : ""}`, bytesIn);
}

function present(config: WorkerConfig, name: string): boolean {
  if (config.existingNames) return config.existingNames.has(name);
  try {
    const path = join(config.outDir, name);
    // No exception (and its stack trace) for the usual answer, a free name.
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

const writeAnyway = async (): Promise<ClaimAnswer> => ({ write: true });

// One group commit of directory fsyncs per output folder in this thread (see DirSync).
const dirSyncs = new Map<string, DirSync>();
const dirSyncOf = (dir: string): DirSync => {
  let d = dirSyncs.get(dir);
  if (!d) dirSyncs.set(dir, (d = new DirSync(dir)));
  return d;
};

/**
 * De-identifies one file and writes its output, unless its output name is taken (duplicate or
 * conflict: nothing written, nothing replaced); never throws for bad input (a reason instead).
 * It resolves once the output is durable (fsync'ed, in place, its folder entry fsync'ed): the
 * fsyncs run on the thread pool, so several files can be on their way at once (see runDeid).
 */
export async function deidentifyPath(
  path: string,
  config: WorkerConfig,
  mapping?: PseudonymMapping,
  hooks: DeidHooks = {},
): Promise<FileOutcome> {
  let src: InputFile;
  try {
    src = openInput(path);
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
    const audit = event("deidentified", config.options, objects, {
      masked: result.pixelsMasked,
      pseudonyms: mapping ? "random-mapping" : "keyed-hmac",
    });
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
    return await place(src, result, config, objects, audit, hooks);
  } finally {
    src.close();
  }
}

/**
 * Puts a result in the output folder under its name, never over another file: claims the name
 * from the run, then commits with no clobber; a name already taken (by this run or an earlier
 * one, or another process) makes the input a duplicate (same bytes) or a conflict.
 */
async function place(
  src: InputFile,
  result: Deidentified,
  config: WorkerConfig,
  objects: AuditObject[],
  audit: AuditEvent,
  hooks: DeidHooks,
): Promise<FileOutcome> {
  const claim = hooks.claim ?? writeAnyway;
  const bytesIn = src.size;
  const name = outputName(result.sopInstanceUid);
  const target = join(config.outDir, name);
  let own: string | undefined;
  // This input's output digest, from the input (read again): only when the name is taken.
  const digest = () => (own ??= digestResult(src, result));
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
    audit: event(status, config.options, objects, { existing: other === "existing" }),
    bytesIn,
    bytesOut: 0,
  });
  let tmp: string | undefined;
  let fd: number | undefined;
  let bytes = 0;
  try {
    // The claim comes first: the next input may start as soon as this one has claimed (the
    // runner waits for that, to keep the first input the winner of a name), and its scan then
    // overlaps this one's write on the thread pool; a duplicate writes nothing at all.
    const answer = await claim(name, digest);
    if (!answer.write) return sameUid(answer.status, answer.other);
    // A name already there (a run resumed, a folder reused): nothing written, compared below.
    if (!present(config, name)) {
      hooks.written?.(outputSize(result));
      ({ tmp, fd, bytes } = await writeResultTemp(src, result, target));
    }
    // This input holds the name in the run until its outcome (with `holder`) is reported.
    for (let attempt = 0; ; attempt++) {
      if (tmp !== undefined) {
        const handle = fd;
        fd = undefined; // the commit closes it
        const dir = dirSyncOf(config.outDir);
        if (
          (await commitNoClobberDurably(tmp, target, { mode: 0o644, fd: handle, dir })) ===
          "committed"
        ) {
          tmp = undefined;
          return {
            status: "deidentified",
            output: name,
            holder: { existing: false },
            audit,
            bytesIn,
            bytesOut: bytes,
          };
        }
      }
      // Taken: by an earlier run, or by another process since the check.
      const there = digestExisting(target);
      if (there !== undefined || attempt >= 2) {
        const status = there === digest() ? "duplicate" : "conflict";
        return sameUid(status, "existing", { digest: there ?? "unreadable", existing: true });
      }
      // What was there is gone (removed meanwhile): this input's output goes in its place.
      if (tmp === undefined) ({ tmp, fd, bytes } = await writeResultTemp(src, result, target));
    }
  } catch (e) {
    // An output that could not be written is a failure of this file, not of the run.
    return writeFailure(config, e, bytesIn);
  } finally {
    if (fd !== undefined) closeQuietly(fd);
    if (tmp !== undefined) rmSync(tmp, { force: true });
  }
}

/** The bytes a result is written as: header bytes plus the source ranges it copies. */
const outputSize = (result: Deidentified): number =>
  result.parts.reduce((n, p) => n + ("bytes" in p ? p.bytes.length : p.length), 0);

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already failing: the temporary file is removed, the first error reported
  }
}
