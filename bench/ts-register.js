"use strict";
// Lets benchmarks load the TypeScript test generators (test/dicom/corpus) without a build step:
// transpile-only, through the project's own typescript devDependency.
const ts = require("typescript");
const { readFileSync } = require("node:fs");

require.extensions[".ts"] = (module, filename) => {
  const out = ts.transpileModule(readFileSync(filename, "utf8"), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
    fileName: filename,
  });
  module._compile(out.outputText, filename);
};
