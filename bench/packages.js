"use strict";
// Benchmark: packages, every figure a whole process. `imgsec encrypt`, `imgsec decrypt` and
// `imgsec verify-package` run as a user runs them (`node bin/imgsec.js ...`: start-up, key loading,
// inspecting the input, the pixel digest, the ESDK, fsync, the audit record), timed with hyperfine
// in the same invocation as the reference, bench/aes-gcm-ref.js: plain streaming AES-256-GCM from
// node:crypto, file to file with fsync, itself a whole process. Ratios are of whole-process
// medians only. Peak RSS from GNU time (/usr/bin/time), in separate runs. The input is a
// de-identified object: a generated multi-frame CT (test/dicom/corpus) through `imgsec deid`.
// Needs `npm run build` (npm run bench does it) and hyperfine.
//
//   BENCH_ROUNDS=3  hyperfine invocations per table (a slow spell of this shared machine then
//                   falls on every command of the table, not on one)
//   BENCH_RUNS=3    timed runs per command in each invocation (at least 3), after one warm-up run
//   BENCH_QUICK=1   64 MB only, fewer sweeps; bench/results.md is not rewritten
require("./ts-register");
const { spawnSync, execFileSync } = require("node:child_process");
const { createHash } = require("node:crypto");
const {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} = require("node:fs");
const { tmpdir, loadavg, cpus } = require("node:os");
const { basename, join } = require("node:path");
const { mib, writeSection, machine, ROOT } = require("./lib");
const { generateMultiframe } = require("../test/dicom/corpus/generator.ts");

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS || 3));
const RUNS = Math.max(3, Number(process.env.BENCH_RUNS || 3));
const QUICK = process.env.BENCH_QUICK === "1";
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const IMGSEC = join(ROOT, "bin", "imgsec.js");
const REF = join(__dirname, "aes-gcm-ref.js");
const NODE = process.execPath;
const MB = 1e6;
const FRAME_BYTES = 512 * 512 * 2;
const DATASET = "bench-1";

