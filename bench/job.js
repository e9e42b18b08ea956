"use strict";
// Benchmark: the per-object job (handlers/job/process.ts: de-identify in memory, encrypt into a
// package, audit), the work of the pipeline's Lambda function, against `imgsec deid` followed by
// `imgsec encrypt` on the same series. Like is compared with like:
//
// - Whole processes, one hyperfine invocation per round (BENCH_ROUNDS, one warm-up and BENCH_RUNS
//   runs each): `imgsec run` (the job over local object stores, as one CLI process) against
//   `sh -c "imgsec deid … && imgsec encrypt …"` (two CLI processes), both with the key file, the
//   signed suite (the default of both) and their audit records; each run into fresh folders
//   (removed, then `sync`, outside the timing). The ratio is taken within each invocation.
// - In-process: processObject over local object stores (handlers/store/local.ts), one object at
//   a time as the handler's batch loop runs them, timed inside one process (start-up excluded),
//   and with 2 and 4 objects in flight (what a concurrent loop would give; the handler has none).
// - Through the Lambda handler itself (dist/handlers/process-object.js) in-process against moto's
//   server on 127.0.0.1 (S3, KMS keyring, Secrets Manager, KMS-signed audit seals): one invocation
//   per object. moto is a Python server on the same 2 cores: these figures are moto's as much as
//   ours, and say nothing of S3's speed.
// - Peak memory of the job on one multi-frame object of 100 MB and of 500 MB: `imgsec run` (local
//   stores) and the Lambda handler against moto, each in its own process (GNU time / maxRSS).
// - The esbuild bundle that `imgsec synth` zips (size), and its cold start under Node 24: process
//   start to the handler ready (module loaded, pipelineFromEnv done against moto: the secret read,
//   the signing key's public key, the caller's identity, the audit log opened), median of
//   BENCH_COLD runs.
//
// Needs `npm run build` (npm run bench does it), hyperfine, GNU time, moto (scripts/setup-moto.sh)
// and Node 24 (scripts/setup-node24.sh). BENCH_QUICK=1: 40 slices, one round, 64 MB and 128 MB
// objects; bench/results.md is not rewritten.
require("./ts-register");
const { spawn, spawnSync, execFileSync } = require("node:child_process");
const {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} = require("node:fs");
const { loadavg, tmpdir } = require("node:os");
const { join } = require("node:path");
const { median, mib, writeSection, machine, ROOT } = require("./lib");

const QUICK = process.env.BENCH_QUICK === "1";
const SLICES = Number(process.env.BENCH_SLICES || (QUICK ? 40 : 200));
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS || (QUICK ? 1 : 3)));
const RUNS = Math.max(3, Number(process.env.BENCH_RUNS || 3));
const COLD = Math.max(3, Number(process.env.BENCH_COLD || 7));
const SIZES_MB = QUICK ? [64, 128] : [100, 500];
const NODE = process.execPath;
const NODE24 = join(ROOT, ".tools", "node24", "bin", "node");
const IMGSEC = join(ROOT, "bin", "imgsec.js");
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const DATASET = "bench-1";
const MB = 1e6;
const FRAME_BYTES = 512 * 512 * 2;

const fmt = (x, d = 2) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(d) : "—");
const load = () => loadavg()[0].toFixed(2);
const dirBytes = (dir) => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
const packagesIn = (dir) => readdirSync(dir).filter((n) => n.endsWith(".imgsec")).length;

