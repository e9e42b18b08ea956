/**
 * The key copies handed to `imgsec deid --jobs N` worker threads are zeroed on every way out:
 * by the worker itself (exit, a failing job, a message it cannot read) and by the main thread once
 * the worker has stopped, and a failing worker stops the run. Runs the built worker (dist/).
 */
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { InputQueue, runInOrder, runPool } from "../../cli/deid";
import { type FileOutcome, OutputClaims, type WorkerConfig } from "../../handlers/job/deid-file";
import { ROOT } from "../helpers/cli";
import { findExplicitElement, generateCorpus } from "../dicom/corpus/generator";

const WORKER = join(ROOT, "dist", "handlers", "job", "deid-worker.js");
const work = mkdtempSync(join(tmpdir(), "imgsec-workers-"));
const corpus = generateCorpus();
const files = corpus.files.slice(0, 6).map((f, i) => {
  const p = join(work, `in-${i}.dcm`);
  writeFileSync(p, f.bytes);
  return p;
});

const key = () => Buffer.alloc(32, 0x5a);
const zeroed = (b: Uint8Array) => b.every((x) => x === 0);

/** Every SharedArrayBuffer made while `fn` runs (the key copies runPool hands out). */
async function sharedBuffersDuring(fn: () => Promise<unknown>): Promise<SharedArrayBuffer[]> {
  const made: SharedArrayBuffer[] = [];
  const Real = globalThis.SharedArrayBuffer;
  globalThis.SharedArrayBuffer = class extends Real {
    constructor(n: number) {
      super(n);
      made.push(this);
    }
  } as typeof SharedArrayBuffer;
  try {
    await fn().catch(() => undefined);
  } finally {
    globalThis.SharedArrayBuffer = Real;
  }
  return made;
}

function config(outDir: string, options: string[] = []): WorkerConfig {
  return { outDir, options: options as WorkerConfig["options"], pseudonymizationKey: key() };
}

describe("runPool: the main thread zeroes each worker's key copy", () => {
  test("after a run that succeeds", async () => {
    const out = mkdtempSync(join(work, "ok-"));
    const outcomes: FileOutcome[] = [];
    const made = await sharedBuffersDuring(() =>
      runPool(files, config(out), 3, (i, o) => (outcomes[i] = o), WORKER),
    );
    expect(made).toHaveLength(3);
    expect(made.every((b) => zeroed(new Uint8Array(b)))).toBe(true);
    expect(outcomes.filter(Boolean)).toHaveLength(files.length);
    expect(readdirSync(out).some((n) => n.includes(".tmp-"))).toBe(false);
  });

  test("after a failing job: the run rejects, the other workers stop, every copy is zeroed", async () => {
    const out = mkdtempSync(join(work, "fail-"));
    let error: unknown;
    const seen: number[] = [];
    // An option the engine does not know makes every job throw inside the worker.
    const made = await sharedBuffersDuring(async () => {
      try {
        await runPool(files, config(out, ["no-such-option"]), 2, (i) => seen.push(i), WORKER);
      } catch (e) {
        error = e;
      }
    });
    expect(error).toBeDefined();
    expect(made).toHaveLength(2);
    expect(made.every((b) => zeroed(new Uint8Array(b)))).toBe(true);
    expect(seen).toEqual([]);
    expect(readdirSync(out)).toEqual([]);
  });

  test("after a worker that never starts (a missing script)", async () => {
    const made = await sharedBuffersDuring(() =>
      runPool(files, config(work), 2, () => undefined, join(work, "missing-worker.js")),
    );
    expect(made.length).toBeGreaterThan(0);
    expect(made.every((b) => zeroed(new Uint8Array(b)))).toBe(true);
  });
});

