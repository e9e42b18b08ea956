import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  DeploymentGate,
  Params,
  defaultParams,
  locateResults,
  SourceIndex,
} from "../policies/engine/engine";
import {
  gateFails,
  Report,
  toGitlab,
  toJson,
  toJunit,
  toSarif,
  toText,
  UnknownMode,
} from "../policies/engine/formats";
import {
  LoadedStack,
  loadStacks,
  NormalizedStack,
  UnusableInputError,
} from "../policies/engine/normalize";
import { projectRoot } from "../policies/engine/paths";
import { CheckResult, summarize } from "../handlers/results/result";
import { applyWaivers, ScopedInlineWaiver } from "../policies/engine/waivers";
import { AuditFlags, openTrail } from "./audit-trail";
import { isCalendarDate } from "../handlers/results/calendar";

/** Terraform variables for the loader: `--var name=value` and `--var-file FILE`, in order given. */
export interface VariableOptions {
  vars?: string[];
  varFiles?: string[];
}

export interface CheckOptions extends VariableOptions {
  waivers?: string;
  params?: string;
  today?: Date;
  /** What an UNKNOWN result does: fail the gate (default) or only warn. */
  unknown?: UnknownMode;
  /** Ignore `# imgsec:waive` comments (reported with their number), to see what was waived in code. */
  noInlineWaivers?: boolean;
}

export interface CheckRun {
  report: Report;
  failed: boolean;
  /** What the loader could not read or know (a module not downloaded, ...), for stderr. */
  notes: string[];
}

/**
 * The stacks under `path`, with the variables given. The folder that locations are relative to:
 * the checked folder, or the checked file's folder.
 */
export function loadChecked(
  path: string,
  opts: VariableOptions = {},
): { stacks: LoadedStack[]; rootDir: string } {
  const stacks = loadStacks(path, { vars: opts.vars ?? [], varFiles: opts.varFiles ?? [] });
  const rootDir = statSync(path).isDirectory() ? path : dirname(path);
  return { stacks, rootDir };
}

/** The loader's notes (what it could not read or know), one line each, named by stack. */
export const loaderNotes = (stacks: LoadedStack[]): string[] =>
  stacks.flatMap((s) => (s.notes ?? []).map((n) => `${s.stack}: ${n}`));

export function loadParams(file?: string): Params {
  const params = defaultParams();
  if (!file) return params;
  let extra: unknown;
  try {
    extra = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UnusableInputError(`params file ${file}: ${(e as Error).message.split("\n")[0]}`);
  }
  if (typeof extra !== "object" || extra === null || Array.isArray(extra)) {
    throw new UnusableInputError(`params file ${file} must be a JSON object`);
  }
  for (const [k, v] of Object.entries(extra)) {
    if (!(k in params)) throw new UnusableInputError(`params file ${file}: unknown parameter ${k}`);
    if (typeof v !== typeof params[k])
      throw new UnusableInputError(`params file ${file}: ${k} must be a ${typeof params[k]}`);
    // A date the rules cannot read would silently mean "today": refused instead.
    if (k === "evaluation_date" && v !== "" && !isCalendarDate(v as string))
      throw new UnusableInputError(`params file ${file}: evaluation_date must be YYYY-MM-DD`);
  }
  return { ...params, ...extra };
}

/** Loads, normalizes and checks every stack under `path`; applies waivers. */
export async function runCheck(
  path: string,
  opts: CheckOptions = {},
  gate = DeploymentGate.load(),
): Promise<CheckRun> {
  const { stacks, rootDir } = loadChecked(path, opts);
  return { ...(await checkStacks(stacks, rootDir, opts, gate)), notes: loaderNotes(stacks) };
}

/**
 * Checks loaded stacks: evaluates, locates results (`rootDir`: the folder locations are relative
 * to), applies the waivers file and the stacks' inline waivers (unless `noInlineWaivers`).
 */
export async function checkStacks(
  stacks: NormalizedStack[],
  rootDir: string,
  opts: CheckOptions = {},
  gate = DeploymentGate.load(),
): Promise<Omit<CheckRun, "notes">> {
  const params = loadParams(opts.params);
  // The waivers reader pulls in YAML and schema libraries: load it only when asked.
  const waivers = opts.waivers
    ? (await import("../policies/engine/waivers-file")).loadWaivers(opts.waivers)
    : [];
  const sources = new SourceIndex();
  let results: CheckResult[] = stacks.flatMap((s) =>
    locateResults(gate.evaluate(s, params), s, rootDir, sources),
  );
  const found: ScopedInlineWaiver[] = stacks.flatMap((s) =>
    (s.inlineWaivers ?? []).map((w) => ({ ...w, stack: s.stack })),
  );
  const byStack = new Map(stacks.map((s) => [s.stack, s]));
  const applied = !opts.noInlineWaivers;
  const outcome = applyWaivers(results, waivers, opts.today, {
    waivers: applied ? found : [],
    configAddress: (stack, resource) =>
      byStack.get(stack ?? "")?.resources[resource]?.config_address,
  });
  results = outcome.results;
  const version = JSON.parse(readFileSync(join(projectRoot(), "package.json"), "utf8"))
    .version as string;
  const report: Report = {
    results,
    files: Object.fromEntries(stacks.map((s) => [s.stack, { file: s.file, source: s.source }])),
    catalog: gate.catalog,
    unusedWaivers: outcome.unused,
    version,
    unknownMode: opts.unknown ?? "fail",
    rootDir,
    sources,
    waivedInline: outcome.waivedInline,
    ...(found.length
      ? {
          inlineWaivers: {
            applied,
            waivers: applied
              ? outcome.inline
              : found.map((waiver) => ({ waiver, state: "ignored" as const })),
          },
        }
      : {}),
  };
  return { report, failed: gateFails(summarize(results), report.unknownMode) };
}

export const FORMATTERS: Record<string, (r: Report, opts?: { showPassed?: boolean }) => string> = {
  text: toText,
  json: toJson,
  sarif: toSarif,
  junit: toJunit,
  gitlab: toGitlab,
};

/**
 * Records a gate run in the audit log when a key file is there (a CI gate needs no keys): counts
 * only, since a plan names nothing that is PHI but neither does the log need it.
 */
export async function recordCheck(report: Report, flags: AuditFlags): Promise<string> {
  const trail = await openTrail(flags, false);
  try {
    const s = summarize(report.results);
    await trail.append({
      op: "check",
      outcome: gateFails(s, report.unknownMode) ? "failed" : "ok",
      details: {
        stacks: Object.keys(report.files).length,
        passed: s.passed,
        failed: s.failed,
        warned: s.warned,
        waived: s.waived,
        unknown: s.unknown,
        unknownFails: (report.unknownMode ?? "fail") === "fail",
        inlineWaivers: report.inlineWaivers?.waivers.length ?? 0,
        inlineWaiversApplied: report.inlineWaivers?.applied ?? true,
      },
    });
  } finally {
    await trail.close();
  }
  return trail.note;
}
