"use strict";
// Benchmark: the deployment gate on the project's stacks and on a generated plan of 1,000+
// resources: in-process (normalize + WASM evaluation) and as a whole `imgsec check` run, side by
// side with `opa eval` (the Go binary) on the same normalized input and the same policies.
const { spawnSync, execFileSync } = require("node:child_process");
const { existsSync, mkdtempSync, writeFileSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { runChild, median, mib, writeSection, machine, ROOT } = require("./lib");
const { generatePlan } = require("./gen-plan");

const RUNS = Number(process.env.BENCH_RUNS || 5);
const OPA = process.env.OPA || join(ROOT, ".tools", "bin", "opa");
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

/** Runs a command RUNS times; wall time median, and peak RSS via GNU time where available. */
function timeCommand(cmd, args) {
  const walls = [];
  let rss = null;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = TIME
      ? spawnSync(TIME, ["-f", "%M", cmd, ...args], { encoding: "utf8", maxBuffer: 1 << 28 })
      : spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28 });
    walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0 && r.status !== 1)
      throw new Error(`${cmd} failed: ${r.stderr.slice(0, 300)}`);
    if (TIME) rss = Math.max(rss ?? 0, Number(r.stderr.trim().split("\n").pop()) * 1024);
  }
  return { ms: median(walls), rss };
}

/** Native opa: the same normalized input document, evaluated from a compiled (non-WASM) bundle. */
function opaEval(inputFile, bundle) {
  const args = ["eval", "-b", bundle, "-i", inputFile, "-f", "json", "data.imgsec.main.results"];
  const whole = timeCommand(OPA, args);
  const evalNs = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(OPA, [...args, "--metrics"], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    const m = JSON.parse(out).metrics;
    evalNs.push(m.timer_rego_query_eval_ns + (m.timer_rego_query_compile_ns || 0));
  }
  return { whole, evalMs: median(evalNs) / 1e6 };
}

function main() {
  if (!existsSync(OPA)) throw new Error(`opa not found at ${OPA}: run scripts/setup-tools.sh`);
  const work = mkdtempSync(join(tmpdir(), "imgsec-bench-check-"));
  try {
    const out = join(work, "cdktf.out");
    execFileSync(process.execPath, [join(ROOT, "bin/imgsec.js"), "synth", "--out", out], {
      stdio: "ignore",
    });
    const planFile = join(work, "plan.json");
    writeFileSync(planFile, JSON.stringify(generatePlan({ buckets: 130 })));
    // Same policies for opa eval: a Rego bundle of what the WASM was built from.
    const bundle = join(work, "policies.tar.gz");
    execFileSync(
      OPA,
      [
        "build",
        "--ignore",
        "*_test.rego",
        "-o",
        bundle,
        "policies/main.rego",
        "policies/lib",
        "policies/rules",
      ],
      { cwd: ROOT },
    );
    const { loadStacks } = require("../dist/policies/engine/normalize");
    const { resourcesByType, defaultParams } = require("../dist/policies/engine/engine");

    const rows = [];
    for (const [label, path] of [
      ["project stacks (cdktf.out, 2 stacks)", out],
      ["generated plan", planFile],
    ]) {
      const inproc = runChild("check-once.js", [path, String(RUNS)]);
      const cli = timeCommand(process.execPath, [
        join(ROOT, "bin/imgsec.js"),
        "check",
        path,
        "--format",
        "json",
      ]);
      // opa eval takes one input document: evaluate each stack's and add the times up.
      let opaWhole = 0,
        opaEvalMs = 0,
        opaRss = 0;
      for (const s of loadStacks(path)) {
        const inputFile = join(work, `input-${s.stack}.json`);
        writeFileSync(
          inputFile,
          JSON.stringify({
            stack: s.stack,
            source: s.source,
            params: defaultParams(),
            resources: s.resources,
            by_type: resourcesByType(s),
          }),
        );
        const o = opaEval(inputFile, bundle);
        opaWhole += o.whole.ms;
        opaEvalMs += o.evalMs;
        opaRss = Math.max(opaRss, o.whole.rss ?? 0);
      }
      rows.push({
        label: `${label}: ${inproc.resources} resources, ${inproc.results} results`,
        inproc,
        cli,
        opaWhole,
        opaEvalMs,
        opaRss,
      });
    }
    const lines = [
      `Machine: ${machine()}. ${RUNS} runs each, medians. opa ${execFileSync(OPA, ["version"], { encoding: "utf8" }).split("\n")[0].replace("Version: ", "")} evaluates the same normalized input with the same rules (non-WASM bundle); its in-process time is its own metrics (query compile + eval). Ratio = opa time / imgsec time (above 1: imgsec is faster).`,
      "",
      "| input | imgsec in-process: normalize + eval (ms) | opa eval in-process (ms) | ratio | imgsec check, whole CLI run (ms) | opa eval, whole run (ms) | ratio | imgsec peak RSS (MiB) | opa peak RSS (MiB) |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...rows.map((r) => {
        const inprocMs = r.inproc.normalizeMs + r.inproc.warmEvalMs;
        return `| ${r.label} | ${inprocMs.toFixed(1)} (${r.inproc.normalizeMs.toFixed(1)} + ${r.inproc.warmEvalMs.toFixed(1)}; first eval ${r.inproc.firstEvalMs.toFixed(1)}) | ${r.opaEvalMs.toFixed(1)} | ${(r.opaEvalMs / inprocMs).toFixed(2)} | ${r.cli.ms.toFixed(0)} | ${r.opaWhole.toFixed(0)} | ${(r.opaWhole / r.cli.ms).toFixed(2)} | ${r.cli.rss ? mib(r.cli.rss) : mib(r.inproc.maxRssBytes)} | ${r.opaRss ? mib(r.opaRss) : "n/a"} |`;
      }),
    ].join("\n");
    writeSection("Deployment gate (issue 3)", lines);
    process.stdout.write(lines + "\n");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
