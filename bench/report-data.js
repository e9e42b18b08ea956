"use strict";
// The compliance report benchmark's evidence, made once and cached under .tools/bench-cache/report/
// (git-ignored), in a folder named by DATA_VERSION, the sizes and the strict profile's policy hash:
// a change to any of them makes new data, and stale folders are removed.
//
// - A key file made by `imgsec keys init`.
// - Packages made by the real job: `imgsec run` over generated CT series (test/dicom/corpus
//   generateCtSeries, planted PHI in every header, small 128×128 slices so that ten thousand stay
//   a few hundred MB), one run per part, the parts in parallel (the job fsyncs every package, so
//   a single run waits on the disk more than it computes). A few copies of slices among the inputs
//   are recorded as duplicates. Every package is the strict profile's, so all pass the package
//   rules.
// - An audit log written only by the real writer (dist/handlers/audit): first the records of those
//   runs, of a run over the varied corpus (generateCorpus: several objects quarantined) and of a
//   run under the research profile (a second policy); then the same kinds of records, cloned from
//   those with fresh UIDs, pseudonyms and digests, appended with many in flight (grouped writes)
//   up to the record count, checkpoints as the writer makes them, closed at the end.
//
// The inputs and the corpus's and research run's packages are removed once the log holds their
// records; only keys.json, audit.jsonl, packages/ and meta.json (written last) are kept.
require("./ts-register");
const { execFile, execFileSync } = require("node:child_process");
const { randomBytes } = require("node:crypto");
const {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  createReadStream,
} = require("node:fs");
const { join } = require("node:path");
const readline = require("node:readline");
const { ROOT } = require("./lib");

// Bump when the way the data is made changes: the cache is then made anew.
const DATA_VERSION = "report-data-1";
const CACHE = join(ROOT, ".tools", "bench-cache", "report");
const NODE = process.execPath;
const SLICE = { rows: 128, columns: 128 };
const SERIES_SLICES = 500; // slices per generated series: one patient each
const PARALLEL_RUNS = 4;
const DUPLICATE_EVERY = 100; // one copy of a slice per this many: recorded as a duplicate
const RESEARCH_INPUTS = 100;
const IN_FLIGHT = 1000; // appends in flight at once: the writer groups up to 1000 into one write
// The mix of the cloned records, by the de-identification status of the object they describe (a
// packaged object has two records, deid and encrypt; the others one).
const MIX = { packaged: 0.94, duplicate: 0.04, quarantined: 0.02 };

/** The cache folder's name for these sizes, with the strict profile's policy hash. */
function dataKey(records, packages, app = ROOT) {
  const { policyDetails } = require(join(app, "dist", "handlers", "dicom"));
  const policy = policyDetails([]).policy.slice(0, 12);
  return `${DATA_VERSION}-r${records}-p${packages}-${policy}`;
}

/**
 * The cached data for `records` audit records and `packages` packages, made first if it is not
 * there, with the build in `app` (a folder holding bin/ and dist/; default the project).
 * Returns its paths and meta.json ({records, logBytes, packages, packageBytes, seconds...}).
 */
async function reportData({
  records,
  packages,
  app = ROOT,
  log = (m) => process.stderr.write(`${m}\n`),
}) {
  const key = dataKey(records, packages, app);
  const dir = join(CACHE, key);
  const paths = {
    dir,
    keys: join(dir, "keys.json"),
    log: join(dir, "audit.jsonl"),
    packages: join(dir, "packages"),
  };
  if (existsSync(join(dir, "meta.json")))
    return { ...paths, meta: JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) };
  mkdirSync(CACHE, { recursive: true });
  removeStale(key, log);
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  try {
    const meta = await generate(app, work, records, packages, log);
    writeFileSync(join(work, "meta.json.tmp"), JSON.stringify(meta, null, 2) + "\n");
    renameSync(join(work, "meta.json.tmp"), join(work, "meta.json"));
    renameSync(work, dir);
    return { ...paths, meta };
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
}

