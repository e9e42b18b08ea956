#!/usr/bin/env node
"use strict";
// Converts the reference data in ../shared into files the project ships, so nothing reads
// ../shared at run time. Run it when ../shared changes; test/reference.test.ts checks that the
// shipped files still match their sources.
//   node scripts/convert-reference.js [--check]
const { readFileSync, writeFileSync, renameSync, existsSync } = require("node:fs");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");
const SHARED = process.env.IMGSEC_SHARED || join(ROOT, "..", "shared");

/** Each conversion: source file under shared/, target under the repo, and a pure transform. */
const CONVERSIONS = [
  {
    source: "hipaa/security-rule.json",
    target: "compliance/hipaa-security-rule.json",
    transform: (src) => ({
      source: src.source,
      security_rule: src.security_rule.map((r) => ({
        citation: r.citation,
        title: r.title,
        kind: r.kind,
      })),
      safe_harbor_164_514_b_2_i: src.safe_harbor_164_514_b_2_i,
      re_identification_164_514_c: src.re_identification_164_514_c,
    }),
  },
];

function render(c) {
  const src = JSON.parse(readFileSync(join(SHARED, c.source), "utf8"));
  return JSON.stringify(c.transform(src), null, 1) + "\n";
}

function main() {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const c of CONVERSIONS) {
    const target = join(ROOT, c.target);
    const text = render(c);
    const current = existsSync(target) ? readFileSync(target, "utf8") : "";
    if (current === text) continue;
    if (check) {
      process.stderr.write(`stale: ${c.target} differs from ../shared/${c.source}\n`);
      stale++;
    } else {
      writeFileSync(`${target}.tmp`, text);
      renameSync(`${target}.tmp`, target);
      process.stderr.write(`wrote ${c.target}\n`);
    }
  }
  process.exitCode = stale ? 1 : 0;
}

module.exports = { CONVERSIONS, render, SHARED };
if (require.main === module) main();
