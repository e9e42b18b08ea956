#!/usr/bin/env node
"use strict";
// No telemetry from CDKTF or HashiCorp tooling: synth must work offline.
process.env.CHECKPOINT_DISABLE = process.env.CHECKPOINT_DISABLE || "1";
// Node 22.1+ keeps compiled bytecode between runs (a no-op where unsupported): start-up is most of
// a short command's time.
const { enableCompileCache } = require("node:module");
if (typeof enableCompileCache === "function") enableCompileCache();
let cli;
try {
  cli = require("../dist/cli/main.js");
} catch (e) {
  if (e && e.code === "MODULE_NOT_FOUND") {
    process.stderr.write(
      "imgsec: not built yet; run `npm run build` (npm ci does it through prepare)\n",
    );
    process.exit(2);
  }
  throw e;
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
