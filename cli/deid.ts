import { existsSync, mkdirSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { SingleBar, Presets } from "cli-progress";
import { OPTION_NAMES, OptionName, PROFILES, PseudonymMapping } from "../handlers/dicom";
import { keyFilePath, loadKey, zeroize } from "../handlers/keys/keyfile";
import { UsageError } from "./errors";
import { FileOutcome, WorkerConfig, deidentifyPath } from "./deid-core";
import { displayPath, listInputs } from "./deid-files";
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

export interface DeidSummary {
  inputs: number;
  deidentified: number;
  quarantined: number;
  rejected: number;
  seconds: number;
  megabytesIn: number;
  options: OptionName[];
}

export interface DeidReport {
  summary: DeidSummary;
  reasons: Record<string, number>;
  files: { input: string; status: FileOutcome["status"]; reason?: string; output?: string }[];
  /** Where the audit records went (or why not). */
  audit: string;
}

/** Profile options plus each --option, validated by name; the strict default is no option. */
export function resolveOptions(profile: string | undefined, extra: string[]): OptionName[] {
  const out = new Set<OptionName>();
  if (profile !== undefined) {
    const p = PROFILES[profile];
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

/** Runs de-identification over a file or folder; never modifies inputs. */
export async function runDeid(
  input: string,
  output: string,
  opts: DeidCliOptions,
): Promise<DeidReport> {
  if (!existsSync(input)) throw new UsageError(`no such file or directory: ${input}`);
  if (existsSync(output) && !statSync(output).isDirectory())
    throw new UsageError(`output ${output} is not a directory`);
  if (resolve(input) === resolve(output))
    throw new UsageError("the output folder must differ from the input");
  const options = resolveOptions(opts.profile, opts.option);
  let jobs = parseJobs(opts.jobs);
  const trail = await openTrail(opts, true);
  let key: Buffer;
  try {
    key = loadKey(keyFilePath(opts.keys), "pseudonymization").key;
  } catch (e) {
    await trail.close();
    throw e;
  }
  mkdirSync(output, { recursive: true });
  const files = listInputs(input, output);
  const outcomes: FileOutcome[] = new Array(files.length);
  const config: WorkerConfig = { outDir: resolve(output), options, pseudonymizationKey: key };
  const bar =
    process.stderr.isTTY && files.length > 1
      ? new SingleBar(
          { format: "deid [{bar}] {value}/{total} files | {eta_formatted} left", hideCursor: true },
          Presets.shades_classic,
        )
      : undefined;
  bar?.start(files.length, 0);
  const started = process.hrtime.bigint();
  try {
    let mapping: PseudonymMapping | undefined;
    if (opts.mapOut) {
      // Random codes must come from one place to stay consistent: mapping mode runs in this thread.
      mapping = existsSync(opts.mapOut)
        ? PseudonymMapping.load(opts.mapOut)
        : new PseudonymMapping();
      jobs = 1;
    }
    if (jobs === 1) {
      for (let i = 0; i < files.length; i++) {
        outcomes[i] = await deidentifyPath(files[i], config, mapping);
        bar?.increment();
      }
    } else {
      await runPool(files, config, Math.min(jobs, files.length), outcomes, () => bar?.increment());
    }
    if (mapping && opts.mapOut) mapping.save(opts.mapOut);
    // One record per object, by new UID and pseudonym only; inputs are never named.
    for (const o of outcomes) {
      await trail.append({
        op: "deid",
        outcome:
          o.status === "deidentified" ? "ok" : o.status === "quarantined" ? "refused" : "failed",
        objects: [
          ...(o.sopInstanceUid ? [{ kind: "instance" as const, uid: o.sopInstanceUid }] : []),
          ...(o.patientPseudonym
            ? [{ kind: "patient" as const, pseudonym: o.patientPseudonym }]
            : []),
        ],
        details: { status: o.status, options: options.length },
      });
    }
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
  const count = (s: FileOutcome["status"]) => outcomes.filter((o) => o.status === s).length;
  return {
    summary: {
      inputs: files.length,
      deidentified: count("deidentified"),
      quarantined: count("quarantined"),
      rejected: count("rejected"),
      seconds: Math.round(seconds * 1000) / 1000,
      megabytesIn: Math.round(outcomes.reduce((n, o) => n + o.bytesIn, 0) / 1e4) / 100,
      options,
    },
    reasons,
    // Input names can carry PHI: files are named by position unless --show-paths asks otherwise.
    files: outcomes.map((o, i) => ({
      input: opts.showPaths ? displayPath(input, files[i]) : `#${i + 1}`,
      status: o.status,
      ...(o.reason ? { reason: o.reason } : {}),
      ...(o.output ? { output: o.output } : {}),
    })),
    audit: trail.note,
  };
}

async function runPool(
  files: string[],
  config: WorkerConfig,
  jobs: number,
  outcomes: FileOutcome[],
  tick: () => void,
): Promise<void> {
  const script = join(__dirname, "deid-worker.js");
  let next = 0;
  await Promise.all(
    Array.from(
      { length: jobs },
      () =>
        new Promise<void>((resolveWorker, reject) => {
          const worker = new Worker(script, { workerData: config });
          const feed = () => {
            if (next >= files.length) {
              worker.postMessage("exit");
              return;
            }
            const index = next++;
            worker.postMessage({ index, path: files[index] });
          };
          worker.on("message", (m: FileOutcome & { index: number }) => {
            const { index, ...outcome } = m;
            outcomes[index] = outcome;
            tick();
            feed();
          });
          worker.on("error", reject);
          worker.on("exit", () => resolveWorker());
          feed();
        }),
    ),
  );
}

export function formatDeidText(r: DeidReport, output: string): string {
  const s = r.summary;
  const lines = [
    `de-identified ${s.deidentified}, quarantined ${s.quarantined}, rejected ${s.rejected} (of ${s.inputs} inputs, ${s.megabytesIn} MB) in ${s.seconds.toFixed(2)} s → ${output}`,
    `options: ${s.options.length ? s.options.join(", ") : "none (Basic Application Level Confidentiality Profile)"}`,
  ];
  for (const [reason, n] of Object.entries(r.reasons).sort()) lines.push(`  ${n} × ${reason}`);
  for (const f of r.files)
    if (f.status !== "deidentified") lines.push(`  input ${f.input}: ${f.status}: ${f.reason}`);
  return lines.join("\n") + "\n";
}
