"use strict";
// Benchmark: the auditors' compliance report (`imgsec report`, issue 12) over an audit log of
// 1,000,000 records and 10,000 packages, against the verification it must do anyway. Every figure
// is a whole process, as a user runs it:
//
//   (a) imgsec report: the deployment gate over cdktf.out, the audit log verified with the key file
//       (HMACs, chain, signatures) and its de-identification runs read in the same pass, every
//       package verified without a key, the sample attestations; HTML, JSON, CSV and OSCAL written,
//       the manifest signed, the report recorded in another audit log;
//   (b) the same evidence through the existing verifiers, two processes in one shell command:
//       `imgsec audit verify LOG --keys KEYS && imgsec verify-package DIR --no-audit` (the report
//       records one event; verify-package would record one per package, 10,000 awaited appends,
//       work the report does not do, so it records none here);
//   (c) imgsec report --sample 200: (a) verifying a random sample of the packages (a new seed
//       each run, as a user runs it).
//
// Timed by hyperfine in one session, the commands alternating (a b c a b c ...), one run each per
// round, after one untimed run of each that checks what it found (and warms the page cache). Peak
// RSS from GNU time in separate runs; the report must stream, so (a)'s peak RSS is held to a bound
// (RSS_BOUND_MIB, below) and compared with its peak on a tenth of the evidence. Then (a) once with
// every package failing (the same packages held to another profile), and once under
// `node --cpu-prof` to say where its time goes. Everything runs from a private copy of the build.
// The data (bench/report-data.js) is made once and cached under .tools/bench-cache/report/.
//
// Needs `npm run build` (npm run bench does it), hyperfine and GNU time (/usr/bin/time).
//   BENCH_RUNS=3            timed runs per command (at least 3)
//   BENCH_REPORT_PROFILE=0  skip the profiled run
//   BENCH_QUICK=1           100,000 records and 1,000 packages; bench/results.md is not rewritten
const { spawnSync } = require("node:child_process");
const { createHash } = require("node:crypto");
const {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} = require("node:fs");
const { loadavg, tmpdir } = require("node:os");
const { join, relative } = require("node:path");
const { median, mib, writeSection, machine, ROOT } = require("./lib");
const { reportData, IN_FLIGHT } = require("./report-data");

const QUICK = process.env.BENCH_QUICK === "1";
const RECORDS = QUICK ? 100_000 : 1_000_000;
const PACKAGES = QUICK ? 1_000 : 10_000;
const SAMPLE = 200;
const RUNS = Math.max(3, Number(process.env.BENCH_RUNS || 3));
const PROFILE = process.env.BENCH_REPORT_PROFILE !== "0";
const NODE = process.execPath;
// The private copy of the built project every command runs from (set once, in main).
let APP = ROOT;
const imgsec = () => join(APP, "bin", "imgsec.js");
// What a copy of the project leaves out: dependencies (linked instead), history, tools, outputs.
const NOT_COPIED = new Set([
  "node_modules",
  ".git",
  ".tools",
  ".imgsec",
  ".fuzz",
  "coverage",
  "packages",
  "report",
  "deid-out",
  "bench/out",
]);
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const MB = 1e6;
const MIB = 1024 * 1024;
// The report streams: the audit log is read once, record by record, and packages one by one,
// keeping counts per rule and the results that are not PASS. Its peak memory is then a Node CLI
// running the verifiers (about 100-150 MiB: V8, the WASM gate, read buffers) plus the report's
// model and its four outputs (a few MB each). 256 MiB leaves that room, and is well under what
// holding the evidence would take: the log alone is ~640 MB of text, several times that parsed,
// and 10,000 packages give 100,000 results (ten package rules each). Checked below: the bound must also be under half the
// log's size, or the check could not tell streaming from loading.
const RSS_BOUND_MIB = 256;