/** One hyperfine invocation: every command's output folders emptied and `sync`ed before each run. */
function hyperfine(work, commands) {
  const json = join(work, "hyperfine.json");
  const args = ["-N", "--style", "basic", "--warmup", "1", "--runs", String(RUNS)];
  for (const c of commands) args.push("--prepare", `sh -c "rm -rf ${c.dirs.join(" ")} && sync"`);
  args.push("--export-json", json);
  for (const c of commands) args.push("-n", c.name, c.command);
  const r = spawnSync("hyperfine", args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.stderr.write(r.stdout);
  if (r.status !== 0) throw new Error(`hyperfine failed (${r.status})`);
  const results = JSON.parse(readFileSync(json, "utf8")).results;
  return Object.fromEntries(results.map((x, i) => [commands[i].name, x]));
}

/** One run under GNU time: peak RSS in bytes; fails loudly. */
function peakRss(cmd, args, env = process.env) {
  const r = spawnSync(TIME, ["-f", "%M", cmd, ...args], { encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.slice(-400)}`);
  return Number(r.stderr.trim().split("\n").pop()) * 1024;
}

/** Runs `node bench/job.js --child <kind> <json>` (this file) and returns its one JSON line. */
function child(kind, arg, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(NODE, [join(__dirname, "job.js"), "--child", kind, JSON.stringify(arg)], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code) => {
      if (code !== 0)
        return reject(new Error(`${kind} child failed (${code}): ${err.slice(-600)}`));
      const line = out
        .trim()
        .split("\n")
        .filter((l) => l.startsWith('{"bench"'))
        .pop();
      resolve(JSON.parse(line).bench);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// children: the Lambda handler on one object against moto (its peak RSS is its own process's)

async function handlerChild(arg) {
  const { handler } = require(join(ROOT, "dist", "handlers", "process-object.js"));
  const started = process.hrtime.bigint();
  const r = await handler({ bucket: arg.bucket, key: arg.key, versionId: arg.versionId });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    `${JSON.stringify({ bench: { outcome: r.outcome, seconds, maxRss: process.resourceUsage().maxRSS * 1024 } })}\n`,
  );
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------

/**
 * The handler's work per invocation over local object stores: processObject, then the seal of the
 * instance audit log (one checkpoint signature, its segment written durably to a folder standing
 * in for the Object Lock bucket), as process-object.ts does for each steady-traffic invocation;
 * the key file's Ed25519 key signs instead of KMS. `concurrency` objects in flight, one log each
 * (one sandbox each, as Lambda would run them).
 */
async function inProcessLocal(work, input, keys, concurrency) {
  const dist = (p) => require(join(ROOT, "dist", "handlers", p));
  const { processObject } = dist("job/process.js");
  const { LocalObjectStore } = dist("store/local.js");
  const { localKeyring } = dist("crypto/keyrings.js");
  const { loadKey, loadSigningKey } = dist("keys/keyfile.js");
  const { openInstanceLog } = dist("audit/instance.js");
  const { ed25519Signer } = dist("audit/signer.js");
  const { fsyncSync, openSync, closeSync, writeSync } = require("node:fs");
  const out = mkdtempSync(join(work, "inproc-"));
  const segments = join(out, "segments");
  mkdirSync(segments);
  // Durable like an S3 PutObject: written, fsync'ed, never over another.
  const sink = {
    name: "local folder",
    async put(seg) {
      const fd = openSync(join(segments, `${seg.log}-${seg.first}-${seg.last}.jsonl`), "wx");
      try {
        writeSync(fd, seg.bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
  const signer = ed25519Signer(loadSigningKey(keys).privateKey);
  const ring = localKeyring(keys);
  const packages = new LocalObjectStore(join(out, "packages"), { create: true });
  const source = new LocalObjectStore(input);
  const names = readdirSync(input).sort();
  let next = 0;
  const outcomes = {};
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      const audit = loadKey(keys, "audit");
      const log = await openInstanceLog({
        dir: join(out, `audit-${i}`),
        keys: audit,
        signer,
        sink,
        actor: "local:bench",
      });
      const ctx = {
        source,
        sourceName: input,
        packages,
        packagePrefix: "",
        dataset: DATASET,
        options: [],
        pseudonymizationKey: loadKey(keys, "pseudonymization").key,
        keyring: ring.keyring,
        audit: (e) => log.append(e),
      };
      while (next < names.length) {
        const r = await processObject({ key: names[next++] }, ctx);
        await log.seal();
        outcomes[r.outcome] = (outcomes[r.outcome] || 0) + 1;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (outcomes.packaged !== names.length)
    throw new Error(`in-process job: ${JSON.stringify(outcomes)}`);
  rmSync(out, { recursive: true, force: true });
  return seconds;
}

/** moto, the synthesized stack's resources on it, and the function's environment. */
async function motoWorld() {
  const { startMoto, MOTO_SERVER } = require("../test/helpers/moto.ts");
  if (!existsSync(MOTO_SERVER)) throw new Error("moto is needed (scripts/setup-moto.sh)");
  const { synthesize } = require("../test/e2e/synth.ts");
  const { provision, sandboxEnv } = require("../test/e2e/world.ts");
  const moto = await startMoto();
  const stack = synthesize();
  const world = await provision(moto, stack);
  return { moto, world, sandboxEnv };
}

async function uploadTo(world, key, body) {
  const { PutObjectCommand } = require("@aws-sdk/client-s3");
  const { Upload } = require("@aws-sdk/lib-storage");
  const params = {
    Bucket: world.rawBucket,
    Key: key,
    Body: body,
    ServerSideEncryption: "aws:kms",
    SSEKMSKeyId: world.phiKeyArn,
  };
  if (Buffer.isBuffer(body)) return (await world.s3.send(new PutObjectCommand(params))).VersionId;
  return (await new Upload({ client: world.s3, params, partSize: 16 << 20 }).done()).VersionId;
}

/** The bundle's cold start under Node 24: process start → module loaded → handler ready. */
function coldStart(module, env) {
  const script = `
    const { performance } = require("node:perf_hooks");
    const m = require(${JSON.stringify(module)});
    const loaded = performance.now();
    m.handler({}).then(
      () => { throw new Error("an empty event was accepted"); },
      (e) => {
        if (e.name !== "InvalidEvent") { process.stderr.write(e.name + "\\n"); process.exit(1); }
        process.stdout.write(JSON.stringify({ loaded, ready: performance.now() }) + "\\n");
        process.exit(0);
      });`;
  const r = spawnSync(NODE24, ["-e", script], { encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`cold start failed: ${r.stderr.slice(-400)}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

async function main() {
  for (const [tool, ok] of [
    ["hyperfine", spawnSync("hyperfine", ["--version"]).status === 0],
    ["GNU time (/usr/bin/time)", TIME],
    ["Node 24 (scripts/setup-node24.sh)", existsSync(NODE24)],
  ])
    if (!ok) throw new Error(`${tool} is needed`);
  const { generateCtSeries, generateMultiframe } = require("../test/dicom/corpus/generator.ts");
  const work = mkdtempSync(join(tmpdir(), "imgsec-bench-job-"));
  const loadBefore = load();
  const notes = [];
  try {
    const input = join(work, "ct");
    mkdirSync(input);
    const series = generateCtSeries({ slices: SLICES, rows: 512, columns: 512 });
    for (const f of series.files) writeFileSync(join(input, f.name), f.bytes);
    const inputMb = dirBytes(input) / MB;
    const keys = join(work, "keys.json");
    execFileSync(NODE, [IMGSEC, "keys", "init", "--keys", keys], { stdio: "ignore" });

    // --- whole processes -----------------------------------------------------------------------
    const d = (n) => join(work, n);
    const runCmd = `${NODE} ${IMGSEC} run ${input} ${d("run")} --dataset ${DATASET} --keys ${keys} --audit-log ${d("run.audit.jsonl")}`;
    const two = `${NODE} ${IMGSEC} deid ${input} ${d("mid")} --keys ${keys} --audit-log ${d("two.audit.jsonl")} >/dev/null && ${NODE} ${IMGSEC} encrypt ${d("mid")} ${d("enc")} --dataset ${DATASET} --keys ${keys} --audit-log ${d("two.audit.jsonl")} >/dev/null`;
    const twoCmd = `sh -c "${two}"`;
    // What is timed is checked first: every slice packaged, by both.
    execFileSync("sh", ["-c", runCmd], { stdio: "ignore" });
    execFileSync("sh", ["-c", two], { stdio: "ignore" });
    if (packagesIn(d("run")) !== SLICES || packagesIn(d("enc")) !== SLICES)
      throw new Error(
        `packages: run ${packagesIn(d("run"))}, deid+encrypt ${packagesIn(d("enc"))}`,
      );
    const commands = [
      { name: "imgsec run (the job, one process)", command: runCmd, dirs: [d("run")] },
      {
        name: "imgsec deid, then imgsec encrypt (two processes)",
        command: twoCmd,
        dirs: [d("mid"), d("enc")],
      },
    ];
    const rounds = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(hyperfine(work, commands));
    const pooled = (name) => rounds.flatMap((r) => r[name].times);
    const ratios = rounds.map(
      (r) => median(r[commands[1].name].times) / median(r[commands[0].name].times),
    );
    const whole = commands.map((c) => {
      const t = median(pooled(c.name));
      const cpu = median(rounds.map((r) => r[c.name].user + r[c.name].system));
      return { name: c.name, median: t, min: Math.min(...pooled(c.name)), cpu };
    });
    rmSync(d("run"), { recursive: true, force: true });
    const rssRun = peakRss(NODE, [
      IMGSEC,
      "run",
      input,
      d("run"),
      "--dataset",
      DATASET,
      "--keys",
      keys,
      "--audit-log",
      d("run.audit.jsonl"),
    ]);

    // --- in-process over local stores ----------------------------------------------------------
    const inproc = {};
    for (const c of [1, 2, 4]) {
      const t = [];
      for (let i = 0; i < 3; i++) t.push(await inProcessLocal(work, input, keys, c));
      inproc[c] = median(t);
    }

    // --- the Lambda handler against moto -------------------------------------------------------
    const { moto, world, sandboxEnv } = await motoWorld();
    let handlerSeconds;
    let rssHandler = {};
    let rssLocal = {};
    let bundle;
    let cold = [];
    let coldDist = [];
    try {
      const auditDir = mkdtempSync(join(work, "audit-"));
      const env = { ...process.env, ...sandboxEnv(world, { auditDir }) };
      const saved = { ...process.env };
      Object.assign(process.env, env);
      const events = [];
      for (const f of series.files)
        events.push({
          bucket: world.rawBucket,
          key: `incoming/bench/${f.name}`,
          versionId: await uploadTo(world, `incoming/bench/${f.name}`, f.bytes),
        });
      const { handler } = require(join(ROOT, "dist", "handlers", "process-object.js"));
      // The function's logs and EMF metrics (two lines an object) are not the benchmark's output.
      const write = process.stdout.write;
      process.stdout.write = () => true;
      try {
        // Not timed: the cold start (the secret, the signing key), with the first object.
        const first = await handler(events[0]);
        if (first.outcome !== "packaged") throw new Error(`handler: ${JSON.stringify(first)}`);
        const started = process.hrtime.bigint();
        for (const e of events.slice(1)) {
          const r = await handler(e);
          if (r.outcome !== "packaged") throw new Error(`handler: ${JSON.stringify(r)}`);
        }
        handlerSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      } finally {
        process.stdout.write = write;
        process.env = saved;
      }

      // --- peak memory on one large object --------------------------------------------------------
      for (const size of SIZES_MB) {
        const frames = Math.round((size * MB) / FRAME_BYTES);
        const dir = join(work, `mf-${size}`);
        // Its own seed: another SOP Instance UID than the other size's (no conflict).
        const mf = generateMultiframe({
          path: join(dir, "mf.dcm"),
          frames,
          rows: 512,
          columns: 512,
          seed: 1000 + size,
        });
        rssLocal[size] = {
          bytes: mf.size,
          rss: peakRss(NODE, [
            IMGSEC,
            "run",
            dir,
            join(work, `mf-out-${size}`),
            "--dataset",
            DATASET,
            "--keys",
            keys,
            "--audit-log",
            d("mf.audit.jsonl"),
          ]),
        };
        const { createReadStream } = require("node:fs");
        const key = `incoming/bench/mf-${size}.dcm`;
        const versionId = await uploadTo(world, key, createReadStream(mf.path));
        const r = await child("handler", { bucket: world.rawBucket, key, versionId }, env);
        if (r.outcome !== "packaged") throw new Error(`handler on ${size} MB: ${r.outcome}`);
        rssHandler[size] = { bytes: mf.size, rss: r.maxRss, seconds: r.seconds };
        rmSync(dir, { recursive: true, force: true });
        rmSync(join(work, `mf-out-${size}`), { recursive: true, force: true });
      }

      // --- the bundle and its cold start ---------------------------------------------------------
      const coldEnv = { ...env, IMGSEC_AUDIT_DIR: mkdtempSync(join(work, "cold-")) };
      bundle = world.stack.bundle;
      for (let i = 0; i < COLD; i++) cold.push(coldStart(bundle.indexJs, coldEnv));
      for (let i = 0; i < COLD; i++)
        coldDist.push(coldStart(join(ROOT, "dist", "handlers", "process-object.js"), coldEnv));
    } finally {
      world.destroy();
      await moto.stop();
    }

    // --- report --------------------------------------------------------------------------------
    const ratio = median(ratios);
    const rows = whole.map(
      (w, i) =>
        `| ${w.name} | ${fmt(w.median)} | ${fmt(w.min)} | ${fmt(SLICES / w.median, 1)} | ${fmt(inputMb / w.median, 1)} | ${fmt(w.cpu)} | ${i === 0 ? `${mib(rssRun)}` : "—"} | ${i === 0 ? `**${fmt(ratio)}** (${fmt(Math.min(...ratios))}–${fmt(Math.max(...ratios))})` : "1"} |`,
    );
    const ms = (xs, k) => fmt(median(xs.map((x) => x[k])), 0);
    const lines = [
      `Machine: ${machine()}; 1-minute load average ${loadBefore} before the run, ${load()} after (the machine is shared: other work may run at the same time).`,
      `Input: a CT series of ${SLICES} slices, 512×512 16-bit, ${fmt(inputMb, 1)} MB, planted PHI in every header (test/dicom/corpus generateCtSeries). Signed suite (0x0578, the default of both), local key file (raw AES keyring), audit records on.`,
      "",
      `**Whole processes** (like with like): ${ROUNDS} hyperfine invocation(s) over both commands, one warm-up and ${RUNS} timed runs each; outputs removed and \`sync\`ed before each run. Times pool all runs; the **ratio** is the two commands' median ÷ the job's median *within one invocation* (above 1: the job is faster), median over the invocations with their range. Peak RSS: GNU time, one more run.`,
      "",
      "| command | median (s) | min (s) | objects/s | MB/s | CPU user + sys (s) | peak RSS (MiB) | speed-up of the job |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
      ...rows,
      "",
      `**In-process**, the handler's work without its process start-up, median of 3: per object processObject over local object stores (handlers/store/local.ts: each package fsync'ed, committed without overwriting, its metadata sidecar too), then the seal of an instance audit log (one checkpoint signature, here the key file's Ed25519 instead of KMS, its segment written and fsync'ed to a folder), as process-object.ts does per invocation.`,
      "",
      "| objects in flight | seconds | objects/s | MB/s |",
      "|---|---:|---:|---:|",
      ...[1, 2, 4].map(
        (c) =>
          `| ${c}${c === 1 ? " (as the handler's batch loop runs them)" : " (a concurrent loop; the handler has none)"} | ${fmt(inproc[c])} | ${fmt(SLICES / inproc[c], 1)} | ${fmt(inputMb / inproc[c], 1)} |`,
      ),
      "",
      `**Through the Lambda handler** in-process against moto (S3, the KMS keyring, Secrets Manager, one KMS-signed audit seal and segment per invocation), one invocation per object, the cold start excluded: ${SLICES - 1} objects in ${fmt(handlerSeconds)} s, ${fmt((SLICES - 1) / handlerSeconds, 1)} objects/s, ${fmt((inputMb * (SLICES - 1)) / SLICES / handlerSeconds, 1)} MB/s. moto is a Python server on the same two cores: this is a floor set by moto, not a figure for S3.`,
      "",
      "**Peak memory on one multi-frame object** (512×512 16-bit frames), each run in its own process:",
      "",
      "| object | `imgsec run` (local stores) peak RSS (MiB) | Lambda handler against moto, peak RSS (MiB) | handler time (s) |",
      "|---|---:|---:|---:|",
      ...SIZES_MB.map(
        (s) =>
          `| ${fmt(rssLocal[s].bytes / MB, 0)} MB | ${mib(rssLocal[s].rss)} | ${mib(rssHandler[s].rss)} | ${fmt(rssHandler[s].seconds)} |`,
      ),
      "",
      bundle
        ? `**Bundle**: ${fmt(bundle.zipBytes / 1024, 0)} KiB zipped, ${fmt(bundle.codeBytes / 1024, 0)} KiB of JavaScript (esbuild, minified, CommonJS, node24; the AWS SDK v3 and the Encryption SDK included). **Cold start** under Node 24 (${NODE24.replace(ROOT + "/", "")}), process start to the handler ready, against moto, median of ${COLD}: module loaded at ${ms(cold, "loaded")} ms, ready at ${ms(cold, "ready")} ms (from dist/ with node_modules instead: ${ms(coldDist, "loaded")} ms and ${ms(coldDist, "ready")} ms).`
        : `**Bundle**: not measured (${notes.join("; ")}). **Cold start** under Node 24 from dist/ with node_modules (not the bundle), process start to the handler ready, against moto, median of ${COLD}: module loaded at ${ms(coldDist, "loaded")} ms, ready at ${ms(coldDist, "ready")} ms.`,
    ].join("\n");
    process.stdout.write(`${lines}\n`);
    if (QUICK) process.stderr.write("BENCH_QUICK=1: bench/results.md not rewritten\n");
    else writeSection("Job", lines);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  const [, , , kind, arg] = process.argv;
  if (kind !== "handler") throw new Error(`unknown child ${kind}`);
  handlerChild(JSON.parse(arg)).catch((e) => {
    process.stderr.write(`${e && e.name}: ${e && e.message}\n`);
    process.exit(1);
  });
} else
  main().catch((e) => {
    process.stderr.write(`bench/job.js: ${e && e.message ? e.message : e}\n`);
    process.exit(1);
  });
