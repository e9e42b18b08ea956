"use strict";
// `npm run bench`: runs every benchmark and writes bench/results.md. BENCH_ONLY=synth runs one.
const { spawnSync } = require("node:child_process");
const { join } = require("node:path");

const ALL = ["synth", "check", "deid"];
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(",") : ALL;
let failed = false;
for (const name of only) {
  process.stderr.write(`== bench: ${name}\n`);
  const r = spawnSync(process.execPath, [join(__dirname, `${name}.js`)], { stdio: "inherit" });
  if (r.status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