const fmt = (x, d = 2) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(d) : "—");
const n0 = (x) => Math.round(x).toLocaleString("en-US");
const load = () => loadavg()[0].toFixed(2);
// hyperfine -N splits a command line like a shell: quote what needs it.
const q = (s) => (/^[A-Za-z0-9_./:=@,+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);
const line = (argv) => argv.map(q).join(" ");

/** hyperfine's version; GNU time and the build must be there too. */
function checkTools() {
  const hf = spawnSync("hyperfine", ["--version"], { encoding: "utf8" });
  if (hf.status !== 0)
    throw new Error("bench/report.js needs hyperfine (apt-get install hyperfine)");
  if (!TIME)
    throw new Error("bench/report.js needs GNU time (/usr/bin/time; apt-get install time)");
  if (!existsSync(join(ROOT, "dist", "cli", "main.js")))
    throw new Error("bench/report.js needs the build: npm run build");
  return hf.stdout.trim().replace(/^hyperfine /, "");
}

/** The commands, as argv lists (the verifiers as one `sh -c` line). */
function commands(data, work) {
  const IMGSEC = imgsec();
  const report = (out, more = []) => [
    NODE,
    IMGSEC,
    "report",
    "--iac",
    "cdktf.out",
    "--audit-log",
    data.log,
    "--packages",
    data.packages,
    "--attestations",
    "samples/attestations.yaml",
    ...["html", "json", "csv", "oscal"].flatMap((f) => ["--format", f]),
    "--out",
    out,
    "--keys",
    data.keys,
    "--record-in",
    join(work, "report-records.jsonl"),
    ...more,
  ];
  const auditVerify = [NODE, IMGSEC, "audit", "verify", data.log, "--keys", data.keys];
  const verifyPackage = [NODE, IMGSEC, "verify-package", data.packages, "--no-audit"];
  const outFull = join(work, "report-full");
  const outSample = join(work, "report-sample");
  return {
    full: {
      name: "(a) imgsec report",
      argv: report(outFull),
      out: outFull,
    },
    verifiers: {
      name: "(b) imgsec audit verify && imgsec verify-package",
      argv: ["sh", "-c", `${line(auditVerify)} >/dev/null && ${line(verifyPackage)} >/dev/null`],
      parts: { "audit verify": auditVerify, "verify-package": verifyPackage },
    },
    sample: {
      name: `(c) imgsec report --sample ${SAMPLE}`,
      argv: report(outSample, ["--sample", String(SAMPLE)]),
      out: outSample,
    },
  };
}

function run(argv, opts = {}) {
  return spawnSync(argv[0], argv.slice(1), {
    cwd: APP,
    encoding: "utf8",
    maxBuffer: 256 << 20,
    ...opts,
  });
}

const evidence = (report, kind) => report.evidence.find((e) => e.kind === kind);

/**
 * One untimed run of each command, checking that it found what the data holds: every record
 * verified with its HMAC, every package (or the sample) verified and passing. Returns each
 * command's exit code (the report's depends on the attestations: 0 or 1); each report's JSON is
 * kept on its command (`report`).
 */
function checkRuns(cmds, data) {
  const codes = {};
  const fail = (what, why) => {
    throw new Error(`${what}: ${why}`);
  };
  for (const key of ["full", "sample"]) {
    const c = cmds[key];
    rmSync(c.out, { recursive: true, force: true });
    const r = run(c.argv);
    if (r.status !== 0 && r.status !== 1) fail(c.name, `exit ${r.status}: ${r.stderr.slice(-400)}`);
    codes[key] = r.status;
    const report = JSON.parse(readFileSync(join(c.out, "report.json"), "utf8"));
    const log = evidence(report, "audit-log");
    if (!log || log.facts.records !== data.meta.records || log.facts.intact !== true)
      fail(c.name, `the audit log evidence is not ${data.meta.records} intact records`);
    if (log.facts.hmacChecked !== true) fail(c.name, "HMACs were not checked");
    const pk = evidence(report, "packages");
    const want = key === "sample" ? SAMPLE : data.meta.packages;
    if (!pk || pk.facts.verified !== want || pk.facts.passed !== want)
      fail(c.name, `expected ${want} packages verified and passing: ${pk && pk.summary}`);
    if (!evidence(report, "deid-runs")) fail(c.name, "no de-identification runs found");
    c.report = report;
  }
  const [av, vp] = Object.values(cmds.verifiers.parts).map((argv) => run(argv));
  if (av.status !== 0) fail("imgsec audit verify", `exit ${av.status}: ${av.stderr.slice(-400)}`);
  if (!av.stdout.includes(`${data.meta.records} records`))
    fail("imgsec audit verify", `did not verify ${data.meta.records} records`);
  const P = data.meta.packages;
  if (vp.status !== 0 || !vp.stdout.includes(`${P} package(s): ${P} passed`))
    fail("imgsec verify-package", `exit ${vp.status}, not ${P} passed`);
  codes.verifiers = 0;
  return codes;
}

/**
 * One hyperfine session: RUNS rounds, each running (a), (b), (c) once, in that order, so that a
 * slow spell of this shared machine falls on all three. Before each run of a report its output
 * folder is removed and dirty pages written out. Returns, per command, its runs' times, CPU
 * (user + system) and exit codes, round by round.
 */
function hyperfine(cmds, work, codes) {
  const json = join(work, "hyperfine.json");
  const order = ["full", "verifiers", "sample"];
  const args = ["-N", "--style", "basic", "--warmup", "0", "--runs", "1"];
  const ignore = Object.values(codes).some((c) => c !== 0);
  const entries = [];
  for (let r = 0; r < RUNS; r++) for (const k of order) entries.push(k);
  for (const k of entries)
    args.push("--prepare", cmds[k].out ? `sh -c "rm -rf ${q(cmds[k].out)} && sync"` : "sync");
  args.push("--export-json", json, ...(ignore ? ["-i"] : []));
  for (const k of entries) args.push("-n", cmds[k].name, line(cmds[k].argv));
  const r = spawnSync("hyperfine", args, {
    cwd: APP,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.stderr.write(r.stdout);
  if (r.status !== 0) throw new Error(`hyperfine failed (${r.status})`);
  const results = JSON.parse(readFileSync(json, "utf8")).results;
  const out = Object.fromEntries(order.map((k) => [k, { times: [], cpu: [] }]));
  results.forEach((x, i) => {
    const k = entries[i];
    for (const code of x.exit_codes || [])
      if (code !== codes[k])
        throw new Error(`${cmds[k].name} exited ${code} under hyperfine, ${codes[k]} when checked`);
    out[k].times.push(...x.times);
    out[k].cpu.push(x.user + x.system);
  });
  for (const k of order) {
    const t = out[k].times;
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    const sd = Math.sqrt(t.reduce((a, b) => a + (b - mean) ** 2, 0) / (t.length - 1));
    Object.assign(out[k], {
      mean,
      stddev: sd,
      median: median(t),
      min: Math.min(...t),
      cpuMean: out[k].cpu.reduce((a, b) => a + b, 0) / out[k].cpu.length,
    });
  }
  return out;
}

/** One run under GNU time: wall seconds and peak RSS in bytes (the child's maximum resident set). */
function timed(argv, out, code) {
  if (out) rmSync(out, { recursive: true, force: true });
  const r = run([TIME, "-f", "%e %M", ...argv]);
  if (code === undefined ? r.status !== 0 && r.status !== 1 : r.status !== code)
    throw new Error(`${argv.slice(1, 4).join(" ")}: exit ${r.status}`);
  const [seconds, kib] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
  return { seconds, rss: kib * 1024, status: r.status };
}

const peakRss = (argv, out, code) => timed(argv, out, code).rss;

/**
 * One run of (a) under `node --cpu-prof`, its profile kept in bench/out/report.cpuprofile (open it
 * in Chrome's DevTools). The main thread's samples are counted to their owner: the nearest frame
 * of our code (a dist/ file) or of a dependency on the stack, so that Node's built-ins (crypto,
 * fs) count to the code that called them; garbage collection and idle time stay apart. Worker
 * threads are not profiled (the report starts none of its own).
 */
function profile(cmds, work, code) {
  const dir = join(work, "prof");
  mkdirSync(dir);
  const c = cmds.full;
  rmSync(c.out, { recursive: true, force: true });
  const argv = [c.argv[0], "--cpu-prof", "--cpu-prof-dir", dir, ...c.argv.slice(1)];
  const r = run(argv);
  if (r.status !== code) throw new Error(`profiled run: exit ${r.status}`);
  // The main thread's profile is the largest (workers, if any, write their own).
  const file = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  mkdirSync(join(__dirname, "out"), { recursive: true });
  copyFileSync(file, join(__dirname, "out", "report.cpuprofile"));
  return summarizeProfile(file);
}

/** A .cpuprofile's samples by owner: {seconds, modules: [{name, seconds, share}], functions}. */
function summarizeProfile(file) {
  const p = JSON.parse(readFileSync(file, "utf8"));
  const selfUs = new Map();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) || 0) + (p.timeDeltas[i] || 0)));
  const parent = new Map();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  for (const n of p.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const owner = new Map();
  // The nearest module frame from a node up, or null when there is none (memoized per node).
  const ownerOf = (id) => {
    const path = [];
    let found;
    for (let at = id; at !== undefined && found === undefined; at = parent.get(at)) {
      if (owner.has(at)) found = owner.get(at);
      else {
        path.push(at);
        const f = byId.get(at).callFrame;
        const mod = moduleOf(f.url);
        if (mod)
          found = { mod, fn: `${f.functionName || "(anonymous)"} (${mod}:${f.lineNumber + 1})` };
      }
    }
    for (const at of path) owner.set(at, found || null);
    if (found) return found;
    const self = byId.get(id).callFrame.functionName;
    return { mod: self.startsWith("(") ? self : "Node, outside our code", fn: self };
  };
  const byModule = new Map();
  const byFunction = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    if (!us) continue;
    total += us;
    const o = ownerOf(id);
    byModule.set(o.mod, (byModule.get(o.mod) || 0) + us);
    byFunction.set(o.fn, (byFunction.get(o.fn) || 0) + us);
  }
  const top = (m, k) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, us]) => ({ name, seconds: us / 1e6, share: us / total }));
  return { seconds: total / 1e6, modules: top(byModule, 12), functions: top(byFunction, 12) };
}

