"use strict";
// `npm run bench`: runs every benchmark and writes bench/results.md. BENCH_ONLY=synth runs one
// (comma-separated for several).
const { spawnSync } = require("node:child_process");
const { existsSync } = require("node:fs");
const { join } = require("node:path");
const { mib, writeSection, machine } = require("./lib");

const ALL = ["synth", "check", "deid", "packages", "audit", "job", "report", "checkov"];
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(",") : ALL;
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

/** bench/audit.js prints one JSON line; its section is written here, with GNU time's peak RSS. */
function audit(script) {
  const r = TIME
    ? spawnSync(TIME, ["-f", "%M", process.execPath, script], { encoding: "utf8" })
    : spawnSync(process.execPath, [script], { encoding: "utf8" });
  const stderr = r.stderr.trim().split("\n");
  const rss = TIME && r.status === 0 ? Number(stderr.pop()) * 1024 : null;
  if (stderr.join("").trim()) process.stderr.write(stderr.join("\n") + "\n");
  if (r.status !== 0) return r.status;
  const m = JSON.parse(r.stdout.trim().split("\n").pop());
  const n = (x) => x.toLocaleString("en-US");
  const lines = [
    `Machine: ${machine()}. One run. Log: ${n(m.records)} records, ${(m.bytes / 1e6).toFixed(1)} MB, in the temporary folder; records of 3 objects each; local key file.`,
    "",
    "| what | records/s |",
    "|---|---:|",
    `| append, one at a time (each awaited: one cross-process lock round trip per record) | ${n(m.appendsPerSecond)} |`,
    `| append, 64 in flight (grouped into one locked write) | ${n(m.groupedAppendsPerSecond)} |`,
    `| audit verify with the audit key (HMAC of every record, hash chain, checkpoint signatures) | ${n(m.verifyRecordsPerSecond)} |`,
    `| audit verify with the public key only (hash chain, checkpoint signatures) | ${n(m.verifyPubkeyOnlyRecordsPerSecond)} |`,
    "",
    `Peak RSS of the whole benchmark process: ${rss ? `${mib(rss)} MiB` : "n/a (no /usr/bin/time)"}.`,
  ].join("\n");
  writeSection("Audit log", lines);
  process.stdout.write(lines + "\n\n" + JSON.stringify(m) + "\n");
  return 0;
}

let failed = false;
for (const name of only) {
  process.stderr.write(`== bench: ${name}\n`);
  const script = join(__dirname, `${name}.js`);
  const status =
    name === "audit"
      ? audit(script)
      : spawnSync(process.execPath, [script], { stdio: "inherit" }).status;
  if (status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
