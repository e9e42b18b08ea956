"use strict";
// Benchmark: package encrypt and decrypt throughput (MB/s) and peak memory, file to file, side by
// side in the same run with raw AES-256-GCM from node:crypto on the same data; both algorithm
// suites; a frame-length sweep; and verify-package (keyless header walk, SHA-256 and ECDSA check).
// Every timed operation runs in a fresh child process (`node bench/packages.js --child ...`), so
// its peak RSS is its own. Needs `npm run build` (npm run bench does it first).
//
//   BENCH_RUNS=3     timings per measurement (median reported)
//   BENCH_QUICK=1    skip the 512 MB size (results.md is then not rewritten)
const { spawnSync } = require("node:child_process");
const {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  randomFillSync,
} = require("node:crypto");
const {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
  writeSync,
  closeSync,
  promises: fsp,
} = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { pipeline } = require("node:stream/promises");

const MB = 1e6;
const MIB = 1 << 20;
const POLICY = "0".repeat(63) + "1";

// ---------------------------------------------------------------------------------------------
// Child: one operation, timed from the first byte read to the output's fsync; prints one JSON line.

async function fsyncFile(path) {
  const fh = await fsp.open(path, "r+");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

const OPS = {
  async "imgsec-encrypt"(p, start) {
    const {
      buildContext,
      encryptToFile,
      localKeyring,
      PRODUCER,
    } = require("../dist/handlers/crypto");
    const k = localKeyring(p.keys);
    const context = buildContext({
      datasetId: "bench-1",
      modality: "CT",
      policyHash: POLICY,
      pixelDigest: "ab".repeat(32),
      producer: PRODUCER,
    });
    start();
    const t0 = process.hrtime.bigint();
    await encryptToFile(createReadStream(p.in, { highWaterMark: MIB }), p.out, {
      keyring: k.keyring,
      context,
      suite: p.suite,
      frameLength: p.frameLength,
    });
    return t0;
  },
  async "imgsec-decrypt"(p, start) {
    const { decryptToFile, localKeyring } = require("../dist/handlers/crypto");
    const k = localKeyring(p.keys);
    start();
    const t0 = process.hrtime.bigint();
    await decryptToFile(p.in, p.out, { keyring: k.keyring, expect: { policyHashes: [POLICY] } });
    return t0;
  },
  // Raw AES-256-GCM: one IV and one tag for the whole file (kept beside it in <out>.meta).
  async "raw-encrypt"(p, start) {
    const { loadKey } = require("../dist/handlers/keys/keyfile");
    const { key } = loadKey(p.keys, "encryption");
    const iv = randomBytes(12);
    start();
    const t0 = process.hrtime.bigint();
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    await pipeline(
      createReadStream(p.in, { highWaterMark: MIB }),
      cipher,
      createWriteStream(p.out, { highWaterMark: MIB }),
    );
    writeFileSync(`${p.out}.meta`, Buffer.concat([iv, cipher.getAuthTag()]));
    if (p.fsync) await fsyncFile(p.out);
    key.fill(0);
    return t0;
  },
  async "raw-decrypt"(p, start) {
    const { loadKey } = require("../dist/handlers/keys/keyfile");
    const { key } = loadKey(p.keys, "encryption");
    start();
    const t0 = process.hrtime.bigint();
    const meta = readFileSync(`${p.in}.meta`);
    const decipher = createDecipheriv("aes-256-gcm", key, meta.subarray(0, 12));
    decipher.setAuthTag(meta.subarray(12));
    await pipeline(
      createReadStream(p.in, { highWaterMark: MIB }),
      decipher,
      createWriteStream(p.out, { highWaterMark: MIB }),
    );
    if (p.fsync) await fsyncFile(p.out);
    key.fill(0);
    return t0;
  },
  async verify(p, start) {
    const { inspectPackage } = require("../dist/handlers/crypto");
    start();
    const t0 = process.hrtime.bigint();
    const { document } = await inspectPackage(p.in, "bench");
    if (!document.body.complete) throw new Error("verify: body incomplete");
    if (document.suite.signed && !document.signature.valid)
      throw new Error("verify: signature does not verify");
    return t0;
  },
  async sha256(p, start) {
    start();
    const t0 = process.hrtime.bigint();
    const h = createHash("sha256");
    for await (const chunk of createReadStream(p.in, { highWaterMark: MIB })) h.update(chunk);
    h.digest();
    return t0;
  },
};

async function child(op, params) {
  let cpu0;
  const t0 = await OPS[op](JSON.parse(params), () => (cpu0 = process.cpuUsage()));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // CPU time of every thread of the process (main thread and libuv pool) over the same span: the
  // crypto work itself, steady where wall time waits on the disk.
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // maxRSS: KiB on Linux. Peak over the whole process (module load included).
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ seconds, cpuSeconds, maxRssBytes }) + "\n");
}