function hashFile(path) {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/**
 * One hyperfine invocation over `commands` ([{name, argv, dir}]), one warm-up and RUNS timed runs
 * each. Before every run of a command its output folder `dir` is emptied and dirty pages are
 * written out (`sync`); the other commands' outputs stay, so after the invocation every command's
 * last output is there. Returns hyperfine's results by name (seconds).
 */
function hyperfine(work, commands, { ignoreFailure = false } = {}) {
  const json = join(work, "hyperfine.json");
  const args = ["-N", "--style", "basic", "--warmup", "1", "--runs", String(RUNS)];
  for (const c of commands)
    args.push("--prepare", `sh -c "rm -rf ${c.dir} && mkdir -p ${c.dir} && sync"`);
  args.push("--export-json", json, ...(ignoreFailure ? ["-i"] : []));
  for (const c of commands) args.push("-n", c.name, c.argv.join(" "));
  const r = spawnSync("hyperfine", args, {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.stderr.write(r.stdout);
  if (r.status !== 0) throw new Error(`hyperfine failed (${r.status})`);
  const results = JSON.parse(readFileSync(json, "utf8")).results;
  return Object.fromEntries(results.map((x) => [x.command, x]));
}

const medianOf = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * ROUNDS hyperfine invocations over the same commands. Per command: every run's time pooled
 * (mean, σ, median, min), CPU as the mean of the invocations' means, and each invocation's median
 * (`rounds`), from which ratios are taken invocation by invocation (see `ratio`).
 */
function measure(work, commands, opts) {
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(hyperfine(work, commands, opts));
  return Object.fromEntries(
    commands.map((c) => {
      const rs = rounds.map((r) => r[c.name]);
      const times = rs.flatMap((r) => r.times);
      const mean = times.reduce((a, b) => a + b, 0) / times.length;
      const sd = Math.sqrt(times.reduce((a, b) => a + (b - mean) ** 2, 0) / (times.length - 1));
      return [
        c.name,
        {
          times,
          mean,
          stddev: sd,
          median: medianOf(times),
          min: Math.min(...times),
          cpu: rs.reduce((a, r) => a + r.user + r.system, 0) / rs.length,
          rounds: rs.map((r) => r.median),
        },
      ];
    }),
  );
}

/** Reference ÷ command, invocation by invocation: the median and the range over invocations. */
function ratio(ref, x) {
  const rs = ref.rounds.map((t, i) => t / x.rounds[i]);
  return { median: medianOf(rs), min: Math.min(...rs), max: Math.max(...rs) };
}

/** Peak RSS (bytes) of a command: the larger of two runs under GNU time. */
function peakRss(c, { ignoreFailure = false } = {}) {
  if (!TIME) return null;
  let peak = 0;
  for (let i = 0; i < 2; i++) {
    rmSync(c.dir, { recursive: true, force: true });
    mkdirSync(c.dir, { recursive: true });
    spawnSync("sync");
    const r = spawnSync(TIME, ["-f", "%M", ...c.argv], { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0 && !ignoreFailure)
      throw new Error(`${c.argv.join(" ")} failed: ${r.stderr.slice(-400)}`);
    peak = Math.max(peak, Number(r.stderr.trim().split("\n").pop()) * 1024);
  }
  return peak;
}

/** A de-identified object of about `sizeMb` MB (pixel data), made with the generator and `imgsec deid`. */
function makeInput(work, keys, sizeMb) {
  const raw = join(work, `raw-${sizeMb}`);
  const deid = join(work, `deid-${sizeMb}`);
  generateMultiframe({
    path: join(raw, "mf.dcm"),
    frames: Math.round((sizeMb * MB) / FRAME_BYTES),
    rows: 512,
    columns: 512,
  });
  execFileSync(NODE, [IMGSEC, "deid", raw, deid, "--keys", keys, "--jobs", "1"], {
    stdio: "ignore",
  });
  rmSync(raw, { recursive: true, force: true });
  const [name] = readdirSync(deid);
  const path = join(deid, name);
  return { path, bytes: statSync(path).size, digest: hashFile(path) };
}

const encryptArgv = (input, out, keys, suite, frameLength) => [
  NODE,
  IMGSEC,
  "encrypt",
  input,
  out,
  "--dataset",
  DATASET,
  "--keys",
  keys,
  ...(suite === "unsigned" ? ["--suite", "unsigned"] : []),
  ...(frameLength ? ["--frame-length", String(frameLength)] : []),
];
const decryptArgv = (pkg, out, keys) => [
  NODE,
  IMGSEC,
  "decrypt",
  pkg,
  out,
  "--dataset",
  DATASET,
  "--keys",
  keys,
];

function main() {
  if (spawnSync("hyperfine", ["--version"]).status !== 0)
    throw new Error("bench/packages.js needs hyperfine (apt-get install hyperfine)");
  const SIZES = QUICK ? [64] : [64, 512];
  const LARGEST = SIZES[SIZES.length - 1];
  const SWEEP_SIZE = 64;
  const FRAMES = QUICK ? [1 << 20, 4 << 20] : [64 << 10, 256 << 10, 1 << 20, 4 << 20];
  const SUITES = ["unsigned", "signed"];
  const load = () => loadavg()[0].toFixed(2);
  const results = {
    machine: machine(),
    loadBefore: load(),
    rounds: ROUNDS,
    runs: RUNS,
    encrypt: [],
    sweep: [],
  };
  if (Number(results.loadBefore) > 0.5)
    process.stderr.write(
      `packages: load average ${results.loadBefore} on ${cpus().length} CPUs: other work competes, numbers will be noisy\n`,
    );

  const work = mkdtempSync(join(tmpdir(), "imgsec-bench-packages-"));
  const keep = join(work, "keep");
  mkdirSync(keep);
  // A command writes into its own folder, emptied before each of its runs.
  const command = (name, slug, file, argvFor) => {
    const dir = join(work, "out", slug);
    const output = join(dir, file);
    return { name, slug, dir, output, argv: argvFor(output) };
  };
  const kept = (c, file = "") => join(keep, c.slug, file || basename(c.output));
  const keepOutputs = (commands) => {
    for (const c of commands) renameSync(c.dir, join(keep, c.slug));
  };
  try {
    const keys = join(work, "keys.json");
    execFileSync(NODE, [IMGSEC, "keys", "init", "--keys", keys], { stdio: "ignore" });
    const inputs = {};
    for (const size of SIZES) {
      process.stderr.write(`packages: ${size} MB input\n`);
      inputs[size] = makeInput(work, keys, size);
    }
    const refEncrypt = (input, slug = "ref") =>
      command("reference", slug, "ref.bin", (o) => [NODE, REF, "encrypt", input, o]);
    const refDecrypt = (enc) =>
      command("reference", "ref-dec", "ref.dcm", (o) => [NODE, REF, "decrypt", kept(enc), o]);

    // Encrypt: the reference and both suites, at every size, one hyperfine invocation each.
    let packages;
    for (const size of SIZES) {
      process.stderr.write(`packages: encrypt ${size} MB\n`);
      const input = inputs[size].path;
      const commands = [
        refEncrypt(input),
        ...SUITES.map((suite) =>
          command(suite, suite, `${suite}.imgsec`, (o) => encryptArgv(input, o, keys, suite)),
        ),
      ];
      const h = measure(work, commands);
      const rss = Object.fromEntries(commands.map((c) => [c.name, peakRss(c)]));
      results.encrypt.push({ size, bytes: inputs[size].bytes, h, rss });
      if (size === LARGEST) {
        // Each command's last output: what the decrypt and verify runs read.
        keepOutputs(commands);
        packages = commands;
      } else rmSync(join(work, "out"), { recursive: true, force: true });
    }

    // Decrypt at the largest size: the reference decrypt and both suites.
    process.stderr.write(`packages: decrypt ${LARGEST} MB\n`);
    const [refPkg, ...suitePkgs] = packages;
    const decCommands = [
      refDecrypt(refPkg),
      ...suitePkgs.map((p) =>
        command(p.name, `${p.slug}-dec`, `${p.slug}.dcm`, (o) => decryptArgv(kept(p), o, keys)),
      ),
    ];
    const decH = measure(work, decCommands);
    // Each command's last output is still there (emptied before a run, not after).
    for (const c of decCommands)
      if (hashFile(c.output) !== inputs[LARGEST].digest)
        throw new Error(`decrypt (${c.name}): the output differs from the input`);
    const decRss = Object.fromEntries(decCommands.map((c) => [c.name, peakRss(c)]));
    results.decrypt = { size: LARGEST, bytes: inputs[LARGEST].bytes, h: decH, rss: decRss };
    rmSync(join(work, "out"), { recursive: true, force: true });

    // verify-package at the largest size (the unsigned package fails the signed-suite rule: exit
    // 1, as it should), with sha256sum of the same package as a whole-process baseline.
    process.stderr.write(`packages: verify-package ${LARGEST} MB\n`);
    const signedPkg = kept(suitePkgs.find((p) => p.name === "signed"));
    const verCommands = [
      ...suitePkgs.map((p) =>
        command(p.name, `${p.slug}-verify`, "none", () => [
          NODE,
          IMGSEC,
          "verify-package",
          kept(p),
          "--keys",
          keys,
        ]),
      ),
      command("sha256sum", "sha256sum", "none", () => ["sha256sum", signedPkg]),
    ];
    const verH = measure(work, verCommands, { ignoreFailure: true });
    const verRss = Object.fromEntries(
      verCommands.map((c) => [c.name, peakRss(c, { ignoreFailure: true })]),
    );
    results.verify = { size: LARGEST, bytes: statSync(signedPkg).size, h: verH, rss: verRss };
    rmSync(join(work, "out"), { recursive: true, force: true });
    rmSync(keep, { recursive: true, force: true });
    mkdirSync(keep);
    if (LARGEST !== SWEEP_SIZE) rmSync(inputs[LARGEST].path, { force: true });

    // Frame length: encrypt, then decrypt of what it wrote, at SWEEP_SIZE, against the reference.
    process.stderr.write(`packages: frame-length sweep at ${SWEEP_SIZE} MB\n`);
    const input = inputs[SWEEP_SIZE].path;
    const grid = FRAMES.flatMap((frameLength) =>
      SUITES.map((suite) => ({ frameLength, suite, name: `${suite} ${frameLength}` })),
    );
    const encCommands = [
      refEncrypt(input),
      ...grid.map((g) =>
        command(g.name, `${g.suite}-${g.frameLength}`, "p.imgsec", (o) =>
          encryptArgv(input, o, keys, g.suite, g.frameLength),
        ),
      ),
    ];
    const sweepEnc = measure(work, encCommands);
    keepOutputs(encCommands);
    const [sweepRef, ...sweepPkgs] = encCommands;
    const sweepDec = measure(work, [
      refDecrypt(sweepRef),
      ...sweepPkgs.map((p) =>
        command(p.name, `${p.slug}-dec`, "p.dcm", (o) => decryptArgv(kept(p), o, keys)),
      ),
    ]);
    results.sweep = {
      size: SWEEP_SIZE,
      bytes: inputs[SWEEP_SIZE].bytes,
      grid,
      enc: sweepEnc,
      dec: sweepDec,
    };
    results.loadAfter = load();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  report(results, SUITES);
}

function report(results, SUITES) {
  const f2 = (x) => x.toFixed(2);
  const f0 = (x) => x.toFixed(0);
  const kib = (n) => (n >= 1 << 20 ? `${n / (1 << 20)} MiB` : `${n / 1024} KiB`);
  const suiteName = (s) =>
    s === "signed" ? "signed 0x0578 (default)" : s === "unsigned" ? "unsigned 0x0478" : s;
  const med = (x) => x.median;
  const mbps = (bytes, x) => bytes / MB / med(x);
  const cpu = (x) => x.cpu;
  const ratioCell = (ref, x) => {
    const r = ratio(ref, x);
    return ROUNDS > 1 ? `**${f2(r.median)}** (${f2(r.min)}–${f2(r.max)})` : `**${f2(r.median)}**`;
  };
  const rssCell = (r) => (r ? mib(r) : "n/a");
  const row = (bytes, x, ref, rss, label) =>
    `| ${label} | ${f2(x.mean)} ± ${f2(x.stddev)} | ${f2(med(x))} | ${f2(x.min)} | ${f0(mbps(bytes, x))} | ${f2(cpu(x))} | ${rssCell(rss)} | ${ref ? ratioCell(ref, x) : "1"} |`;
  const header = [
    "| command | mean ± σ (s) | median (s) | min (s) | MB/s (median) | CPU user + sys (s) | peak RSS (MiB) | ratio to reference |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const lines = [
    `Machine: ${results.machine}; 1-minute load average ${results.loadBefore} before the run, ${results.loadAfter} after (the machine is shared: other work ran at the same time). **Every figure here is a whole process**, wall-clock: each table is ${ROUNDS} hyperfine invocation(s) over all its commands, each with one warm-up and ${RUNS} timed runs per command; before every run the command's output is removed and dirty pages are written out (\`sync\`); the input was read just before (page cache warm), for every command alike. Times pool all runs. **Ratio** = the reference's median time ÷ the command's median time *within the same invocation* (the throughput ratio), the median over the invocations with their range in brackets: a slow spell of the disk or of the machine then weighs on both sides of a ratio. No ratio here mixes a whole-process time with an in-process one. CPU = user + system time of the process and all its threads (hyperfine's mean). Peak RSS: GNU time's maximum resident set size, the larger of two separate runs.`,
    "",
    "Reference = `node bench/aes-gcm-ref.js`: streaming AES-256-GCM from node:crypto (one key, IV and tag for the whole file), file to file in 1 MiB chunks through the page cache, then one fsync, as its own process. imgsec = `node bin/imgsec.js encrypt <file> <package> --dataset … --keys …` (and `--suite unsigned`): Node start-up, key file, inspecting the file (imgsec deid's output only), the pixel digest (HMAC-SHA256 of the pixel data, in a worker thread: a read of the pixel data before the encryption, since the digest is in the header), the ESDK message (4 MiB frames; the package's SHA-256 and the signature's SHA-384 in worker threads; written with O_DIRECT), fsync of file and folder, the audit record. Local raw AES keyring; the input is a generated multi-frame CT, 512×512 16-bit, through `imgsec deid`.",
    "",
    ...results.encrypt.flatMap((e) => [
      `Encrypt, ${f0(e.bytes / MB)} MB de-identified object:`,
      "",
      ...header,
      row(e.bytes, e.h.reference, null, e.rss.reference, "reference (AES-256-GCM, fsync)"),
      ...SUITES.map((s) =>
        row(e.bytes, e.h[s], e.h.reference, e.rss[s], `imgsec encrypt, ${suiteName(s)}`),
      ),
      "",
    ]),
    `Decrypt, ${f0(results.decrypt.bytes / MB)} MB (the packages above; \`imgsec decrypt\` checks the structure and context first, authenticates every frame and the signature, writes a 0600 temporary file, fsyncs, renames, records; the reference checks the one tag at the end). Every output was checked against the input:`,
    "",
    ...header,
    row(
      results.decrypt.bytes,
      results.decrypt.h.reference,
      null,
      results.decrypt.rss.reference,
      "reference (AES-256-GCM, fsync)",
    ),
    ...SUITES.map((s) =>
      row(
        results.decrypt.bytes,
        results.decrypt.h[s],
        results.decrypt.h.reference,
        results.decrypt.rss[s],
        `imgsec decrypt, ${suiteName(s)}`,
      ),
    ),
    "",
    `\`imgsec verify-package\` on the ${f0(results.verify.bytes / MB)} MB packages (no key: header, frame walk, SHA-256 of the file and, signed, the ECDSA P-384 check, then the package rules; the unsigned package fails the signed-suite rule, as it should), against \`sha256sum\` of the same file, all whole processes:`,
    "",
    "| command | mean ± σ (s) | median (s) | MB/s (median) | CPU user + sys (s) | peak RSS (MiB) |",
    "|---|---:|---:|---:|---:|---:|",
    ...Object.entries(results.verify.h).map(
      ([name, x]) =>
        `| ${name === "sha256sum" ? "sha256sum (coreutils)" : `imgsec verify-package, ${suiteName(name)}`} | ${f2(x.mean)} ± ${f2(x.stddev)} | ${f2(med(x))} | ${f0(mbps(results.verify.bytes, x))} | ${f2(cpu(x))} | ${rssCell(results.verify.rss[name])} |`,
    ),
    "",
    `Frame length, whole processes at ${f0(results.sweep.bytes / MB)} MB (start-up weighs more at this size): encrypt and then decrypt of what it wrote, each table measured with the reference as above.`,
    "",
    "| frame length | suite | encrypt median (s) | encrypt ratio to reference | decrypt median (s) | decrypt ratio to reference |",
    "|---:|---|---:|---:|---:|---:|",
    `| | reference | ${f2(med(results.sweep.enc.reference))} | 1 | ${f2(med(results.sweep.dec.reference))} | 1 |`,
    ...results.sweep.grid.map((g) => {
      const e = results.sweep.enc[g.name];
      const d = results.sweep.dec[g.name];
      return `| ${kib(g.frameLength)} | ${suiteName(g.suite)} | ${f2(med(e))} | ${ratioCell(results.sweep.enc.reference, e)} | ${f2(med(d))} | ${ratioCell(results.sweep.dec.reference, d)} |`;
    }),
  ].join("\n");
  process.stdout.write(lines + "\n\n" + JSON.stringify(results) + "\n");
  if (QUICK) process.stderr.write("packages: BENCH_QUICK=1: bench/results.md not rewritten\n");
  else writeSection("Packages", lines);
}

main();
