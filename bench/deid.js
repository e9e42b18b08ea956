"use strict";
// Benchmark: de-identification throughput on a generated CT series (200 slices of 512×512, 16-bit)
// with --jobs 1 and --jobs 2, and peak memory on a large multi-frame file, side by side in the
// same run with GDCM's gdcmanon (Debian libgdcm-tools) and with dcmjs's own anonymizer.
require("./ts-register");
const { spawnSync, execFileSync } = require("node:child_process");
const {
  existsSync,
  mkdtempSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { mib, writeSection, machine, ROOT } = require("./lib");
const { generateCtSeries, generateMultiframe } = require("../test/dicom/corpus/generator.ts");

const SLICES = Number(process.env.BENCH_SLICES || 200);
const FRAMES = Number(process.env.BENCH_FRAMES || 1000); // 1000 × 512 × 512 × 2 B = 524 MB
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const IMGSEC = join(ROOT, "bin", "imgsec.js");

/** One timed command: wall seconds and peak RSS (GNU time), failing loudly. */
function timed(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = TIME
    ? spawnSync(TIME, ["-f", "%M", cmd, ...args], { encoding: "utf8", maxBuffer: 1 << 26, ...opts })
    : spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26, ...opts });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${r.status}): ${(r.stderr || "").slice(-400)}`,
    );
  const rss = TIME ? Number(r.stderr.trim().split("\n").pop()) * 1024 : null;
  return { seconds, rss, stdout: r.stdout };
}

function dirBytes(dir) {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

function main() {
  const gdcm = spawnSync("gdcmanon", ["--version"]).status === 0;
  const work = mkdtempSync(join(tmpdir(), "imgsec-bench-deid-"));
  try {
    const input = join(work, "ct");
    mkdirSync(input);
    const series = generateCtSeries({ slices: SLICES, rows: 512, columns: 512 });
    for (const f of series.files) writeFileSync(join(input, f.name), f.bytes);
    const bytes = dirBytes(input);
    const keys = join(work, "keys.json");
    execFileSync(process.execPath, [IMGSEC, "keys", "init", "--keys", keys], { stdio: "ignore" });
    const rows = [];
    const row = (tool, r, files) => ({
      tool,
      seconds: r.seconds,
      filesPerS: files / r.seconds,
      mbPerS: bytes / 1e6 / r.seconds,
      rss: r.rss,
    });
    for (const jobs of [1, 2]) {
      const out = join(work, `out-imgsec-${jobs}`);
      const r = timed(process.execPath, [
        IMGSEC,
        "deid",
        input,
        out,
        "--keys",
        keys,
        "--jobs",
        String(jobs),
        "--format",
        "json",
      ]);
      const s = JSON.parse(r.stdout).summary;
      if (s.deidentified !== SLICES) throw new Error(`imgsec deid: ${JSON.stringify(s)}`);
      rows.push(row(`imgsec deid --jobs ${jobs}`, r, SLICES));
    }
    const dcmjsOut = join(work, "out-dcmjs");
    rows.push(
      row(
        "dcmjs anonymizer (cleanTags; whole file parsed and rewritten)",
        timed(process.execPath, [join(__dirname, "dcmjs-anon.js"), input, dcmjsOut]),
        SLICES,
      ),
    );
    let certArgs = [];
    if (gdcm) {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          join(work, "k.pem"),
          "-out",
          join(work, "c.pem"),
          "-subj",
          "/CN=imgsec-bench",
          "-days",
          "1",
        ],
        { stdio: "ignore" },
      );
      certArgs = ["-c", join(work, "c.pem")];
      const out = join(work, "out-gdcm");
      mkdirSync(out);
      rows.push(
        row(
          "gdcmanon -e (GDCM 3, C++, Basic Profile)",
          timed("gdcmanon", ["-e", ...certArgs, "-i", input, "-o", out, "--continue"]),
          SLICES,
        ),
      );
    }
    const ref = rows.find((r) => r.tool.startsWith("gdcmanon"));

    // Large multi-frame file: peak memory while de-identifying one ~0.5 GB object.
    const big = generateMultiframe({
      path: join(work, "big", "mf.dcm"),
      frames: FRAMES,
      rows: 512,
      columns: 512,
    });
    const bigRows = [];
    const imgsecBig = timed(process.execPath, [
      IMGSEC,
      "deid",
      join(work, "big"),
      join(work, "out-big"),
      "--keys",
      keys,
      "--jobs",
      "1",
      "--format",
      "json",
    ]);
    const bigSummary = JSON.parse(imgsecBig.stdout).summary;
    if (bigSummary.deidentified !== 1)
      throw new Error(`imgsec deid on the multi-frame file: ${JSON.stringify(bigSummary)}`);
    bigRows.push(["imgsec deid", imgsecBig]);
    if (gdcm) {
      mkdirSync(join(work, "out-big-gdcm"));
      bigRows.push([
        "gdcmanon -e",
        timed("gdcmanon", [
          "-e",
          ...certArgs,
          "-i",
          join(work, "big", "mf.dcm"),
          "-o",
          join(work, "out-big-gdcm", "mf.dcm"),
        ]),
      ]);
    }
    bigRows.push([
      "dcmjs anonymizer",
      timed(process.execPath, [
        "--max-old-space-size=8192",
        join(__dirname, "dcmjs-anon.js"),
        join(work, "big"),
        join(work, "out-big-dcmjs"),
      ]),
    ]);

    const lines = [
      `Machine: ${machine()}. One run each (whole commands, process start to exit).`,
      `CT series: ${SLICES} files of 512×512 16-bit, ${(bytes / 1e6).toFixed(1)} MB in all, explicit VR little endian, planted PHI in every header. Ratio: throughput relative to gdcmanon (1.00 = same speed).`,
      "",
      "| tool | wall (s) | files/s | MB/s | ratio to gdcmanon | peak RSS (MiB) |",
      "|---|---:|---:|---:|---:|---:|",
      ...rows.map(
        (r) =>
          `| ${r.tool} | ${r.seconds.toFixed(2)} | ${r.filesPerS.toFixed(1)} | ${r.mbPerS.toFixed(1)} | ${ref ? (r.mbPerS / ref.mbPerS).toFixed(2) : "n/a"} | ${r.rss ? mib(r.rss) : "n/a"} |`,
      ),
      "",
      `Multi-frame: one file of ${FRAMES} frames 512×512 16-bit, ${(big.size / 1e6).toFixed(0)} MB.`,
      "",
      "| tool | wall (s) | MB/s | peak RSS (MiB) |",
      "|---|---:|---:|---:|",
      ...bigRows.map(
        ([tool, r]) =>
          `| ${tool} | ${r.seconds.toFixed(2)} | ${(big.size / 1e6 / r.seconds).toFixed(1)} | ${r.rss ? mib(r.rss) : "n/a"} |`,
      ),
      gdcm
        ? ""
        : "\ngdcmanon was not installed (scripts/setup-dicom-tools.sh): no GDCM comparison in this run.",
    ].join("\n");
    writeSection("De-identification (issue 4)", lines);
    process.stdout.write(lines + "\n");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