describe("the worker zeroes its own copy", () => {
  /** Starts the built worker on a shared key copy; resolves when it has exited. */
  function startWorker(options: string[] = []) {
    const shared = Buffer.from(new SharedArrayBuffer(32));
    key().copy(shared);
    const worker = new Worker(WORKER, {
      workerData: {
        ...config(mkdtempSync(join(work, "w-")), options),
        pseudonymizationKey: shared,
      },
    });
    const exited = new Promise<number>((res) => worker.on("exit", res));
    worker.on("error", () => undefined);
    return { worker, shared, exited };
  }

  test("when a job fails", async () => {
    const { worker, shared, exited } = startWorker(["no-such-option"]);
    worker.postMessage({ index: 0, path: files[0] });
    expect(await exited).not.toBe(0);
    expect(zeroed(shared)).toBe(true);
  });

  test("when told to exit", async () => {
    const { worker, shared, exited } = startWorker();
    const done = new Promise<void>((res) => worker.once("message", () => res()));
    worker.postMessage({ index: 0, path: files[0] });
    await done;
    expect(zeroed(shared)).toBe(false); // still in use between jobs
    worker.postMessage("exit");
    expect(await exited).toBe(0);
    expect(zeroed(shared)).toBe(true);
  });

  test("when a message is not a job", async () => {
    const { worker, shared, exited } = startWorker();
    worker.postMessage(null);
    expect(await exited).not.toBe(0);
    expect(zeroed(shared)).toBe(true);
  });
});

/**
 * `--jobs N` runs this thread and the workers on one queue and one register of output names
 * (runDeid: runInOrder with share, plus runPool). Here both are made to take inputs (the main
 * thread joins once the worker has reported an outcome), over inputs with duplicates, conflicts
 * and non-DICOM files: each input ends exactly once, and the outputs on disk are the de-identified
 * ones, one per name, whichever thread wrote it.
 */
describe("this thread and a worker on one run", () => {
  test("every input ends once; duplicates and conflicts are caught across threads", async () => {
    const dir = mkdtempSync(join(work, "mixed-in-"));
    const out = mkdtempSync(join(work, "mixed-out-"));
    const pool = generateCorpus().files.filter(
      (f) => findExplicitElement(f.bytes, 0x7fe00010, "OW") > 0,
    );
    expect(pool.length).toBeGreaterThanOrEqual(4);
    const originals = pool.slice(0, 4);
    /** Another object with the same SOP Instance UID: one pixel byte changed. */
    const changed = (b: Buffer) => {
      const c = Buffer.from(b);
      c[findExplicitElement(c, 0x7fe00010, "OW") + 12] ^= 1;
      return c;
    };
    // 4 objects, each sent 8 times: 6 identical copies, one changed copy, one non-DICOM file.
    const paths: string[] = [];
    for (let copy = 0; copy < 8; copy++)
      originals.forEach((f, k) => {
        const bytes =
          copy === 3 ? changed(f.bytes) : copy === 5 ? Buffer.from("not dicom") : f.bytes;
        const p = join(dir, `${String(paths.length).padStart(3, "0")}-${k}.dcm`);
        writeFileSync(p, bytes);
        paths.push(p);
      });

    const cfg = config(out);
    const claims = new OutputClaims(out);
    const queue = new InputQueue(paths.length);
    const outcomes: FileOutcome[][] = paths.map(() => []);
    const byThread = { main: 0, worker: 0 };
    let workerRunning!: () => void;
    const running = new Promise<void>((r) => (workerRunning = r));
    const pooled = runPool(
      paths,
      cfg,
      1,
      (i, o) => {
        outcomes[i].push(o);
        byThread.worker++;
        workerRunning();
      },
      WORKER,
      claims,
      queue,
    );
    await running;
    await runInOrder(
      paths,
      cfg,
      undefined,
      () => undefined,
      queue,
      (i, o) => {
        outcomes[i].push(o);
        byThread.main++;
      },
      claims,
      true,
    );
    await pooled;

    expect(outcomes.every((o) => o.length === 1)).toBe(true);
    expect(byThread.worker).toBeGreaterThan(0);
    expect(byThread.main).toBeGreaterThan(0);
    const ends = outcomes.map((o) => o[0]);
    const count = (s: string) => ends.filter((o) => o.status === s).length;
    // Per object: one output (the first of its identical copies to claim), the changed copy a
    // conflict unless it claimed first (then the originals are conflicts with it).
    expect(count("rejected")).toBe(4);
    expect(count("deidentified")).toBe(4);
    expect(count("duplicate") + count("conflict")).toBe(24);
    expect(count("conflict")).toBeGreaterThanOrEqual(4);
    const written = ends.filter((o) => o.status === "deidentified").map((o) => o.output);
    expect(new Set(written).size).toBe(4);
    expect(readdirSync(out).sort()).toEqual([...written].sort());
  });
});
