import { existsSync, lstatSync, mkdirSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { progressBar } from "./progress";
import {
  OPTION_NAMES,
  OptionName,
  PROFILES,
  PseudonymMapping,
  PseudonymMappingError,
} from "../handlers/dicom";
import { keyFilePath, loadKey, zeroize } from "../handlers/keys/keyfile";
import { UsageError, errnoCode, fsError } from "./errors";
import {
  type DeidStatus,
  type FileOutcome,
  OutputClaims,
  type WorkerConfig,
} from "../handlers/job/deid-file";
import { InputQueue, runInOrder, runPool, threadsFor } from "../handlers/job/deid-runner";
import { displayPath, isWithin, listInputs, outputFolderNames, realPathOf } from "./paths";

export { InputQueue, runInOrder, runPool, threadsFor };
import { AuditFlags, openTrail } from "./audit-trail";

export interface DeidCliOptions extends AuditFlags {
  option: string[];
  profile?: string;
  keys?: string;
  mapOut?: string;
  jobs?: string;
  format: string;
  showPaths?: boolean;
}

/**
 * Every input is counted once, in exactly one of deidentified, duplicates, conflicts, quarantined
 * and rejected. `deidentified` is the number of outputs this run wrote; `existingOutputs` the
 * `.dcm` outputs the folder held before it: the folder now holds their sum.
 */
export interface DeidSummary {
  inputs: number;
  deidentified: number;
  duplicates: number;
  conflicts: number;
  quarantined: number;
  rejected: number;
  existingOutputs: number;
  seconds: number;
  megabytesIn: number;
  options: OptionName[];
}

export interface DeidReport {
  summary: DeidSummary;
  reasons: Record<string, number>;
  files: {
    input: string;
    status: DeidStatus;
    reason?: string;
    output?: string;
    /** duplicate, conflict: the other input (shown as `input` is), or "existing" (an earlier output). */
    other?: string;
  }[];
  /** Where the audit records went (or why not). */
  audit: string;
}

/** Profile options plus each --option, validated by name; the strict default is no option. */
export function resolveOptions(profile: string | undefined, extra: string[]): OptionName[] {
  const out = new Set<OptionName>();
  if (profile !== undefined) {
    const p = Object.hasOwn(PROFILES, profile) ? PROFILES[profile] : undefined;
    if (!p)
      throw new UsageError(
        `unknown profile "${profile}"; known: ${Object.keys(PROFILES).join(", ")}`,
      );
    p.forEach((o) => out.add(o));
  }
  for (const o of extra) {
    if (!(OPTION_NAMES as readonly string[]).includes(o)) {
      throw new UsageError(`unknown option "${o}"; known: ${OPTION_NAMES.join(", ")}`);
    }
    out.add(o as OptionName);
  }
  if (out.has("retain-longitudinal-full-dates") && out.has("retain-longitudinal-modified-dates")) {
    throw new UsageError(
      "retain-longitudinal-full-dates and retain-longitudinal-modified-dates exclude each other",
    );
  }
  return [...out];
}

function parseJobs(jobs: string | undefined): number {
  if (jobs === undefined) return Math.max(1, Math.min(cpus().length, 8));
  const n = Number(jobs);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new UsageError(`--jobs must be a whole number from 1 to 64; got ${jobs}`);
  return n;
}

/** Refuses a --map-out inside the output or the input: the mapping would leave with the data. */
function checkMapOut(mapOut: string, input: string, output: string): void {
  if (isWithin(mapOut, output) || isWithin(mapOut, input))
    throw new UsageError(
      "--map-out must be outside the output and input folders (the mapping re-identifies patients)",
    );
}

function loadMapping(path: string, showPaths: boolean | undefined): PseudonymMapping {
  try {
    return existsSync(path) ? PseudonymMapping.load(path) : new PseudonymMapping();
  } catch (e) {
    if (e instanceof PseudonymMappingError) throw new UsageError(`--map-out: ${e.message}`);
    throw fsError(e, "cannot read the --map-out file", { path, showPaths });
  }
}

/** Whether the run has findings (exit 1): anything but de-identified or duplicate inputs. */
export function deidHasFindings(s: DeidSummary): boolean {
  return s.conflicts + s.quarantined + s.rejected > 0;
}

/** Runs de-identification over a file or folder; never modifies inputs or earlier outputs. */
export async function runDeid(
  input: string,
  output: string,
  opts: DeidCliOptions,
): Promise<DeidReport> {
  const where = (path: string) => ({ path, showPaths: opts.showPaths });
  // Everything that can refuse the run is checked before anything is written.
  try {
    lstatSync(input);
  } catch (e) {
    throw fsError(e, "cannot read input", where(input));
  }
  let outputStat;
  try {
    outputStat = statSync(output);
  } catch (e) {
    if (errnoCode(e) !== "ENOENT") throw fsError(e, "cannot use the output folder", where(output));
  }
  if (outputStat && !outputStat.isDirectory())
    throw new UsageError(`the output is not a directory${opts.showPaths ? ` (${output})` : ""}`);
  if (realPathOf(input) === realPathOf(output))
    throw new UsageError("the output folder must differ from the input");
  if (opts.mapOut) checkMapOut(opts.mapOut, input, output);
  const options = resolveOptions(opts.profile, opts.option);
  let jobs = parseJobs(opts.jobs);
  const files = listInputs(input, output, { showPaths: opts.showPaths });
  // Random codes must come from one place to stay consistent: mapping mode runs in this thread.
  const mapping = opts.mapOut ? loadMapping(opts.mapOut, opts.showPaths) : undefined;
  if (mapping) jobs = 1;
  const trail = await openTrail(opts, true);
  let key: Buffer;
  try {
    key = loadKey(keyFilePath(opts.keys), "pseudonymization").key;
  } catch (e) {
    await trail.close();
    throw e;
  }
  const outcomes: FileOutcome[] = new Array(files.length);
  const config: WorkerConfig = { outDir: resolve(output), options, pseudonymizationKey: key };
  const bar = process.stderr.isTTY && files.length > 1 ? progressBar("deid") : undefined;
  const started = process.hrtime.bigint();
  let existingOutputs = 0;
  try {
    try {
      mkdirSync(output, { recursive: true });
    } catch (e) {
      throw fsError(e, "cannot create the output folder", where(output));
    }
    const folder = outputFolderNames(output, opts.showPaths);
    existingOutputs = folder.outputs;
    config.existingNames = folder.names;
    bar?.start(files.length, 0);
    // A new code is saved before the output that carries it is written: a run that stops midway
    // never leaves outputs whose pseudonyms the mapping cannot resolve.
    let saved = mapping?.size ?? 0;
    const saveMapping = () => {
      if (!mapping || !opts.mapOut || mapping.size === saved) return;
      try {
        mapping.save(opts.mapOut);
      } catch (e) {
        throw fsError(e, "cannot write the --map-out file", where(opts.mapOut));
      }
      saved = mapping.size;
    };
    // Each file's record is appended as soon as its outcome is known (validated before any
    // output was written, see deidentifyPath): one record per object, never an input's name.
    // Appends are not awaited one by one: those that arrive while the log writes go out together
    // (group commit, one lock and one write for many records).
    const appended: Promise<void>[] = [];
    let stop: unknown;
    const record = (outcome: FileOutcome) => {
      const p = trail.append(outcome.audit);
      // A record the log cannot take stops the run: no more inputs are started.
      p.catch((e) => (stop ??= e));
      appended.push(p);
      bar?.increment();
    };
    const onOutcome = (i: number, o: FileOutcome) => {
      outcomes[i] = o;
      record(o);
    };
    // Inputs are handed out in order to this thread and to the workers (--jobs N: this thread
    // and up to N - 1 workers, as many as the run has work for: threadsFor), which join as soon
    // as they have started.
    const claims = new OutputClaims(config.outDir);
    const queue = new InputQueue(files.length, () => stop !== undefined);
    const workers = threadsFor(files, jobs) - 1;
    const runs = [
      runInOrder(files, config, mapping, saveMapping, queue, onOutcome, claims, workers > 0),
    ];
    if (workers > 0)
      runs.push(runPool(files, config, workers, onOutcome, undefined, claims, queue));
    const failure = (await Promise.allSettled(runs)).find((r) => r.status === "rejected");
    // Every record of an output that exists is waited for, even when a file or a worker failed;
    // a record the log could not take is the worse news, so it is the one reported.
    const bad = (await Promise.allSettled(appended)).find((r) => r.status === "rejected");
    if (bad) throw (bad as PromiseRejectedResult).reason;
    if (failure) throw (failure as PromiseRejectedResult).reason;
    saveMapping();
  } finally {
    bar?.stop();
    zeroize(key);
    await trail.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const reasons: Record<string, number> = {};
  for (const o of outcomes)
    if (o.reason)
      reasons[`${o.status}: ${o.reason}`] = (reasons[`${o.status}: ${o.reason}`] ?? 0) + 1;
  const count = (s: DeidStatus) => outcomes.filter((o) => o.status === s).length;
  // Input names can carry PHI: files are named by position unless --show-paths asks otherwise.
  const label = (i: number) => (opts.showPaths ? displayPath(input, files[i]) : `#${i + 1}`);
  return {
    summary: {
      inputs: files.length,
      deidentified: count("deidentified"),
      duplicates: count("duplicate"),
      conflicts: count("conflict"),
      quarantined: count("quarantined"),
      rejected: count("rejected"),
      existingOutputs,
      seconds: Math.round(seconds * 1000) / 1000,
      megabytesIn: Math.round(outcomes.reduce((n, o) => n + o.bytesIn, 0) / 1e4) / 100,
      options,
    },
    reasons,
    files: outcomes.map((o, i) => ({
      input: label(i),
      status: o.status,
      ...(o.reason ? { reason: o.reason } : {}),
      ...(o.output ? { output: o.output } : {}),
      ...(o.other !== undefined
        ? { other: o.other === "existing" ? "existing" : label(o.other) }
        : {}),
    })),
    audit: trail.note,
  };
}

export function formatDeidText(r: DeidReport, output: string): string {
  const s = r.summary;
  const lines = [
    `de-identified ${s.deidentified}, duplicates ${s.duplicates}, conflicts ${s.conflicts}, quarantined ${s.quarantined}, rejected ${s.rejected} (of ${s.inputs} inputs, ${s.megabytesIn} MB) in ${s.seconds.toFixed(2)} s → ${output}`,
  ];
  if (s.existingOutputs > 0)
    lines.push(
      `outputs: ${s.deidentified} written by this run, ${s.existingOutputs} already there before it (none replaced)`,
    );
  lines.push(
    `options: ${s.options.length ? s.options.join(", ") : "none (Basic Application Level Confidentiality Profile)"}`,
  );
  for (const [reason, n] of Object.entries(r.reasons).sort()) lines.push(`  ${n} × ${reason}`);
  // Every input that is not in the output as itself, except duplicates of earlier outputs (a
  // resumed run would list them all; they are counted above).
  for (const f of r.files) {
    if (f.status === "deidentified" || (f.status === "duplicate" && f.other === "existing"))
      continue;
    const other = f.other !== undefined && f.other !== "existing" ? ` (input ${f.other})` : "";
    const more = f.status === "conflict" ? ": not written" : "";
    lines.push(`  input ${f.input}: ${f.status}: ${f.reason}${other}${more}`);
  }
  return lines.join("\n") + "\n";
}
