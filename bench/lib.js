"use strict";
// Shared benchmark plumbing: run a script in a fresh Node process and collect its timings and
// peak resident memory (from the child's own resource usage), then write a markdown table.
const { spawnSync } = require("node:child_process");
const { writeFileSync, renameSync, readFileSync, existsSync } = require("node:fs");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");

/** Runs `node script args...`; the script prints one JSON line with its measurements. */
function runChild(script, args = [], env = {}) {
  const r = spawnSync(process.execPath, [join(__dirname, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", ...env },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr.split("\n")[0]}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);

/** Replaces one `## title` section of bench/results.md (atomically), keeping the others. */
function writeSection(title, body) {
  const file = join(__dirname, "results.md");
  const header =
    "# imgsec benchmark results\n\nWritten by `npm run bench`; each section is replaced when its benchmark runs.\n";
  const text = existsSync(file) ? readFileSync(file, "utf8") : header;
  const sections = text.split(/\n(?=## )/);
  const section = `## ${title}\n\n${body.trim()}\n`;
  const i = sections.findIndex((s) => s.startsWith(`## ${title}\n`));
  if (i >= 0) sections[i] = section;
  else sections.push(section);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, sections.join("\n"));
  renameSync(tmp, file);
}

function machine() {
  const os = require("node:os");
  return `${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${mib(os.totalmem())} MiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

module.exports = { runChild, median, mib, writeSection, machine, ROOT };
