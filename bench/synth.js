"use strict";
// Benchmark: synthesizing the whole CDKTF app (every environment), cold, in a fresh process each
// time (what `npm run synth` and CI pay), plus the whole CLI run with its summary.
const { spawnSync } = require("node:child_process");
const { mkdtempSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { runChild, median, mib, writeSection, machine, ROOT } = require("./lib");

const RUNS = Number(process.env.BENCH_RUNS || 5);

function cliRun() {
  const out = mkdtempSync(join(tmpdir(), "imgsec-bench-cli-"));
  const t0 = process.hrtime.bigint();
  const r = spawnSync(
    process.execPath,
    [join(ROOT, "bin/imgsec.js"), "synth", "--out", join(out, "o")],
    { encoding: "utf8" },
  );
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  rmSync(out, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`imgsec synth failed: ${r.stderr}`);
  return ms;
}

function main() {
  const runs = Array.from({ length: RUNS }, () => runChild("synth-once.js"));
  const cli = Array.from({ length: RUNS }, cliRun);
  const { stacks, resources } = runs[0];
  const rows = [
    [
      "synth, in a fresh process (load + build + write)",
      median(runs.map((r) => r.ms)),
      Math.max(...runs.map((r) => r.maxRssBytes)),
    ],
    ["`imgsec synth` whole CLI run (process start to exit, with summary)", median(cli), null],
  ];
  const table = [
    `Machine: ${machine()}. ${RUNS} runs each, median wall time; peak RSS is the largest of the runs.`,
    `App: ${stacks} stacks, ${resources} resources in all.`,
    "",
    "| what | wall time (ms) | peak RSS (MiB) |",
    "|---|---:|---:|",
    ...rows.map(
      ([what, ms, rss]) => `| ${what} | ${ms.toFixed(0)} | ${rss == null ? "—" : mib(rss)} |`,
    ),
  ].join("\n");
  writeSection("Synthesis (issue 2)", table);
  process.stdout.write(table + "\n");
}

main();
