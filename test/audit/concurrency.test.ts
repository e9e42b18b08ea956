import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { openAuditLog, verifyAuditLog } from "../../handlers/audit";
import { loadKey, loadSigningKey } from "../../handlers/keys/keyfile";
import { newKeys, parse, tmp } from "./logs";

const CHILD = join(__dirname, "writer-child.js");

interface Job {
  path: string;
  keys: string;
  name: string;
  count: number;
  every: number;
  crash?: boolean;
}

function childProcess(job: Job): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CHILD, JSON.stringify(job)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${job.name} exited ${code}: ${err}`)),
    );
  });
}

function workerThread(job: Job): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = new Worker(CHILD, { workerData: job });
    let done = false;
    w.on("message", () => (done = true));
    w.on("error", reject);
    w.on("exit", (code) =>
      code === 0 && done ? resolve() : reject(new Error(`${job.name} exited ${code}`)),
    );
  });
}

function verify(path: string, keys: string, allowOpen = false) {
  return verifyAuditLog(
    { path },
    { auditKey: loadKey(keys, "audit").key, publicKey: loadSigningKey(keys).publicKey, allowOpen },
  );
}

test("4 processes × 200 appends, 2 worker threads × 100 and 2 writers in this thread × 50, at once: every record exactly once, intact", async () => {
  const dir = tmp();
  const keys = newKeys(dir);
  const path = join(dir, "audit.jsonl");
  const every = 10;
  const jobs: Promise<void>[] = [];
  for (let p = 0; p < 4; p++)
    jobs.push(childProcess({ path, keys, name: `proc${p}`, count: 200, every }));
  for (let t = 0; t < 2; t++)
    jobs.push(workerThread({ path, keys, name: `thread${t}`, count: 100, every }));
  for (let m = 0; m < 2; m++)
    jobs.push(
      (async () => {
        const w = await openAuditLog({
          path,
          keysPath: keys,
          actor: `local:main${m}`,
          checkpointEvery: every,
          s3: false,
        });
        for (let i = 0; i < 50; i++)
          await w.append({ op: "check", outcome: "ok", details: { writer: `main${m}`, i } });
        await w.close();
      })(),
    );
  await Promise.all(jobs);

  const r = verify(path, keys);
  expect(r.firstBad).toBeUndefined();
  expect(r.intact).toBe(true);
  expect(r.counts.events).toBe(1100);

  const recs = readFileSync(path, "utf8").trim().split("\n").map(parse);
  const seen = new Map<string, number>();
  for (const rec of recs.filter((x) => x.type === "event")) {
    const d = rec.details as { writer: string; i: number };
    const id = `${d.writer}/${d.i}`;
    seen.set(id, (seen.get(id) ?? 0) + 1);
    expect(rec.actor).toBe(`local:${d.writer}`);
  }
  expect(seen.size).toBe(1100);
  expect([...seen.values()].every((n) => n === 1)).toBe(true);
  // The writers did interleave (otherwise this test proves nothing about locking).
  const order = recs
    .filter((x) => x.type === "event")
    .map((x) => (x.details as { writer: string }).writer);
  const switches = order.filter((w, i) => i > 0 && w !== order[i - 1]).length;
  expect(switches).toBeGreaterThan(8);
  // One close checkpoint per writer, each covering the record just before it.
  const closes = recs.filter((x) => x.type === "checkpoint" && x.reason === "close");
  expect(closes).toHaveLength(8);
  for (const c of closes) expect(c.covers).toBe((c.seq as number) - 1);
  // Never more than `every` records without a checkpoint, whoever wrote them.
  let run = 0;
  for (const rec of recs) {
    run = rec.type === "checkpoint" ? 0 : run + 1;
    expect(run).toBeLessThanOrEqual(every);
  }
});

test("a writer process that dies without closing leaves an open, intact log that the next writer continues", async () => {
  const dir = tmp();
  const keys = newKeys(dir);
  const path = join(dir, "audit.jsonl");
  await childProcess({ path, keys, name: "crashy", count: 15, every: 10, crash: true });
  const open = verify(path, keys);
  expect(open.firstBad).toEqual({ line: 18, seq: 17, kind: "truncated" });
  expect(verify(path, keys, true).intact).toBe(true);
  await childProcess({ path, keys, name: "next", count: 3, every: 10 });
  expect(verify(path, keys).intact).toBe(true);
});
