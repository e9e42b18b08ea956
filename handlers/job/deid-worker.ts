// A worker thread of `imgsec deid --jobs N`: de-identifies the files it is sent, several at a
// time (one on the CPU, the others waiting on their fsyncs). Before it puts an output in place it
// asks the main thread for the output's name (a claim), so that two workers never both write one
// SOP Instance UID: see OutputClaims in deid-file.ts.
import { parentPort, workerData } from "node:worker_threads";
import { ClaimAnswer, ClaimReply, WorkerConfig, WorkerMessage, deidentifyPath } from "./deid-file";

const config = workerData as WorkerConfig;
// The key arrives as a view of memory the main thread shares with every worker (no copy is made
// here); it is zeroed on every way out of this thread, and the main thread zeroes it again.
const shared = config.pseudonymizationKey as Uint8Array;
config.pseudonymizationKey = Buffer.from(shared.buffer, shared.byteOffset, shared.byteLength);
const wipe = () => config.pseudonymizationKey.fill(0);
const send = (m: WorkerMessage) => parentPort?.postMessage(m);

// The answers this worker waits for, by input (at most one claim per file at a time).
const answers = new Map<number, (r: ClaimReply) => void>();

process.on("exit", wipe);
parentPort?.on("messageerror", () => {
  wipe();
  process.exit(1);
});
parentPort?.on(
  "message",
  async (msg: { index: number; path: string } | { index: number; claim: ClaimReply } | "exit") => {
    if (msg === "exit") {
      wipe();
      process.exit(0);
    }
    if (msg && typeof msg === "object" && "claim" in msg) {
      const resolve = answers.get(msg.index);
      answers.delete(msg.index);
      resolve?.(msg.claim);
      return;
    }
    try {
      const { index, path } = msg;
      const outcome = await deidentifyPath(path, config, undefined, {
        claim: async (name, digest): Promise<ClaimAnswer> => {
          const reply = await new Promise<ClaimReply>((resolve) => {
            answers.set(index, resolve);
            send({ type: "claim", index, name });
          });
          if (reply.write) return reply;
          // Taken: this output is hashed only now, to tell a duplicate from a conflict.
          const status = digest() === reply.digest ? "duplicate" : "conflict";
          return { write: false, status, other: reply.other };
        },
      });
      send({ type: "outcome", index, outcome });
    } catch (e) {
      // An unexpected failure ends this worker (the main thread sees an error): no key left behind.
      wipe();
      throw e;
    }
  },
);
