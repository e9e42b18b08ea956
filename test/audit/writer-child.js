"use strict";
// One writer of the concurrency test: a child process (argv[2] is JSON) or a worker thread
// (workerData). Appends `count` events tagged with its name, then closes (or, with `crash`,
// exits without closing, as a killed process would).
const { isMainThread, workerData, parentPort } = require("node:worker_threads");

// Transpile-only TypeScript loading, so the test needs no build step.
require("../../bench/ts-register");

const args = isMainThread ? JSON.parse(process.argv[2]) : workerData;
const { openAuditLog } = require("../../handlers/audit/index.ts");

async function run() {
  const w = await openAuditLog({
    path: args.path,
    keysPath: args.keys,
    actor: `local:${args.name}`,
    checkpointEvery: args.every,
    s3: false,
  });
  for (let i = 0; i < args.count; i++) {
    await w.append({ op: "check", outcome: "ok", details: { writer: args.name, i } });
  }
  if (args.crash) process.exit(0);
  await w.close();
}

run().then(
  () => {
    if (!isMainThread) parentPort.postMessage("done");
  },
  (e) => {
    process.stderr.write(`${args.name}: ${e.message}\n`);
    if (isMainThread) process.exitCode = 1;
    else throw e;
  },
);