/** Folders of other versions or policies, and unfinished ones whose process is gone. */
function removeStale(key, log) {
  const tag = key.replace(/^.*-/, "");
  for (const name of readdirSync(CACHE)) {
    const tmp = /\.tmp-(\d+)$/.exec(name);
    const stale = tmp
      ? !alive(Number(tmp[1]))
      : !name.startsWith(`${DATA_VERSION}-`) || !name.endsWith(`-${tag}`);
    if (!stale) continue;
    log(`report data: removing stale ${name}`);
    rmSync(join(CACHE, name), { recursive: true, force: true });
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

async function generate(app, work, records, packageCount, log) {
  const t0 = process.hrtime.bigint();
  const imgsec = join(app, "bin", "imgsec.js");
  const keys = join(work, "keys.json");
  const auditLog = join(work, "audit.jsonl");
  const out = join(work, "packages");
  execFileSync(NODE, [imgsec, "keys", "init", "--keys", keys], { stdio: "ignore" });

  // Inputs: CT series in PARALLEL_RUNS parts, each with its duplicates; the corpus; research.
  const { generateCtSeries, generateCorpus, writeStudy } = require(
    join(app, "test", "dicom", "corpus", "generator.ts"),
  );
  const parts = Array.from({ length: PARALLEL_RUNS }, (_, k) => join(work, "in", `ct-${k + 1}`));
  for (const p of parts) mkdirSync(p, { recursive: true });
  const research = join(work, "in", "research");
  mkdirSync(research, { recursive: true });
  let made = 0;
  let duplicates = 0;
  for (let s = 0; made < packageCount; s++) {
    const n = Math.min(SERIES_SLICES, packageCount - made);
    const series = generateCtSeries({ slices: n, ...SLICE, seed: 7000 + s });
    series.files.forEach((f, i) => {
      const part = parts[(made + i) % parts.length];
      const name = `s${String(s).padStart(3, "0")}-${f.name}`;
      writeFileSync(join(part, name), f.bytes);
      // Sorted after the original ("z" > "s"), so the original is usually packaged first.
      if ((made + i) % DUPLICATE_EVERY === 0) {
        writeFileSync(join(part, `zdup-${name}`), f.bytes);
        duplicates++;
      }
      if (made + i < RESEARCH_INPUTS) writeFileSync(join(research, name), f.bytes);
    });
    made += n;
  }
  const corpus = join(work, "in", "corpus");
  writeStudy(corpus, generateCorpus());
  const inputSeconds = seconds(t0);

  // The real job: the CT parts at once into one package folder and one log, then the others.
  log(
    `report data: imgsec run over ${packageCount} CT slices (+${duplicates} copies) in ${parts.length} parallel runs`,
  );
  const t1 = process.hrtime.bigint();
  const runArgs = (input, output, dataset, more = []) => [
    imgsec,
    "run",
    input,
    output,
    "--dataset",
    dataset,
    "--keys",
    keys,
    "--audit-log",
    auditLog,
    "--format",
    "json",
    ...more,
  ];
  const job = (args) => runJob(app, args);
  const summaries = await Promise.all(parts.map((p) => job(runArgs(p, out, "bench-ct"))));
  const packaged = summaries.reduce((n, s) => n + s.packaged, 0);
  const duplicate = summaries.reduce((n, s) => n + s.duplicate, 0);
  if (packaged !== packageCount || duplicate !== duplicates)
    throw new Error(
      `imgsec run: ${packaged} packaged and ${duplicate} duplicates, expected ${packageCount} and ${duplicates}`,
    );
  const corpusRun = await job(runArgs(corpus, join(work, "other"), "bench-corpus"));
  if (corpusRun.quarantined === 0) throw new Error("the corpus run quarantined nothing");
  const researchRun = await job(
    runArgs(research, join(work, "other-research"), "bench-research", ["--profile", "research"]),
  );
  if (researchRun.packaged !== RESEARCH_INPUTS)
    throw new Error(`the research run packaged ${researchRun.packaged} of ${RESEARCH_INPUTS}`);
  const jobSeconds = seconds(t1);
  for (const d of ["in", "other", "other-research"])
    rmSync(join(work, d), { recursive: true, force: true });

  // The rest of the log: the job's own records cloned, through the real writer.
  const t2 = process.hrtime.bigint();
  const groups = await templates(auditLog);
  log(`report data: appending to ${records} records (${IN_FLIGHT} appends in flight)`);
  await extend(app, auditLog, keys, groups, records);
  const logSeconds = seconds(t2);

  const pkgFiles = readdirSync(out).filter((n) => n.endsWith(".imgsec"));
  return {
    version: DATA_VERSION,
    records: lastSeq(auditLog) + 1,
    logBytes: statSync(auditLog).size,
    packages: pkgFiles.length,
    packageBytes: pkgFiles.reduce((n, f) => n + statSync(join(out, f)).size, 0),
    slice: `${SLICE.rows}×${SLICE.columns} 16-bit CT`,
    jobRecords: {
      packaged: packaged + corpusRun.packaged + researchRun.packaged,
      duplicate: duplicate + corpusRun.duplicate,
      quarantined: corpusRun.quarantined + summaries.reduce((n, s) => n + s.quarantined, 0),
    },
    mix: MIX,
    seconds: {
      inputs: round(inputSeconds),
      job: round(jobSeconds),
      log: round(logSeconds),
      total: round(seconds(t0)),
    },
    node: process.version,
    made: new Date().toISOString(),
  };
}

const round = (x) => Math.round(x * 10) / 10;

/** `node bin/imgsec.js run ... --format json`: its summary (exit 0, or 1 for quarantined inputs). */
function runJob(app, args) {
  return new Promise((resolve, reject) => {
    execFile(
      NODE,
      args,
      { cwd: app, maxBuffer: 256 << 20, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error && error.code !== 1)
          return reject(new Error(`imgsec run failed (${error.code}): ${stderr.slice(-400)}`));
        try {
          resolve(JSON.parse(stdout).summary);
        } catch {
          reject(new Error(`imgsec run printed no summary: ${stderr.slice(-400)}`));
        }
      },
    );
  });
}

/** The seq of a log's last record (its last line). */
function lastSeq(path) {
  const size = statSync(path).size;
  const n = Math.min(size, 64 * 1024);
  const buf = Buffer.alloc(n);
  const fd = openSync(path, "r");
  try {
    readSync(fd, buf, 0, n, size - n);
  } finally {
    closeSync(fd);
  }
  const lines = buf.toString("utf8").trimEnd().split("\n");
  return JSON.parse(lines[lines.length - 1]).seq;
}

/**
 * The job's event records as templates, grouped by object: a packaged object's deid record with
 * the encrypt record that follows it for the same instance; every other deid record alone.
 * Returns {status: [group, ...]}, a group being a list of events as the writer takes them.
 */
async function templates(path) {
  const byStatus = {};
  const pending = new Map();
  const lines = readline.createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    const r = JSON.parse(line);
    if (r.type !== "event") continue;
    const event = { op: r.op, outcome: r.outcome, objects: r.objects, details: r.details };
    const id = objectId(r.objects[0]);
    if (r.op === "deid") {
      const status = r.details.status;
      const group = [event];
      if (status === "packaged" && id) pending.set(id, group);
      (byStatus[status] = byStatus[status] || []).push(group);
    } else if (r.op === "encrypt" && id && pending.has(id)) {
      pending.get(id).push(event);
      pending.delete(id);
    }
  }
  if (pending.size) throw new Error(`${pending.size} packaged records have no encrypt record`);
  return byStatus;
}

