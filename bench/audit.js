"use strict";
// Benchmark: audit log appends per second (one writer, awaiting each append: a lock round trip
// per record; and the same with 64 appends in flight, grouped into one locked write) and verify
// records per second (HMAC, chain and signatures) on a 100k-record log. Needs `npm run build`.
// Prints one JSON line. BENCH_AUDIT_RECORDS overrides the size.
const { mkdtempSync, rmSync, statSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { initKeyFile, loadKey, loadSigningKey } = require("../dist/handlers/keys/keyfile");
const { openAuditLog, verifyAuditLog } = require("../dist/handlers/audit");

const RECORDS = Number(process.env.BENCH_AUDIT_RECORDS || 100_000);
const SEQUENTIAL = Math.min(RECORDS, 20_000);

const event = (i) => ({
  op: "deid",
  outcome: "ok",
  objects: [
    { kind: "dataset", id: "study-1" },
    { kind: "instance", uid: `2.25.${100000 + i}` },
    { kind: "patient", pseudonym: "PSN-42" },
  ],
  details: { files: 1, i },
});

const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "imgsec-bench-audit-"));
  try {
    const keys = join(dir, "keys.json");
    initKeyFile(keys);
    const open = (name) =>
      openAuditLog({ path: join(dir, name), keysPath: keys, actor: "local:bench", s3: false });

    // One append at a time: every record takes and releases the cross-process lock.
    let w = await open("sequential.jsonl");
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < SEQUENTIAL; i++) await w.append(event(i));
    await w.close();
    const appendsPerSecond = SEQUENTIAL / seconds(t0);

    // Many in flight (e.g. worker results arriving together): grouped under one lock.
    w = await open("audit.jsonl");
    t0 = process.hrtime.bigint();
    const WINDOW = 64;
    for (let i = 0; i < RECORDS; i += WINDOW) {
      const batch = [];
      for (let j = i; j < Math.min(RECORDS, i + WINDOW); j++) batch.push(w.append(event(j)));
      await Promise.all(batch);
    }
    await w.close();
    const groupedAppendsPerSecond = RECORDS / seconds(t0);

    const path = join(dir, "audit.jsonl");
    const opts = {
      auditKey: loadKey(keys, "audit").key,
      publicKey: loadSigningKey(keys).publicKey,
    };
    t0 = process.hrtime.bigint();
    const r = verifyAuditLog({ path }, opts);
    const verifySeconds = seconds(t0);
    if (!r.intact) throw new Error("the benchmark log does not verify");
    t0 = process.hrtime.bigint();
    verifyAuditLog({ path }, { publicKey: opts.publicKey });
    const pubkeyOnlySeconds = seconds(t0);
    process.stdout.write(
      JSON.stringify({
        appendsPerSecond: Math.round(appendsPerSecond),
        groupedAppendsPerSecond: Math.round(groupedAppendsPerSecond),
        verifyRecordsPerSecond: Math.round(r.counts.records / verifySeconds),
        verifyPubkeyOnlyRecordsPerSecond: Math.round(r.counts.records / pubkeyOnlySeconds),
        records: r.counts.records,
        bytes: statSync(path).size,
        peakRssMiB: Math.round(process.memoryUsage().rss / 1048576),
      }) + "\n",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench/audit: ${e.message}\n`);
  process.exitCode = 1;
});