// ---------------------------------------------------------------------------------------------
// Parent.

function main() {
  const { runChild, median, mib, writeSection, machine } = require("./lib");
  const RUNS = Number(process.env.BENCH_RUNS || 3);
  const QUICK = process.env.BENCH_QUICK === "1";
  const SIZES = QUICK ? [1, 64] : [1, 64, 512];
  const SWEEP_SIZE = 64;
  const FRAMES = [64 << 10, 256 << 10, 1 << 20, 4 << 20];
  const DEFAULT_FRAME = require("../dist/handlers/crypto").DEFAULT_FRAME_LENGTH;
  const SUITES = ["signed", "unsigned"];

  const work = mkdtempSync(join(tmpdir(), "imgsec-bench-packages-"));
  const keys = join(work, "keys.json");
  require("../dist/handlers/keys/keyfile").initKeyFile(keys);
  const sync = () => spawnSync("sync");
  const hashFile = (path) => {
    const h = createHash("sha256");
    const fd = openSync(path, "r");
    const buf = Buffer.alloc(MIB);
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, MIB, null);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
    return h.digest("hex");
  };
  const makeInput = (sizeMb) => {
    const path = join(work, `plain-${sizeMb}`);
    const fd = openSync(path, "w");
    const buf = Buffer.alloc(MIB);
    try {
      for (let left = sizeMb * MB; left > 0; left -= MIB) {
        randomFillSync(buf);
        writeSync(fd, buf, 0, Math.min(MIB, left));
      }
    } finally {
      closeSync(fd);
    }
    return { path, digest: hashFile(path) };
  };

  /** One op in a fresh process, after the page cache's dirty pages are written out. */
  const one = (op, p) => {
    sync();
    return runChild("packages.js", ["--child", op, JSON.stringify({ keys, ...p })]);
  };
  const summary = (bytes, runs) => ({
    mbPerS: bytes / MB / median(runs.map((r) => r.seconds)),
    seconds: median(runs.map((r) => r.seconds)),
    cpuMbPerS: bytes / MB / median(runs.map((r) => r.cpuSeconds)),
    maxRssBytes: Math.max(...runs.map((r) => r.maxRssBytes)),
  });

  /**
   * Configurations measured together: RUNS rounds, each round running every configuration's
   * encrypt and then its decrypt of that package, so that a slow spell of the disk falls on all of
   * them alike. The first decrypted output of each is checked against the input. A configuration
   * with `keep` leaves its last package in place (for verify).
   */
  const measure = (input, bytes, configs) => {
    const runs = configs.map(() => ({ enc: [], dec: [] }));
    const out = join(work, "out");
    for (let i = 0; i < RUNS; i++) {
      configs.forEach((c, j) => {
        const pkg = join(work, `pkg-${j}`);
        runs[j].enc.push(one(c.encOp, { in: input.path, out: pkg, ...c.params }));
        runs[j].dec.push(one(c.decOp, { in: pkg, out, ...c.params }));
        if (i === 0 && hashFile(out) !== input.digest)
          throw new Error(`${c.decOp}: decrypted output differs from the input`);
        rmSync(out, { force: true });
        rmSync(`${pkg}.meta`, { force: true });
        if (i < RUNS - 1 || !c.keep) rmSync(pkg, { force: true });
      });
    }
    return configs.map((c, j) => ({
      pkg: join(work, `pkg-${j}`),
      encrypt: summary(bytes, runs[j].enc),
      decrypt: summary(bytes, runs[j].dec),
    }));
  };
  const rawConfig = (fsync) => ({
    encOp: "raw-encrypt",
    decOp: "raw-decrypt",
    params: { fsync },
  });
  const imgsecConfig = (suite, frameLength, keep = false) => ({
    encOp: "imgsec-encrypt",
    decOp: "imgsec-decrypt",
    params: { suite, frameLength },
    keep,
  });

  const load = () => require("node:os").loadavg()[0].toFixed(2);
  const results = {
    machine: machine(),
    loadBefore: load(),
    runs: RUNS,
    quick: QUICK,
    sizes: [],
    sweep: [],
    verify: [],
  };
  if (Number(results.loadBefore) > 0.5)
    process.stderr.write(
      `packages: load average ${results.loadBefore} on ${require("node:os").cpus().length} CPUs: other work competes, numbers will be noisy\n`,
    );
  try {
    const inputs = {};
    const largest = SIZES[SIZES.length - 1];
    for (const size of SIZES) {
      process.stderr.write(`packages: ${size} MB\n`);
      inputs[size] = makeInput(size);
      const bytes = size * MB;
      const keep = size === largest;
      const [raw, rawNoSync, ...suites] = measure(inputs[size], bytes, [
        rawConfig(true),
        rawConfig(false),
        ...SUITES.map((suite) => imgsecConfig(suite, DEFAULT_FRAME, keep)),
      ]);
      SUITES.forEach((suite, i) =>
        results.sizes.push({
          size,
          suite,
          frameLength: DEFAULT_FRAME,
          imgsec: { encrypt: suites[i].encrypt, decrypt: suites[i].decrypt },
          raw,
          rawNoSync,
        }),
      );
      if (keep) {
        process.stderr.write(`packages: verify ${size} MB\n`);
        const checks = [
          ...SUITES.map((suite, i) => ({ label: suite, op: "verify", pkg: suites[i].pkg })),
          { label: "sha256 only (baseline)", op: "sha256", pkg: suites[0].pkg },
        ];
        const runs = checks.map(() => []);
        for (let i = 0; i < RUNS; i++)
          checks.forEach((c, j) => runs[j].push(one(c.op, { in: c.pkg })));
        checks.forEach((c, j) =>
          results.verify.push({ size, suite: c.label, ...summary(bytes, runs[j]) }),
        );
        for (const s of suites) rmSync(s.pkg, { force: true });
      }
      if (size !== SWEEP_SIZE) rmSync(inputs[size].path, { force: true });
    }

    process.stderr.write(`packages: frame-length sweep at ${SWEEP_SIZE} MB\n`);
    const grid = FRAMES.flatMap((frameLength) => SUITES.map((suite) => ({ frameLength, suite })));
    const [sweepRaw, ...swept] = measure(inputs[SWEEP_SIZE], SWEEP_SIZE * MB, [
      rawConfig(true),
      ...grid.map((g) => imgsecConfig(g.suite, g.frameLength)),
    ]);
    grid.forEach((g, i) =>
      results.sweep.push({
        size: SWEEP_SIZE,
        ...g,
        imgsec: { encrypt: swept[i].encrypt, decrypt: swept[i].decrypt },
        raw: sweepRaw,
      }),
    );
    results.loadAfter = load();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const f1 = (x) => x.toFixed(1);
  const f2 = (x) => x.toFixed(2);
  const kib = (n) => (n >= MIB ? `${n / MIB} MiB` : `${n / 1024} KiB`);
  const suiteName = (s) =>
    s === "signed" ? "signed 0x0578" : s === "unsigned" ? "unsigned 0x0478" : s;
  const ratio = (a, b) => f2(a / b);
  const fastest = (cost) =>
    SUITES.map((suite) => {
      const rows = results.sweep.filter((r) => r.suite === suite);
      return `${suiteName(suite)} ${kib(rows.reduce((x, y) => (cost(y) < cost(x) ? y : x)).frameLength)}`;
    }).join(", ");
  const lines = [
    `Machine: ${results.machine}; 1-minute load average ${results.loadBefore} before the run, ${results.loadAfter} after. ${RUNS} runs each, median; the configurations of a table are run in rounds (each once per round) so that a slow spell of the disk falls on all alike. Every operation runs in a fresh child process, timed from the first byte read to the output's fsync (imgsec always fsyncs before its rename); CPU = user + system time of all the child's threads over the same span; peak RSS is the child's maxRSS (largest of the runs, Node and modules included). Random data, file to file in the temporary folder (a virtual disk here), \`sync\` before each run. Local raw AES keyring from a fresh key file.`,
    "",
    `Raw = AES-256-GCM from node:crypto on the same file (createCipheriv/createDecipheriv, pipeline, 1 MiB highWaterMark; one IV and tag for the whole file), written durably (fsync) like imgsec; "no fsync" is the same without it. Ratio = imgsec / raw (fsync) in wall-clock MB/s; the aim is 0.8 or better. CPU ratio = the same in MB per CPU-second (raw CPU time ÷ imgsec CPU time): the crypto overhead alone, steady where wall time waits on the disk. Frame length ${kib(DEFAULT_FRAME)} (the default).`,
    "",
    "| size | suite | imgsec encrypt MB/s | raw encrypt MB/s (no fsync) | ratio | imgsec decrypt MB/s | raw decrypt MB/s (no fsync) | ratio | CPU ratio encrypt / decrypt | peak RSS encrypt / decrypt (MiB) | raw peak RSS (MiB) |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...results.sizes.map(
      (r) =>
        `| ${r.size} MB | ${suiteName(r.suite)} | ${f1(r.imgsec.encrypt.mbPerS)} | ${f1(r.raw.encrypt.mbPerS)} (${f1(r.rawNoSync.encrypt.mbPerS)}) | ${ratio(r.imgsec.encrypt.mbPerS, r.raw.encrypt.mbPerS)} | ${f1(r.imgsec.decrypt.mbPerS)} | ${f1(r.raw.decrypt.mbPerS)} (${f1(r.rawNoSync.decrypt.mbPerS)}) | ${ratio(r.imgsec.decrypt.mbPerS, r.raw.decrypt.mbPerS)} | ${ratio(r.imgsec.encrypt.cpuMbPerS, r.raw.encrypt.cpuMbPerS)} / ${ratio(r.imgsec.decrypt.cpuMbPerS, r.raw.decrypt.cpuMbPerS)} | ${mib(r.imgsec.encrypt.maxRssBytes)} / ${mib(r.imgsec.decrypt.maxRssBytes)} | ${mib(Math.max(r.raw.encrypt.maxRssBytes, r.raw.decrypt.maxRssBytes))} |`,
    ),
    "",
    `Frame length sweep at ${SWEEP_SIZE} MB, with its own raw (fsync) baseline measured in the same rounds: ${f1(results.sweep[0].raw.encrypt.mbPerS)} / ${f1(results.sweep[0].raw.decrypt.mbPerS)} MB/s encrypt / decrypt, ${f1(results.sweep[0].raw.encrypt.cpuMbPerS)} / ${f1(results.sweep[0].raw.decrypt.cpuMbPerS)} MB per CPU-second.`,
    "",
    "| frame length | suite | encrypt MB/s | ratio | decrypt MB/s | ratio | encrypt / decrypt MB per CPU-second | CPU ratio encrypt / decrypt | peak RSS encrypt / decrypt (MiB) |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ...results.sweep.map(
      (r) =>
        `| ${kib(r.frameLength)} | ${suiteName(r.suite)} | ${f1(r.imgsec.encrypt.mbPerS)} | ${ratio(r.imgsec.encrypt.mbPerS, r.raw.encrypt.mbPerS)} | ${f1(r.imgsec.decrypt.mbPerS)} | ${ratio(r.imgsec.decrypt.mbPerS, r.raw.decrypt.mbPerS)} | ${f1(r.imgsec.encrypt.cpuMbPerS)} / ${f1(r.imgsec.decrypt.cpuMbPerS)} | ${ratio(r.imgsec.encrypt.cpuMbPerS, r.raw.encrypt.cpuMbPerS)} / ${ratio(r.imgsec.decrypt.cpuMbPerS, r.raw.decrypt.cpuMbPerS)} | ${mib(r.imgsec.encrypt.maxRssBytes)} / ${mib(r.imgsec.decrypt.maxRssBytes)} |`,
    ),
    "",
    `Least encrypt + decrypt CPU time at ${SWEEP_SIZE} MB: ${fastest((r) => 1 / r.imgsec.encrypt.cpuMbPerS + 1 / r.imgsec.decrypt.cpuMbPerS)}; least wall time: ${fastest((r) => r.imgsec.encrypt.seconds + r.imgsec.decrypt.seconds)}.`,
    "",
    `verify-package core (inspectPackage: header, frame walk, SHA-256 of the file and, signed, the ECDSA P-384 check; no key) at ${SIZES[SIZES.length - 1]} MB, ${kib(DEFAULT_FRAME)} frames:`,
    "",
    "| package | MB/s | MB per CPU-second | peak RSS (MiB) |",
    "|---|---:|---:|---:|",
    ...results.verify.map(
      (r) =>
        `| ${suiteName(r.suite)} | ${f1(r.mbPerS)} | ${f1(r.cpuMbPerS)} | ${mib(r.maxRssBytes)} |`,
    ),
  ].join("\n");
  process.stdout.write(lines + "\n\n" + JSON.stringify(results) + "\n");
  if (QUICK) process.stderr.write("packages: BENCH_QUICK=1: bench/results.md not rewritten\n");
  else writeSection("Packages", lines);
}

if (process.argv[2] === "--child") {
  child(process.argv[3], process.argv[4]).catch((e) => {
    process.stderr.write(`bench/packages ${process.argv[3]}: ${e.message}\n`);
    process.exitCode = 1;
  });
} else {
  main();
}