const objectId = (o) => o && (o.uid || o.digest);

/** A small seeded generator (mulberry32): the same mix on every machine. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Fresh identifiers for a cloned object, in the formats the job writes. */
function freshIds(patients, rand) {
  const hex = randomBytes(112).toString("hex");
  return {
    uid: `2.25.${BigInt(`0x${hex.slice(0, 32)}`)}`,
    digest: hex.slice(32, 96),
    source: hex.slice(96, 160),
    input: hex.slice(160, 224),
    pseudonym: patients[Math.floor(rand() * patients.length)],
  };
}

/** A template group with its identifiers replaced (the dataset and every detail but `source` kept). */
function cloneGroup(group, ids) {
  const object = (o) => {
    switch (o.kind) {
      case "instance":
        return { kind: "instance", uid: ids.uid };
      case "retained-instance":
        return { kind: "retained-instance", digest: `hmac-sha256:${ids.digest}` };
      case "patient":
        return { kind: "patient", pseudonym: ids.pseudonym };
      case "package":
        return { kind: "package", digest: `sha256:${ids.digest}` };
      case "input":
        return { kind: "input", digest: `sha256:${ids.input}` };
      default:
        return o;
    }
  };
  return group.map((e) => ({
    op: e.op,
    outcome: e.outcome,
    objects: e.objects.map(object),
    details:
      typeof e.details.source === "string" ? { ...e.details, source: ids.source } : e.details,
  }));
}

/** Appends cloned groups through the real writer until the log holds about `records` records. */
async function extend(app, path, keys, byStatus, records) {
  const { openAuditLog } = require(join(app, "dist", "handlers", "audit"));
  const kinds = Object.keys(MIX).filter((k) => byStatus[k] && byStatus[k].length);
  if (!kinds.includes("packaged")) throw new Error("the job wrote no packaged records");
  const total = kinds.reduce((n, k) => n + MIX[k], 0);
  const rand = prng(20261202);
  const patients = Array.from({ length: 20_000 }, () => {
    const b = randomBytes(16);
    return `IMGSEC-${[...b].map((x) => BASE32[x & 31]).join("")}`;
  });
  const pick = () => {
    let x = rand() * total;
    for (const k of kinds) if ((x -= MIX[k]) < 0) return byStatus[k];
    return byStatus[kinds[0]];
  };
  const writer = await openAuditLog({ path, keysPath: keys, actor: "local:bench", s3: false });
  try {
    let last = lastSeq(path);
    // One record is left for the close checkpoint; the writer adds one checkpoint per 100 records.
    for (;;) {
      const left = records - 2 - last;
      if (left <= 0) break;
      const want = Math.max(1, Math.min(IN_FLIGHT, Math.floor(left * 0.98)));
      const batch = [];
      while (batch.length < want) {
        const list = pick();
        const group = list[Math.floor(rand() * list.length)];
        for (const e of cloneGroup(group, freshIds(patients, rand))) batch.push(writer.append(e));
      }
      for (const r of await Promise.all(batch)) if (r.seq > last) last = r.seq;
    }
  } finally {
    await writer.close();
  }
}

module.exports = { reportData, dataKey, CACHE, DATA_VERSION, IN_FLIGHT };

// `node bench/report-data.js [records] [packages]`: makes (or finds) the data and prints its meta.
if (require.main === module) {
  const [records = 1_000_000, packages = 10_000] = process.argv.slice(2).map(Number);
  reportData({ records, packages }).then(
    (d) => process.stdout.write(JSON.stringify({ dir: d.dir, ...d.meta }) + "\n"),
    (e) => {
      process.stderr.write(`bench/report-data.js: ${e.message}\n`);
      process.exit(1);
    },
  );
}