/** A frame's module: a dist/ file, or a dependency's package; undefined for Node's own. */
function moduleOf(url) {
  const path = url.replace(/^file:\/\//, "");
  const nm = path.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = path.slice(nm + 14).split("/");
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = join(APP, "dist") + "/";
  if (path.startsWith(dist)) return path.slice(dist.length);
  if (path.startsWith(APP + "/")) return relative(APP, path);
  return undefined;
}

/** SHA-256 of dist/.tsbuildinfo (tsc writes it last), or undefined while there is no build. */
function buildStamp(dir) {
  const f = join(dir, "dist", ".tsbuildinfo");
  if (!existsSync(join(dir, "dist", "cli", "main.js")) || !existsSync(f)) return undefined;
  return createHash("sha256").update(readFileSync(f)).digest("hex");
}

/**
 * A private copy of the built project (bin, dist, the compiled policies, the catalog, cdktf.out,
 * samples; node_modules linked), for every command to run from: on a machine shared with others
 * a rebuild of dist/ during this half hour would otherwise change, or break, what is measured.
 * Taken again if the build changed while it was copied.
 */
function snapshotApp(work) {
  const app = join(work, "app");
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = buildStamp(ROOT);
    if (before) {
      rmSync(app, { recursive: true, force: true });
      cpSync(ROOT, app, {
        recursive: true,
        filter: (src) => !NOT_COPIED.has(relative(ROOT, src)),
      });
      symlinkSync(join(ROOT, "node_modules"), join(app, "node_modules"));
      if (buildStamp(ROOT) === before && buildStamp(app) === before) return app;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
  }
  throw new Error("dist/ kept changing (another build): no consistent copy of the build");
}

async function main() {
  const hyperfineVersion = checkTools();
  if (!existsSync(join(ROOT, "cdktf.out", "manifest.json"))) {
    process.stderr.write("report: cdktf.out missing: imgsec synth\n");
    const r = run([NODE, imgsec(), "synth"]);
    if (r.status !== 0) throw new Error(`imgsec synth failed: ${r.stderr.slice(-400)}`);
  }
  const work = mkdtempSync(join(tmpdir(), "imgsec-bench-report-"));
  try {
    APP = snapshotApp(work);
    const data = await reportData({ records: RECORDS, packages: PACKAGES, app: APP });
    const m = data.meta;
    process.stderr.write(
      `report: data ${relative(ROOT, data.dir)}: ${n0(m.records)} records (${fmt(m.logBytes / MB, 1)} MB), ${n0(m.packages)} packages (${fmt(m.packageBytes / MB, 1)} MB); made in ${fmt(m.seconds.total, 1)} s on ${m.made.slice(0, 10)}\n`,
    );
    const loadBefore = load();
    const cmds = commands(data, work);
    process.stderr.write("report: one checked run of each command\n");
    const codes = checkRuns(cmds, data);
    const outputs = readdirSync(cmds.full.out).map((f) => ({
      name: f,
      bytes: statSync(join(cmds.full.out, f)).size,
    }));
    const facts = {
      full: evidence(cmds.full.report, "packages").facts,
      sample: evidence(cmds.sample.report, "packages").facts,
      runs: cmds.full.report.deidRuns.length,
      status: cmds.full.report.summary.pass ? "PASS" : "FAIL",
      specs: cmds.full.report.specifications.length,
    };
    process.stderr.write(`report: hyperfine, ${RUNS} rounds of (a) (b) (c)\n`);
    const h = hyperfine(cmds, work, codes);
    process.stderr.write("report: peak RSS under GNU time\n");
    const rss = {
      full: peakRss(cmds.full.argv, cmds.full.out, codes.full),
      "audit verify": peakRss(cmds.verifiers.parts["audit verify"], null, 0),
      "verify-package": peakRss(cmds.verifiers.parts["verify-package"], null, 0),
      sample: peakRss(cmds.sample.argv, cmds.sample.out, codes.sample),
    };
    rss.verifiers = Math.max(rss["audit verify"], rss["verify-package"]);
    // Streaming shows as a peak that does not grow with the evidence: (a) on a tenth of it too.
    let tenth;
    if (!QUICK) {
      const small = await reportData({
        records: RECORDS / 10,
        packages: PACKAGES / 10,
        app: APP,
      });
      mkdirSync(join(work, "tenth"));
      const c = commands(small, join(work, "tenth")).full;
      tenth = { meta: small.meta, rss: peakRss(c.argv, c.out) };
    }
    // The same packages held to another profile (--accept-policy research): every one fails the
    // profile rule, and the report keeps and renders every failing result.
    process.stderr.write("report: every package failing\n");
    const failing = timed([...cmds.full.argv, "--accept-policy", "research"], cmds.full.out, 1);
    const failed = JSON.parse(readFileSync(join(cmds.full.out, "report.json"), "utf8"));
    failing.packages = evidence(failed, "packages").facts;
    if (failing.packages.failed !== m.packages)
      throw new Error(`--accept-policy research: ${failing.packages.failed} packages failed`);
    failing.findings = failed.specifications.reduce(
      (n, sp) => n + sp.rules.reduce((k, r) => k + r.findings.length, 0),
      0,
    );
    failing.outputs = readdirSync(cmds.full.out).reduce(
      (n, f) => n + statSync(join(cmds.full.out, f)).size,
      0,
    );
    const prof = PROFILE
      ? (process.stderr.write("report: profiled run\n"), profile(cmds, work, codes.full))
      : null;
    const loadAfter = load();

    // The streaming check.
    const boundOk = RSS_BOUND_MIB * MIB < m.logBytes / 2;
    const streams = rss.full < RSS_BOUND_MIB * MIB;
    const scale = tenth
      ? ` On a tenth of the evidence (${n0(tenth.meta.records)} records, ${fmt(tenth.meta.logBytes / MB, 1)} MB; ${n0(tenth.meta.packages)} packages, made the same way) (a)'s peak RSS is ${mib(tenth.rss)} MiB, against ${mib(rss.full)} MiB on the whole.`
      : "";
    const verdict = !boundOk
      ? `not checked: the bound (${RSS_BOUND_MIB} MiB) is not under half the log's size at this data size`
      : streams
        ? `**PASS**: ${mib(rss.full)} MiB, below the bound of ${RSS_BOUND_MIB} MiB`
        : `**FAIL**: ${mib(rss.full)} MiB, above the bound of ${RSS_BOUND_MIB} MiB: the report no longer streams its evidence`;

    const ratios = h.full.times.map((t, i) => t / h.verifiers.times[i]);
    const cpuRatios = h.full.cpu.map((t, i) => t / h.verifiers.cpu[i]);
    const ratio = { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
    const overhead = h.full.median - h.verifiers.median;
    const rows = [
      ["full", cmds.full.name, rss.full],
      [
        "verifiers",
        cmds.verifiers.name,
        rss.verifiers,
        ` (the larger of audit verify ${mib(rss["audit verify"])}, verify-package ${mib(rss["verify-package"])})`,
      ],
      ["sample", cmds.sample.name, rss.sample],
    ].map(
      ([k, name, peak, note = ""]) =>
        `| ${name} | ${fmt(h[k].mean)} ± ${fmt(h[k].stddev)} | ${fmt(h[k].median)} | ${fmt(h[k].min)} | ${fmt(h[k].cpuMean)} | ${mib(peak)}${note} |`,
    );
    const lines = [
      `Machine: ${machine()}; 1-minute load average ${loadBefore} before the run, ${loadAfter} after (the machine is shared: other work may run at the same time, and weighs on every command of a round alike).`,
      "",
      `**Data** (made once by bench/report-data.js and cached in \`${relative(ROOT, data.dir)}/\`; made in ${fmt(m.seconds.total, 0)} s on ${m.made.slice(0, 10)} under Node ${m.node}: inputs ${fmt(m.seconds.inputs, 0)} s, \`imgsec run\` ${fmt(m.seconds.job, 0)} s, log ${fmt(m.seconds.log, 0)} s; not part of any figure below):`,
      `- audit log: **${n0(m.records)} records, ${fmt(m.logBytes / MB, 1)} MB**, one log written only by the real writer under a key file from \`imgsec keys init\`: the records of the job's runs below (${n0(m.jobRecords.packaged)} objects packaged, ${n0(m.jobRecords.duplicate)} duplicates, ${n0(m.jobRecords.quarantined)} quarantined, under the strict and the research profile), then those records cloned with fresh UIDs, pseudonyms and digests (objects ${Object.entries(
        m.mix,
      )
        .map(([k, v]) => `${v * 100}% ${k}`)
        .join(
          ", ",
        )}; a packaged object is a deid and an encrypt record), ${IN_FLIGHT} appends in flight, a signed checkpoint every 100 records as the writer makes them, closed;`,
      `- packages: **${n0(m.packages)} packages, ${fmt(m.packageBytes / MB, 1)} MB**, made by \`imgsec run\` (signed suite, strict profile) over generated CT series of ${m.slice} slices with planted PHI; all pass the package rules;`,
      `- \`cdktf.out\` (the project's stacks, \`imgsec synth\`) and \`samples/attestations.yaml\`.`,
      "",
      `The report found ${facts.runs} de-identification runs (policies) and judged ${facts.specs} specifications (${facts.status}, exit ${codes.full}); it wrote ${outputs.map((o) => `${o.name} ${o.bytes < 10240 ? `${o.bytes} B` : `${fmt(o.bytes / 1024, 0)} KiB`}`).join(", ")}. The sampled report verified ${facts.sample.verified} of ${facts.sample.packages} packages (a random seed each run).`,
      "",
      "| command | wall mean ± σ (s) | median (s) | min (s) | CPU user + sys, mean (s) | peak RSS (MiB) |",
      "|---|---:|---:|---:|---:|---:|",
      ...rows,
      "",
      `**(a)/(b) = ${fmt(ratio.median)}** (median of the ${RUNS} rounds' ratios, range ${fmt(ratio.min)}–${fmt(ratio.max)}; CPU time ${fmt(median(cpuRatios))}): the report's own work over the verification it must do anyway is ${fmt(overhead, 1)} s of ${fmt(h.full.median, 1)} s (medians): the gate over cdktf.out, the attestations, the de-identification runs, the log read once more for its SHA-256, judging ${facts.specs} specifications, four renderers, the manifest and its signature, one audit record. (c)/(a) = ${fmt(h.sample.median / h.full.median)}: the sample spares the verification of all but ${SAMPLE} packages; the rest of (a) stays.`,
      "",
      `**Streaming**: peak RSS of (a) ${verdict}. The bound is a Node CLI running the verifiers (${mib(rss.verifiers)} MiB measured here) with room for the report's model and outputs; the log is ${fmt(m.logBytes / MIB, 0)} MiB of text, so a report holding it, or every result of every package, could not stay under it.${scale}`,
      "",
      `**Every package failing** (the same command held to another profile, \`--accept-policy research\`, so that all ${n0(m.packages)} packages fail IMGSEC-PKG-008; one run under GNU time): ${fmt(failing.seconds, 1)} s, peak RSS ${mib(failing.rss)} MiB, outputs ${fmt(failing.outputs / MB, 1)} MB with ${n0(failing.findings)} findings listed under the specifications. The report keeps and renders every result that is not PASS, each under every specification its rule supports, so its memory and outputs grow with the failures, not with the evidence.`,
      "",
      `How measured: every figure is a whole process (\`node bin/imgsec.js ...\`: start-up, key file, the compiled Rego gates, fsync of the outputs), wall-clock, run from a private copy of the build taken at the start (bin, dist, the compiled policies, the catalog, cdktf.out, samples; node_modules linked), so that a rebuild by someone else meanwhile changes nothing measured. One hyperfine ${hyperfineVersion} session (\`-N\`), the three commands alternating, ${RUNS} rounds of one run each, after one untimed run of each that checked its findings (every record verified with its HMAC, every package or the sample passing) and left the log and packages in the page cache (warm cache, for all alike); before each run the report's output folder is removed and dirty pages are written out (\`sync\`). σ is over the ${RUNS} runs; a ratio is taken within a round. CPU = user + system time of the process and its children (hyperfine). Peak RSS: GNU time's maximum resident set size (\`/usr/bin/time -f %M\`), one separate run of each; for (b) each verifier on its own.`,
    ];
    if (prof) {
      lines.push(
        "",
        `Where (a)'s time goes: one more run under \`node --cpu-prof\` (the dist/ build; the profile is left in bench/out/report.cpuprofile), the main thread's ${fmt(prof.seconds, 1)} s of samples, each counted to the nearest frame of our code (a dist/ file) or of a dependency on its stack, so that Node's crypto and fs count to their caller. By owner:`,
        "",
        "| owner | seconds | share |",
        "|---|---:|---:|",
        ...prof.modules.map(
          (x) => `| ${x.name} | ${fmt(x.seconds, 1)} | ${fmt(x.share * 100, 1)}% |`,
        ),
        "",
        "By owning function:",
        "",
        "| function | seconds | share |",
        "|---|---:|---:|",
        ...prof.functions.map(
          (x) => `| ${x.name} | ${fmt(x.seconds, 1)} | ${fmt(x.share * 100, 1)}% |`,
        ),
      );
    }
    const body = lines.join("\n");
    process.stdout.write(
      `${body}\n\n${JSON.stringify({ meta: m, h, rss, tenth, failing, ratio, prof })}\n`,
    );
    if (QUICK) process.stderr.write("report: BENCH_QUICK=1: bench/results.md not rewritten\n");
    else writeSection("Compliance report", body);
    if (boundOk && !streams) {
      process.stderr.write(
        `report: FAIL: peak RSS of imgsec report ${mib(rss.full)} MiB, above the bound of ${RSS_BOUND_MIB} MiB\n`,
      );
      process.exitCode = 1;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { summarizeProfile };

if (require.main === module)
  main().catch((e) => {
    process.stderr.write(`bench/report.js: ${e && e.message ? e.message : e}\n`);
    process.exit(1);
  });
