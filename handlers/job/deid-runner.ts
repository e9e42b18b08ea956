/**
 * `imgsec deid`'s runners: inputs handed out in order to this thread (runInOrder) and to worker
 * threads (runPool), sharing one register of output names (OutputClaims), with as many threads as
 * the inputs hold work for (threadsFor). Each input goes through deidentifyPath (deid-file.ts).
 */
import { lstatSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { PseudonymMapping } from "../dicom";
import {
  type FileOutcome,
  OutputClaims,
  type WorkerConfig,
  type WorkerMessage,
  deidentifyPath,
} from "./deid-file";

// A worker thread costs 0.1 to 0.2 s of CPU before its first output (it loads the engine, then
// warms it up), and de-identifies about one small input per millisecond after that: threads are
// added for each WORK_PER_THREAD seconds of estimated work (1 ms per input, plus the bytes at
// COPY_RATE), so that a small run is not slowed down by the threads meant to speed it up. (On two
// shared vCPUs, a worker made runs of 200 and 500 CT slices slower, and one of 1,000 about even.)
const WORK_PER_THREAD = 2;
const SECONDS_PER_INPUT = 0.001;
const COPY_RATE = 500e6;

/** Threads for this run (this one and the workers): at most `jobs`, one per input at most. */
export function threadsFor(files: string[], jobs: number): number {
  const limit = Math.min(jobs, files.length);
  if (limit <= 1) return 1;
  let seconds = 0;
  for (const f of files) {
    let size = 0;
    try {
      size = lstatSync(f, { throwIfNoEntry: false })?.size ?? 0;
    } catch {
      // unreadable now: it will be rejected, quickly
    }
    seconds += SECONDS_PER_INPUT + size / COPY_RATE;
    if (seconds >= WORK_PER_THREAD * (limit - 1)) return limit;
  }
  return 1 + Math.floor(seconds / WORK_PER_THREAD);
}

/** Inputs on their way at once in one thread: one on the CPU, the others waiting on fsyncs. */
const IN_FLIGHT = 16;
/** Bytes written and not yet fsync'ed by one thread, beyond which it waits (large inputs). */
const UNSYNCED_BYTES = 256 * 1024 * 1024;
/** The same, per worker thread (one until the worker has shown it is running). */
const IN_FLIGHT_PER_WORKER = 8;

/**
 * The inputs not yet started, handed out in order to this thread (runInOrder) and to the worker
 * threads (runPool). `halt()` (a failure) or `stopped()` (the audit log refused a record) ends it:
 * no new input starts, those on their way finish.
 */
export class InputQueue {
  private next = 0;
  private halted = false;

  constructor(
    private readonly count: number,
    private readonly stopped: () => boolean = () => false,
  ) {}

  take(): number | undefined {
    if (this.halted || this.stopped() || this.next >= this.count) return undefined;
    return this.next++;
  }

  halt(): void {
    this.halted = true;
  }
}

/**
 * Runs inputs from `queue` in this thread, in order: an input claims its output name only after
 * the one before it has claimed its own (with one job, the earlier input wins a name, as if one
 * at a time), and outcomes are reported in input order, each once its output is durable.
 * Meanwhile the next inputs are de-identified and written: up to IN_FLIGHT files wait on their
 * fsyncs (thread pool) at once, fewer when they hold UNSYNCED_BYTES. A failure halts the queue; the inputs on their way finish and are
 * reported, then the failure is thrown. `share`: workers take inputs too, so this thread gives
 * them a turn (their claims and outcomes) after each input.
 */
export async function runInOrder(
  files: string[],
  config: WorkerConfig,
  mapping: PseudonymMapping | undefined,
  beforeCommit: () => void,
  queue: InputQueue,
  onOutcome: (index: number, outcome: FileOutcome) => void,
  claims = new OutputClaims(config.outDir),
  share = false,
): Promise<void> {
  const pending = new Set<Promise<unknown>>();
  let reported: Promise<void> = Promise.resolve();
  let failure: unknown;
  let unsynced = 0;
  for (let i = queue.take(); i !== undefined; i = queue.take()) {
    const index = i;
    let claimed!: () => void;
    const reached = new Promise<void>((r) => (claimed = r));
    let size = 0;
    const outcome = deidentifyPath(files[index], config, mapping, {
      beforeCommit,
      claim: (name, digest) => {
        const answer = claims.claim(index, name, digest);
        claimed();
        return answer;
      },
      written: (bytes) => {
        size = bytes;
        unsynced += bytes;
      },
    });
    void outcome.finally(() => (unsynced -= size)).catch(() => undefined);
    const settled = outcome.then(
      (o) => claims.settle(index, o.holder),
      (e) => {
        claims.settle(index);
        failure ??= e;
        queue.halt();
      },
    );
    // Reported in input order (the audit log's order too), each after its own output is durable.
    reported = Promise.all([reported, outcome]).then(
      ([, o]) => {
        try {
          onOutcome(index, o);
        } catch (e) {
          failure ??= e;
          queue.halt();
        }
      },
      () => undefined,
    );
    const done = Promise.all([settled, reported]);
    pending.add(done);
    void done.then(() => pending.delete(done));
    // The next input claims after this one has (or has ended without a claim).
    await Promise.race([reached, settled]);
    while (pending.size >= IN_FLIGHT || (pending.size > 0 && unsynced >= UNSYNCED_BYTES))
      await Promise.race(pending);
    if (share) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(pending);
  if (failure !== undefined) throw failure;
}

/**
 * Runs `files` through `jobs` worker threads. Output names are claimed through `claims`, here in
 * the main thread: a worker asks before it puts an output in place, and its claim is settled when
 * its outcome arrives (released if the worker stops first). Each worker gets its own copy of the
 * key in shared memory, so that this thread can zero it whatever happens to the worker (the
 * worker zeroes it too on every way out); a copy is zeroed only once its worker has exited, so no
 * worker ever goes on with a wiped key. When a worker fails, the others finish their current file
 * and stop.
 */
export async function runPool(
  files: string[],
  config: WorkerConfig,
  jobs: number,
  onOutcome: (index: number, outcome: FileOutcome) => void,
  script = join(__dirname, "deid-worker.js"),
  claims = new OutputClaims(config.outDir),
  queue = new InputQueue(files.length),
): Promise<void> {
  let failure: unknown;
  const copies: Buffer[] = [];
  const exited: Promise<void>[] = [];
  try {
    for (let w = 0; w < jobs; w++) {
      const key = Buffer.from(new SharedArrayBuffer(config.pseudonymizationKey.length));
      config.pseudonymizationKey.copy(key);
      copies.push(key);
      exited.push(
        new Promise<void>((resolveWorker) => {
          const fail = (e: unknown) => {
            failure ??= e;
            queue.halt();
          };
          let worker: Worker;
          try {
            worker = new Worker(script, { workerData: { ...config, pseudonymizationKey: key } });
          } catch (e) {
            fail(e);
            resolveWorker();
            return;
          }
          // The files this worker is on: their claims are released if it stops without outcomes.
          const current = new Set<number>();
          // One file until the worker has started (it loads its modules meanwhile, while the
          // others, this thread included, take the inputs), then several.
          let depth = 1;
          const feed = () => {
            while (current.size < depth) {
              const index = queue.take();
              if (index === undefined) break;
              current.add(index);
              worker.postMessage({ index, path: files[index] });
            }
            if (current.size === 0) worker.postMessage("exit");
          };
          worker.on("message", (m: WorkerMessage) => {
            if (depth < IN_FLIGHT_PER_WORKER) {
              depth = IN_FLIGHT_PER_WORKER;
              feed();
            }
            if (m.type === "claim") {
              void claims.reply(m.index, m.name).then((answer) => {
                try {
                  worker.postMessage({ index: m.index, claim: answer });
                } catch {
                  // the worker has stopped; its exit releases what it held
                }
              });
              return;
            }
            const { index, outcome } = m;
            current.delete(index);
            claims.settle(index, outcome.holder);
            try {
              onOutcome(index, outcome);
            } catch (e) {
              fail(e);
            }
            feed();
          });
          worker.on("error", fail);
          worker.on("messageerror", (e) => {
            fail(e);
            void worker.terminate();
          });
          worker.on("exit", (code) => {
            for (const index of current) claims.settle(index);
            if (code !== 0) fail(new Error(`a de-identification worker stopped (exit ${code})`));
            resolveWorker();
          });
          feed();
        }),
      );
    }
    await Promise.all(exited);
  } finally {
    await Promise.all(exited);
    for (const k of copies) k.fill(0);
  }
  if (failure !== undefined) throw failure;
}
