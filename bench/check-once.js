"use strict";
// Evaluates the deployment gate in this process on a path; prints timings and peak RSS as JSON.
//   node bench/check-once.js <path> [repeats]
const t0 = process.hrtime.bigint();
const { loadStacks } = require("../dist/policies/engine/normalize");
const { DeploymentGate, defaultParams } = require("../dist/policies/engine/engine");
const path = process.argv[2];
const repeats = Number(process.argv[3] || 5);
const ms = (a, b) => Number(b - a) / 1e6;

const t1 = process.hrtime.bigint();
const stacks = loadStacks(path);
const t2 = process.hrtime.bigint();
const gate = DeploymentGate.load();
const t3 = process.hrtime.bigint();
const params = defaultParams();
let results = 0;
const evalTimes = [];
for (let i = 0; i < repeats; i++) {
  const a = process.hrtime.bigint();
  results = stacks.reduce((n, s) => n + gate.evaluate(s, params).length, 0);
  evalTimes.push(ms(a, process.hrtime.bigint()));
}
const resources = stacks.reduce((n, s) => n + Object.keys(s.resources).length, 0);
process.stdout.write(
  JSON.stringify({
    loadModulesMs: ms(t0, t1),
    normalizeMs: ms(t1, t2),
    loadWasmMs: ms(t2, t3),
    firstEvalMs: evalTimes[0],
    warmEvalMs:
      [...evalTimes.slice(1)].sort((a, b) => a - b)[Math.floor((evalTimes.length - 1) / 2)] ??
      evalTimes[0],
    results,
    resources,
    stacks: stacks.length,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  }) + "\n",
);
