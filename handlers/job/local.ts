/**
 * The job over local folders (`imgsec run`): every input file, in order, through the same
 * per-object job as in Lambda, from a local object store over the input folder (read only: inputs
 * are never moved or changed) into one over the output folder, which receives packages only.
 * Counts add up: every input ends as exactly one outcome, or as failed (an I/O or key problem
 * that was not the input's fault), and the outputs on disk are the packages of this run plus those
 * already there.
 */
import type { AuditEvent } from "../audit/schema";
import type { KeyringNode } from "@aws-crypto/client-node";
import { type OptionName, policyDetails } from "../dicom";
import { LocalObjectStore } from "../store/local";
import { StoreError } from "../store/types";
import type { SuiteChoice } from "../crypto/package";
import { JOB_OUTCOMES, type JobOutcome, TransientError, processObject } from "./process";

export interface LocalRunOptions {
  dataset: string;
  options: OptionName[];
  /** 32 bytes; not zeroed here (the caller owns it). */
  pseudonymizationKey: Buffer;
  keyring: KeyringNode;
  suite?: SuiteChoice;
  audit(event: AuditEvent): Promise<unknown>;
  /** Called after each input. */
  onProgress?(done: number, total: number): void;
  /** Objects on their way at once (default 4). */
  inFlight?: number;
}

export type LocalOutcome = JobOutcome | "failed";

export interface LocalFileReport {
  /** The input by position (#1, #2...): names can hold PHI. */
  input: string;
  outcome: LocalOutcome;
  package?: string;
  reason?: string;
}

export interface LocalRunReport {
  summary: Record<LocalOutcome, number> & { inputs: number; megabytesIn: number; seconds: number };
  files: LocalFileReport[];
}

/**
 * Runs the job over `keys` (paths relative to `inputDir`, "/"-separated) into `outputDir`.
 * Failures that are not the input's (a write refused, a key unusable) are reported per input as
 * "failed" with a code; an audit record the log refuses stops the run (thrown).
 */
export async function runLocal(
  inputDir: string,
  keys: string[],
  outputDir: string,
  opts: LocalRunOptions,
): Promise<LocalRunReport> {
  const started = process.hrtime.bigint();
  const source = new LocalObjectStore(inputDir);
  const packages = new LocalObjectStore(outputDir, { create: true, fileMode: 0o644 });
  const summary = Object.fromEntries([...JOB_OUTCOMES, "failed"].map((o) => [o, 0])) as Record<
    LocalOutcome,
    number
  >;
  const files: LocalFileReport[] = new Array(keys.length);
  let bytes = 0;
  let done = 0;
  let stop: unknown;
  const one = async (i: number): Promise<void> => {
    const key = keys[i];
    const input = `#${i + 1}`;
    let report: LocalFileReport;
    try {
      const r = await processObject(
        { key },
        {
          source,
          sourceName: `local:${inputDir}`,
          packages,
          packagePrefix: "",
          dataset: opts.dataset,
          options: opts.options,
          pseudonymizationKey: opts.pseudonymizationKey,
          keyring: opts.keyring,
          suite: opts.suite,
          audit: opts.audit,
        },
      );
      bytes += r.bytes;
      report = {
        input,
        outcome: r.outcome,
        ...(r.package ? { package: r.package } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
      };
    } catch (e) {
      const reason =
        e instanceof TransientError
          ? `transient-${e.code}`
          : e instanceof StoreError
            ? `store-${e.code}`
            : undefined;
      // Anything else (an audit record refused, a defect) stops the run, as in `imgsec deid`.
      if (reason === undefined) throw e;
      report = { input, outcome: "failed", reason };
      await opts.audit({
        op: "deid",
        outcome: "error",
        objects: [],
        details: {
          status: "failed",
          reason,
          options: opts.options.length,
          ...policyDetails(opts.options),
        },
      });
    }
    summary[report.outcome]++;
    files[i] = report;
    opts.onProgress?.(++done, keys.length);
  };
  // A few objects on their way at once: one on the CPU while the others wait on the disk (the
  // package store fsyncs every package). Two inputs with one new UID race on the store's
  // no-clobber create: one is packaged, the other told duplicate or conflict, whichever
  // finished first (one at a time, with `inFlight` 1, the earlier input wins).
  let next = 0;
  const lane = async () => {
    while (stop === undefined && next < keys.length) {
      const i = next++;
      try {
        await one(i);
      } catch (e) {
        stop ??= e;
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(opts.inFlight ?? 4, keys.length)) }, lane),
  );
  if (stop !== undefined) throw stop;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    summary: {
      inputs: keys.length,
      ...summary,
      megabytesIn: Math.round(bytes / 1e4) / 100,
      seconds: Math.round(seconds * 1000) / 1000,
    },
    files,
  };
}
