"use strict";
// Benchmark: de-identification, whole processes, against GDCM's gdcmanon (Debian libgdcm-tools)
// and dcmjs's own anonymizer.
//
// - CT series (200 slices of 512×512, 16-bit): `imgsec deid --jobs 1`, `--jobs 2`, gdcmanon and
//   the dcmjs anonymizer in ONE hyperfine invocation (warmup, then BENCH_RUNS runs each, exported
//   as JSON): every figure is a whole process, start to exit, on a warm page cache, each run into
//   a fresh output folder (removed, then `sync`, before the run: no run inherits another's dirty
//   pages). imgsec fsyncs every output and its folder entry before it counts it as done;
//   gdcmanon and dcmjs do not fsync at all (their outputs may still be in the page cache when
//   they exit). Ratios are whole process against whole process.
// - Multi-frame file (BENCH_FRAMES frames of 512×512, 16-bit; 524 MB at 1000): imgsec and
//   gdcmanon in one hyperfine invocation (time), then one run of each under GNU time for peak RSS
//   (dcmjs: that one run only, for its time and memory).
require("./ts-register");
const { spawnSync, execFileSync } = require("node:child_process");
const {
  existsSync,
  mkdtempSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} = require("node:fs");
const { loadavg, tmpdir } = require("node:os");
const { join } = require("node:path");
const { mib, writeSection, machine, ROOT } = require("./lib");
const { generateCtSeries, generateMultiframe } = require("../test/dicom/corpus/generator.ts");

const SLICES = Number(process.env.BENCH_SLICES || 200);
const FRAMES = Number(process.env.BENCH_FRAMES || 1000); // 1000 × 512 × 512 × 2 B = 524 MB
const RUNS = Number(process.env.BENCH_RUNS || 10);
const BIG_RUNS = Number(process.env.BENCH_BIG_RUNS || 3);
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const IMGSEC = join(ROOT, "bin", "imgsec.js");
const NODE = process.execPath;

const need = (tool, args = ["--version"]) => spawnSync(tool, args).status === 0;

/** A shell-quoted argument for hyperfine's command lines (its own parser splits them). */
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const line = (argv) => argv.map(q).join(" ");

/**
 * One hyperfine invocation over `commands` ({ name, argv, out, mkdir }): each run starts from an
 * empty `out` (removed, then `sync`, in hyperfine's --prepare, outside the timing). Returns
 * hyperfine's JSON results by name.
 */
