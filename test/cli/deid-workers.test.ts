/**
 * The key copies handed to `imgsec deid --jobs N` worker threads are zeroed on every way out:
 * by the worker itself (exit, a failing job, a message it cannot read) and by the main thread once
 * the worker has stopped, and a failing worker stops the run. Runs the built worker (dist/).
 */
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { runPool } from "../../cli/deid";
import type { FileOutcome, WorkerConfig } from "../../cli/deid-core";
import { ROOT } from "../helpers/cli";
import { generateCorpus } from "../dicom/corpus/generator";

const WORKER = join(ROOT, "dist", "cli", "deid-worker.js");
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
