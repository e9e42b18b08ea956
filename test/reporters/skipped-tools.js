"use strict";
// Lists, at the end of every jest run, the test blocks that skipped because an outside tool is
// missing. jest shows a skipped file as a bare count and drops its console output, so without
// this a suite whose every test skipped (no moto, no opa) would pass unnoticed. The blocks are
// named by describeIfAvailable (test/helpers/tools.ts): "<title> [SKIPPED: <tool> not installed]",
// or "<title> [SKIPPED: <what is missing>]".
const { relative } = require("node:path");

const MARK = /\[SKIPPED: ([^\]]+?)(?: not installed)?\]/;

class SkippedToolsReporter {
  constructor(globalConfig) {
    this.root = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const skipped = new Map(); // "tool: file — block" → number of tests skipped
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        if (t.status !== "pending" && t.status !== "skipped") continue;
        const block = t.ancestorTitles.find((a) => MARK.test(a));
        if (!block) continue;
        const tool = MARK.exec(block)[1];
        const key = `${tool}: ${relative(this.root, file.testFilePath)} (${block.replace(MARK, "").trim()})`;
        skipped.set(key, (skipped.get(key) || 0) + 1);
      }
    }
    if (skipped.size === 0) return;
    const lines = [...skipped].map(([k, n]) => `  - ${k}: ${n} test${n === 1 ? "" : "s"}`);
    process.stderr.write(
      `\nSKIPPED because an outside tool is missing (its setup script under scripts/ installs it; under CI=true these fail instead):\n${lines.join("\n")}\n`,
    );
  }
}

module.exports = SkippedToolsReporter;