function hyperfine(commands, { runs, warmup, json }) {
  const args = ["-N", "--warmup", String(warmup), "--runs", String(runs), "--export-json", json];
  for (const c of commands) {
    const reset = `rm -rf ${q(c.out)}${c.mkdir ? ` && mkdir -p ${q(c.out)}` : ""} && sync`;
    args.push("--prepare", line(["sh", "-c", reset]));
  }
  for (const c of commands) args.push("--command-name", c.name);
  args.push(...commands.map((c) => line(c.argv)));
  const r = spawnSync("hyperfine", args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.stderr.write(r.stdout);
  if (r.status !== 0) throw new Error(`hyperfine failed (${r.status})`);
  const results = JSON.parse(readFileSync(json, "utf8")).results;
  return Object.fromEntries(results.map((x, i) => [commands[i].name, x]));
}

/** One run under GNU time: wall seconds and peak RSS, failing loudly. */
function gnuTime(cmd, args) {
  const r = spawnSync(TIME, ["-f", "%e %M", cmd, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${r.status}): ${(r.stderr || "").slice(-400)}`,
    );
  const [seconds, kb] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
  return { seconds, rss: kb * 1024, stdout: r.stdout };
}

const dcmCount = (dir) => readdirSync(dir).filter((n) => n.endsWith(".dcm")).length;
const dirBytes = (dir) => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
const fmt = (x, d = 2) => (typeof x === "number" ? x.toFixed(d) : "—");
const load = () => loadavg()[0].toFixed(2);

function main() {
  if (!need("hyperfine"))
    throw new Error("hyperfine is needed (Debian/Ubuntu: apt-get install hyperfine)");
  if (!TIME)
    throw new Error("GNU time (/usr/bin/time) is needed for peak RSS (apt-get install time)");
  const gdcm = need("gdcmanon");
  const work = mkdtempSync(join(tmpdir(), "imgsec-bench-deid-"));
  const loadBefore = load();
  try {
    const input = join(work, "ct");
    mkdirSync(input);
    const series = generateCtSeries({ slices: SLICES, rows: 512, columns: 512 });
    for (const f of series.files) writeFileSync(join(input, f.name), f.bytes);
    const bytes = dirBytes(input);
    const keys = join(work, "keys.json");
    execFileSync(NODE, [IMGSEC, "keys", "init", "--keys", keys], { stdio: "ignore" });
    const imgsec = (jobs, out, from = input) => [
      NODE,
      IMGSEC,
      "deid",
      from,
      out,
      "--keys",
      keys,
      "--jobs",
      String(jobs),
    ];
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
    }
    // What is timed is checked first: every slice de-identified, by each tool.
    const [node, ...checkArgs] = imgsec(1, join(work, "check"));
    const check = gnuTime(node, [...checkArgs, "--format", "json"]);
    const summary = JSON.parse(check.stdout).summary;
    if (summary.deidentified !== SLICES) throw new Error(`imgsec deid: ${JSON.stringify(summary)}`);

    const ct = [
      { name: "imgsec deid --jobs 1", out: join(work, "o1"), argv: imgsec(1, join(work, "o1")) },
      { name: "imgsec deid --jobs 2", out: join(work, "o2"), argv: imgsec(2, join(work, "o2")) },
    ];
    if (gdcm)
      ct.push({
        name: "gdcmanon -e (GDCM 3, C++, Basic Profile)",
        out: join(work, "og"),
        mkdir: true,
        argv: ["gdcmanon", "-e", ...certArgs, "-i", input, "-o", join(work, "og"), "--continue"],
      });
    ct.push({
      name: "dcmjs anonymizer (cleanTags; whole file parsed and rewritten)",
      out: join(work, "od"),
      argv: [NODE, join(__dirname, "dcmjs-anon.js"), input, join(work, "od")],
    });
    const res = hyperfine(ct, { runs: RUNS, warmup: 1, json: join(work, "ct.json") });
    for (const c of ct)
      if (dcmCount(c.out) !== SLICES) throw new Error(`${c.name}: ${dcmCount(c.out)} outputs`);
    // Peak RSS: one more run of each, under GNU time.
    const rss = {};
    for (const c of ct) {
      rmSync(c.out, { recursive: true, force: true });
      if (c.mkdir) mkdirSync(c.out);
      rss[c.name] = gnuTime(c.argv[0], c.argv.slice(1)).rss;
    }
    const ref = gdcm ? res[ct[2].name] : undefined;
    // How many threads `--jobs 2` used here (handlers/job/deid-runner.ts threadsFor: workers only for enough work).
    const { threadsFor } = require(join(ROOT, "dist", "cli", "deid.js"));
    const threads2 = threadsFor(
      readdirSync(input).map((n) => join(input, n)),
      2,
    );

    // Large multi-frame file: time (hyperfine) and peak memory (GNU time) on one ~0.5 GB object.
    const big = generateMultiframe({
      path: join(work, "big", "mf.dcm"),
      frames: FRAMES,
      rows: 512,
      columns: 512,
    });
    const bigOut = join(work, "out-big");
    const bigCmds = [
      { name: "imgsec deid", out: bigOut, argv: imgsec(1, bigOut, join(work, "big")) },
    ];
    if (gdcm)
      bigCmds.push({
        name: "gdcmanon -e",
        out: join(work, "out-big-gdcm"),
        mkdir: true,
        argv: [
          "gdcmanon",
          "-e",
          ...certArgs,
          "-i",
          join(work, "big", "mf.dcm"),
          "-o",
          join(work, "out-big-gdcm", "mf.dcm"),
        ],
      });
    const bigRes = hyperfine(bigCmds, { runs: BIG_RUNS, warmup: 1, json: join(work, "big.json") });
    const bigRss = {};
    for (const c of bigCmds) {
      rmSync(c.out, { recursive: true, force: true });
      if (c.mkdir) mkdirSync(c.out);
      bigRss[c.name] = gnuTime(c.argv[0], c.argv.slice(1));
    }
    if (dcmCount(bigOut) !== 1) throw new Error("imgsec deid on the multi-frame file: no output");
    const dcmjsBig = gnuTime(NODE, [
      "--max-old-space-size=8192",
      join(__dirname, "dcmjs-anon.js"),
      join(work, "big"),
      join(work, "out-big-dcmjs"),
    ]);
    const loadAfter = load();

    const mb = big.size / 1e6;
    const lines = [
      `Machine: ${machine()}; 1-minute load average ${loadBefore} before the run, ${loadAfter} after (a shared machine: figures move between runs).`,
      `Whole processes, start to exit, timed by hyperfine ${execFileSync("hyperfine", ["--version"], { encoding: "utf8" }).trim().split(" ").pop()} (one invocation for all the commands of a table: 1 warmup run, then ${RUNS} runs each; mean ± standard deviation), on a warm page cache (the inputs were read by the warmup runs), each run into a fresh output folder (removed, then \`sync\`, before the run, outside the timing). imgsec fsyncs every output file and its folder entry before it counts the output as done (and appends an audit record for each input); gdcmanon and dcmjs do not fsync (their outputs may still be in the page cache when they exit). Peak RSS: one more run of each under GNU time.`,
      `CT series: ${SLICES} files of 512×512 16-bit, ${fmt(bytes / 1e6, 1)} MB in all, explicit VR little endian, planted PHI in every header. Ratio: throughput relative to gdcmanon (gdcmanon's mean time ÷ the tool's; 1.00 = same speed, above 1 = faster).`,
      `\`--jobs 2\` ran ${threads2 === 1 ? "in one thread: worker threads are started only when the inputs hold enough work to pay for their start-up (handlers/job/deid-runner.ts threadsFor), which these do not" : `${threads2} threads`}.`,
      "",
      "| tool | wall (s), mean ± σ | min … max (s) | user + sys CPU (s) | files/s | MB/s | ratio to gdcmanon | peak RSS (MiB) |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
      ...ct.map((c) => {
        const r = res[c.name];
        return `| ${c.name} | ${fmt(r.mean, 3)} ± ${fmt(r.stddev, 3)} | ${fmt(r.min, 3)} … ${fmt(r.max, 3)} | ${fmt(r.user, 2)} + ${fmt(r.system, 2)} | ${fmt(SLICES / r.mean, 1)} | ${fmt(bytes / 1e6 / r.mean, 1)} | ${ref ? fmt(ref.mean / r.mean) : "n/a"} | ${mib(rss[c.name])} |`;
      }),
      "",
      `Multi-frame: one file of ${FRAMES} frames 512×512 16-bit, ${fmt(mb, 0)} MB. Time: hyperfine, 1 warmup run, then ${BIG_RUNS} runs each (imgsec fsyncs its output, gdcmanon does not); peak RSS: one run under GNU time. dcmjs: that one GNU time run only (too slow to repeat).`,
      "",
      "| tool | wall (s), mean ± σ | MB/s | peak RSS (MiB) |",
      "|---|---:|---:|---:|",
      ...bigCmds.map((c) => {
        const r = bigRes[c.name];
        return `| ${c.name} | ${fmt(r.mean)} ± ${fmt(r.stddev)} | ${fmt(mb / r.mean, 1)} | ${mib(bigRss[c.name].rss)} |`;
      }),
      `| dcmjs anonymizer (one run, GNU time) | ${fmt(dcmjsBig.seconds)} | ${fmt(mb / dcmjsBig.seconds, 1)} | ${mib(dcmjsBig.rss)} |`,
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
