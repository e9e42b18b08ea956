/**
 * `imgsec run <input> <output>`: the whole per-object job (de-identify, encrypt, audit) over a
 * folder, as the pipeline runs it in Lambda (handlers/job). Argument checks, progress and printing
 * only; the work is handlers/job/local.ts. No de-identified plaintext is written: the output
 * folder receives packages only.
 */
import { lstatSync, statSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { progressBar } from "./progress";
import { datasetIdProblem } from "../handlers/crypto/context";
import { localKeyring, kmsKeyring, KeyringError, type Keyring } from "../handlers/crypto/keyrings";
import { keyFilePath, loadKey, zeroize } from "../handlers/keys/keyfile";
import { type LocalRunReport, runLocal } from "../handlers/job/local";
import { type AuditFlags, openTrail } from "./audit-trail";
import { UsageError, errnoCode, fsError } from "./errors";
import { isWithin, listInputs } from "./paths";
import { resolveOptions } from "./deid";

export interface RunCliOptions extends AuditFlags {
  dataset: string;
  option: string[];
  profile?: string;
  kmsKey?: string[];
  suite?: string;
  format: string;
  showPaths?: boolean;
}

export interface RunReport extends LocalRunReport {
  audit: string;
  keyring: string;
}

export async function runRun(
  input: string,
  output: string,
  opts: RunCliOptions,
): Promise<RunReport> {
  const where = (path: string) => ({ path, showPaths: opts.showPaths });
  const problem = datasetIdProblem(opts.dataset);
  if (problem) throw new UsageError(`--dataset: ${problem}`);
  const suite = opts.suite ?? "signed";
  if (suite !== "signed" && suite !== "unsigned")
    throw new UsageError("--suite must be signed (default) or unsigned");
  const options = resolveOptions(opts.profile, opts.option);
  let st;
  try {
    st = lstatSync(input);
  } catch (e) {
    throw fsError(e, "cannot read input", where(input));
  }
  if (!st.isDirectory()) throw new UsageError("the input must be a folder");
  try {
    if (!statSync(output).isDirectory())
      throw new UsageError(`the output is not a directory${opts.showPaths ? ` (${output})` : ""}`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (errnoCode(e) !== "ENOENT") throw fsError(e, "cannot use the output folder", where(output));
  }
  if (isWithin(output, input) || isWithin(input, output))
    throw new UsageError("the output folder must lie outside the input folder, and not contain it");
  const root = resolve(input);
  const keys = listInputs(input, output, { showPaths: opts.showPaths }).map((f) =>
    relative(root, f).split(sep).join("/"),
  );
  let keyring: Keyring;
  try {
    keyring =
      opts.kmsKey && opts.kmsKey.length > 0
        ? kmsKeyring(opts.kmsKey, "encrypt")
        : localKeyring(keyFilePath(opts.keys));
  } catch (e) {
    if (e instanceof KeyringError) throw new UsageError(e.message);
    throw e;
  }
  const pseudo = loadKey(keyFilePath(opts.keys), "pseudonymization");
  const trail = await openTrail(opts, true).catch((e) => {
    zeroize(pseudo.key);
    throw e;
  });
  const bar = process.stderr.isTTY && keys.length > 1 ? progressBar("run") : undefined;
  let report: LocalRunReport;
  try {
    bar?.start(keys.length, 0);
    report = await runLocal(root, keys, output, {
      dataset: opts.dataset,
      options,
      pseudonymizationKey: pseudo.key,
      keyring: keyring.keyring,
      suite,
      audit: (e) => trail.append(e),
      onProgress: (done) => bar?.update(done),
    });
  } finally {
    bar?.stop();
    zeroize(pseudo.key);
    keyring.release();
    await trail.close();
  }
  // Inputs by position unless --show-paths asked for paths.
  if (opts.showPaths) report.files = report.files.map((f, i) => ({ ...f, input: keys[i] }));
  return { ...report, audit: trail.note, keyring: keyring.describe };
}

/** Findings (exit 1): anything but packaged, already packaged or duplicate inputs. */
export function runHasFindings(r: LocalRunReport): boolean {
  const s = r.summary;
  return s.conflict + s.quarantined + s.rejected + s.failed > 0;
}

export function formatRunText(r: RunReport, output: string): string {
  const s = r.summary;
  const lines = [
    `packaged ${s.packaged}, already packaged ${s["already-packaged"]}, duplicates ${s.duplicate}, conflicts ${s.conflict}, quarantined ${s.quarantined}, rejected ${s.rejected}, failed ${s.failed} (of ${s.inputs} inputs, ${s.megabytesIn} MB) in ${s.seconds.toFixed(2)} s → ${output}`,
    `encryption: ${r.keyring}; no de-identified plaintext was written (packages only)`,
  ];
  const reasons = new Map<string, number>();
  for (const f of r.files)
    if (f.reason && f.outcome !== "duplicate")
      reasons.set(`${f.outcome}: ${f.reason}`, (reasons.get(`${f.outcome}: ${f.reason}`) ?? 0) + 1);
  for (const [reason, n] of [...reasons].sort()) lines.push(`  ${n} × ${reason}`);
  for (const f of r.files)
    if (!["packaged", "already-packaged", "duplicate"].includes(f.outcome))
      lines.push(`  ${f.input}: ${f.outcome}${f.reason ? ` (${f.reason})` : ""}`);
  return lines.join("\n") + "\n";
}
