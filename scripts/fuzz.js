#!/usr/bin/env node
"use strict";
/**
 * Coverage-guided fuzzing of the DICOM reader and engine with Jazzer.js (`npm run fuzz`, which
 * builds dist/ first). Longer than the bounded run `npm test` does; the corpus grows across runs.
 *
 *   npm run fuzz                                  # each target for FUZZ_SECONDS (default 600)
 *   npm run fuzz -- engine                        # one target: reader | engine
 *   FUZZ_SECONDS=3600 npm run fuzz -- reader
 *   npm run fuzz -- engine -- -seed=1 -jobs=1     # after a second --: more libFuzzer flags
 *   npm run fuzz -- --repro engine .fuzz/crashes/engine/crash-<sha1>   # run one input again
 *
 * Seeds are generated into .fuzz/seeds (test/fuzz/seeds.ts: synthetic files only), new inputs
 * kept in .fuzz/corpus/<target>, reproducers written to .fuzz/crashes/<target>/ (all git-ignored).
 */
const { existsSync, readFileSync } = require("node:fs");
const { join, resolve } = require("node:path");

const ROOT = join(__dirname, "..");

// test/fuzz/*.ts and the generators they use, transpiled on load (types are checked by lint).
function registerTypeScript() {
  const ts = require("typescript");
  require.extensions[".ts"] = (module, filename) => {
    const { outputText } = ts.transpileModule(readFileSync(filename, "utf8"), {
      fileName: filename,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        resolveJsonModule: true,
      },
    });
    module._compile(outputText, filename);
  };
}

function usage(message) {
  process.stderr.write(
    `${message}\nusage: npm run fuzz -- [reader|engine]... [-- libFuzzer flags]\n       npm run fuzz -- --repro <reader|engine> <file>\n`,
  );
  process.exit(2);
}

async function main() {
  registerTypeScript();
  const { TARGETS, distProblem, findingReport, reproduceCommand, runFuzzer } = require(
    join(ROOT, "test", "fuzz", "jazzer.ts"),
  );
  const { FUZZ_DIR, writeSeeds } = require(join(ROOT, "test", "fuzz", "seeds.ts"));

  const argv = process.argv.slice(2);
  const dash = argv.indexOf("--");
  const args = dash >= 0 ? argv.slice(0, dash) : argv;
  const flags = dash >= 0 ? argv.slice(dash + 1) : [];
  const problem = distProblem();
  if (problem) usage(problem);

  if (args[0] === "--repro") {
    const [, target, file] = args;
    if (!TARGETS.includes(target) || !file || !existsSync(file))
      usage("--repro needs a target and an existing file");
    const out = await runFuzzer({
      target,
      seconds: 60,
      seeds: [resolve(file)],
      artifacts: join(FUZZ_DIR, "repro"),
      log: "inherit",
      libFuzzerFlags: flags,
    });
    process.exit(out.code === 0 ? 0 : 1);
  }

  const targets = args.length > 0 ? args : [...TARGETS];
  for (const t of targets) if (!TARGETS.includes(t)) usage(`unknown fuzz target: ${t}`);
  const seconds = Number(process.env.FUZZ_SECONDS ?? 600);
  if (!Number.isInteger(seconds) || seconds < 1)
    usage("FUZZ_SECONDS must be a whole number of seconds");

  const seeds = join(FUZZ_DIR, "seeds");
  const names = writeSeeds(seeds);
  process.stderr.write(`[fuzz] ${names.length} generated seed files in ${seeds}\n`);
  const failed = [];
  for (const target of targets) {
    process.stderr.write(`[fuzz] ${target}: ${seconds} s, corpus .fuzz/corpus/${target}\n`);
    const out = await runFuzzer({
      target,
      seconds,
      corpus: join(FUZZ_DIR, "corpus", target),
      seeds: [seeds],
      artifacts: join(FUZZ_DIR, "crashes", target),
      log: "inherit",
      libFuzzerFlags: flags,
    });
    if (out.code !== 0 || out.findings.length > 0) {
      failed.push({ target, out });
    }
  }
  for (const { target, out } of failed) {
    process.stderr.write(`\n[fuzz] ${target}: FINDING (exit ${out.code ?? out.signal})\n`);
    if (out.findings.length === 0) process.stderr.write(`${findingReport(out)}\n`);
    for (const f of out.findings)
      process.stderr.write(`  reproducer: ${f}\n  again: ${reproduceCommand(target, f)}\n`);
  }
  process.exit(failed.length > 0 ? 1 : 0);
}

main().catch((e) => {
  process.stderr.write(`[fuzz] ${e.stack || e}\n`);
  process.exit(2);
});
