/**
 * Runs one Jazzer.js fuzz target (test/fuzz/targets/*.js) in its own Node process: used by the
 * bounded CI run (fuzz.test.ts) and by `npm run fuzz` (scripts/fuzz.js). Coverage feedback comes
 * from the compiled engine only (dist/handlers/dicom/), which must be built first.
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export const ROOT = join(__dirname, "..", "..");
export const TARGETS = ["reader", "engine"] as const;
export type Target = (typeof TARGETS)[number];

export interface FuzzRun {
  target: Target;
  /** -max_total_time. */
  seconds: number;
  /** Where new interesting inputs go (created); libFuzzer reads it too. None: run `seeds` once. */
  corpus?: string;
  /** Read-only seed folders; without `corpus`, files to run once each (reproducing). */
  seeds: string[];
  /** Folder for crash-*, timeout-*, oom-* reproducers (created). */
  artifacts: string;
  /** Where the fuzzer's output goes: a log file, or "inherit" for the terminal. */
  log: string | "inherit";
  /** Per-input time limit, seconds (a hang is a finding). Default 10. */
  timeoutSeconds?: number;
  /** libFuzzer's RSS limit, MiB (exceeding it is a finding). Default 2048. */
  rssLimitMb?: number;
  /** More libFuzzer flags (-seed=1, -runs=0, ...). */
  libFuzzerFlags?: string[];
}

export interface FuzzOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Reproducers written by this run (absolute paths). */
  findings: string[];
  /** Executions reported by libFuzzer ("Done N runs"), 0 when not found. */
  runs: number;
  /** The last lines of the fuzzer's output (for messages). */
  tail: string;
}

export function targetPath(target: Target): string {
  return join(ROOT, "test", "fuzz", "targets", `${target}.js`);
}

/** Reason the compiled engine cannot be fuzzed as is, or null: missing, or older than a source. */
export function distProblem(): string | null {
  const src = join(ROOT, "handlers", "dicom");
  const dist = join(ROOT, "dist", "handlers", "dicom");
  if (!existsSync(join(dist, "index.js"))) {
    return "dist/handlers/dicom/index.js is missing: run `npx tsc -p tsconfig.build.json` (npm test and npm run fuzz do)";
  }
  for (const f of readdirSync(src)) {
    if (!f.endsWith(".ts")) continue;
    const js = join(dist, f.replace(/\.ts$/, ".js"));
    if (!existsSync(js) || statSync(js).mtimeMs < statSync(join(src, f)).mtimeMs) {
      return `dist/handlers/dicom is older than handlers/dicom/${f}: run \`npx tsc -p tsconfig.build.json\``;
    }
  }
  return null;
}

const ARTIFACT = /^(crash|timeout|oom|leak|slow-unit)-/;

function artifactsIn(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => ARTIFACT.test(f))
        .map((f) => join(dir, f))
    : [];
}

export function jazzerArgs(run: FuzzRun): string[] {
  return [
    "--require",
    join(ROOT, "test", "fuzz", "native-compat.js"),
    join(ROOT, "node_modules", "@jazzer.js", "core", "dist", "cli.js"),
    targetPath(run.target),
    ...(run.corpus ? [run.corpus] : []),
    ...run.seeds,
    // Coverage feedback from the engine only, not from the targets or node_modules.
    "--includes",
    join("dist", "handlers", "dicom") + "/",
    "--timeout",
    String((run.timeoutSeconds ?? 10) * 1000),
    "--",
    `-max_total_time=${run.seconds}`,
    `-rss_limit_mb=${run.rssLimitMb ?? 2048}`,
    `-artifact_prefix=${run.artifacts}/`,
    `-dict=${join(ROOT, "test", "fuzz", "dicom.dict")}`,
    "-print_final_stats=1",
    ...(run.libFuzzerFlags ?? []),
  ];
}

/** Starts the fuzzer and resolves when it exits; never rejects for a finding. */
export function runFuzzer(run: FuzzRun): Promise<FuzzOutcome> {
  if (run.corpus) mkdirSync(run.corpus, { recursive: true });
  mkdirSync(run.artifacts, { recursive: true });
  const before = new Set(artifactsIn(run.artifacts));
  const inherit = run.log === "inherit";
  const child = spawn(process.execPath, jazzerArgs(run), {
    cwd: ROOT,
    stdio: inherit ? "inherit" : ["ignore", "pipe", "pipe"],
    env: { ...process.env, IMGSEC_FUZZ_QUIET: inherit ? "0" : "1" },
  });
  let tail = "";
  let runs = 0;
  const log = inherit ? undefined : createWriteStream(run.log);
  const take = (chunk: Buffer) => {
    log?.write(chunk);
    tail = (tail + chunk.toString("utf8")).slice(-12000);
    // libFuzzer's status lines start "#<runs>"; the final "Done <runs> runs" can be cut off
    // when Jazzer.js exits while libFuzzer is still printing.
    for (const m of chunk.toString("utf8").matchAll(/^#(\d+)\s|Done (\d+) runs/gm)) {
      runs = Math.max(runs, Number(m[1] ?? m[2]));
    }
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
  // A fuzzer that outlives its time budget by a minute is stuck: stop this process (ours).
  const guard = setTimeout(() => child.kill("SIGKILL"), (run.seconds + 60) * 1000);
  return new Promise((resolve, reject) => {
    child.on("error", (e) => {
      clearTimeout(guard);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      const finish = () =>
        resolve({
          code,
          signal,
          findings: artifactsIn(run.artifacts).filter((f) => !before.has(f)),
          runs,
          tail,
        });
      if (log) log.end(finish);
      else finish();
    });
  });
}

/** The error block of a finding (Jazzer.js prints the exception and its stack before the unit). */
export function findingReport(outcome: FuzzOutcome): string {
  const lines = outcome.tail.split("\n");
  const start = lines.findIndex((l) =>
    /==\d+== |Uncaught Exception|ERROR: libFuzzer|ALARM|out-of-memory/.test(l),
  );
  return (start >= 0 ? lines.slice(start) : lines.slice(-40)).join("\n").trim();
}

export function reproduceCommand(target: Target, file: string): string {
  return `npm run fuzz -- --repro ${target} ${relative(ROOT, file)}`;
}
