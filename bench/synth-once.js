"use strict";
// One cold synth of the whole app in this process; prints {ms, maxRssBytes, stacks, resources}.
const { mkdtempSync, rmSync, readFileSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const t0 = process.hrtime.bigint();
const { buildApp } = require("../dist/stacks/app");
const { resolveEnvironments } = require("../dist/stacks/config");
const out = mkdtempSync(join(tmpdir(), "imgsec-bench-synth-"));
buildApp(out, resolveEnvironments()).synth();
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
let resources = 0;
for (const s of Object.values(manifest.stacks)) {
  const tf = JSON.parse(readFileSync(join(out, s.synthesizedStackPath), "utf8"));
  for (const byType of Object.values(tf.resource)) resources += Object.keys(byType).length;
}
rmSync(out, { recursive: true, force: true });
process.stdout.write(
  JSON.stringify({
    ms,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    stacks: Object.keys(manifest.stacks).length,
    resources,
  }) + "\n",
);
